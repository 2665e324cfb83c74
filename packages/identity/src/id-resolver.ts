// The facade: one object holding a DID resolver and a handle resolver, with the two-way check the
// handle spec requires (the handle points at the DID and the DID's document claims the handle).
import { getHandle } from './atproto-data.ts'
import type { DidDocument } from './did-document.ts'
import { DidResolver, type DidResolverOptions, type ResolveOptions } from './did-resolver.ts'
import { HandleMismatchError, HandleNotFoundError } from './errors.ts'
import { HandleResolver, type HandleResolverOptions, normalizeResolvableHandle } from './handle-resolver.ts'
import type { FetchLike } from './http.ts'

/** Options of {@link IdResolver}; `timeoutMs` and `fetch` apply to both resolvers unless they set their own. */
export interface IdResolverOptions {
  readonly timeoutMs?: number
  readonly fetch?: FetchLike
  readonly did?: DidResolverOptions
  readonly handle?: HandleResolverOptions
}

/** An account whose handle has been checked in both directions. */
export interface VerifiedIdentity {
  readonly did: string
  readonly handle: string
  readonly document: DidDocument
}

/** An account looked up by DID; `handle` is set only when it verified both ways. */
export interface DidIdentity {
  readonly did: string
  /** The verified handle, or `undefined` (show `handle.invalid`). */
  readonly handle: string | undefined
  /** What the document claims, verified or not. */
  readonly claimedHandle: string | undefined
  readonly document: DidDocument
}

/**
 * DID and handle resolution with bidirectional verification.
 * @example
 * const id = new IdResolver({ did: { plcUrl: 'https://plc.directory' } })
 * const { did, document } = await id.resolveHandle('alice.example.com')
 */
export class IdResolver {
  readonly did: DidResolver
  readonly handle: HandleResolver

  constructor(opts: IdResolverOptions = {}) {
    const shared = { timeoutMs: opts.timeoutMs, fetch: opts.fetch }
    this.did = new DidResolver({ ...shared, ...opts.did })
    this.handle = new HandleResolver({ ...shared, ...opts.handle })
  }

  /**
   * Handle -> DID -> document, and the document must claim the same (normalised) handle. On a
   * mismatch the document is fetched fresh once, in case the cached copy predates a handle change.
   * @throws {HandleNotFoundError} {HandleMismatchError} and the errors of {@link DidResolver.resolve}.
   */
  async resolveHandle(handle: string, opts: ResolveOptions = {}): Promise<VerifiedIdentity> {
    const normalized = normalizeResolvableHandle(handle)
    if (normalized === undefined) throw new HandleNotFoundError(String(handle))
    const found = await this.handle.resolveDetailed(normalized, { signal: opts.signal })
    if (found.did === undefined) throw new HandleNotFoundError(normalized, found.transient)
    const did = found.did
    let document = await this.did.resolve(did, opts)
    let claimed = getHandle(document)
    if (claimed !== normalized && opts.forceRefresh !== true) {
      // The cached document may predate a handle change: look once more at a fresh copy.
      document = await this.did.resolve(did, { ...opts, forceRefresh: true })
      claimed = getHandle(document)
    }
    if (claimed !== normalized) throw new HandleMismatchError(normalized, did, claimed)
    return { did, handle: normalized, document }
  }

  /**
   * DID -> document -> claimed handle -> DID; the handle is kept only when it leads back to the DID.
   * @throws the errors of {@link DidResolver.resolve} (handle failures only unset `handle`).
   */
  async resolveDid(did: string, opts: ResolveOptions = {}): Promise<DidIdentity> {
    const document = await this.did.resolve(did, opts)
    const claimedHandle = getHandle(document)
    let handle: string | undefined
    if (claimedHandle !== undefined) {
      const back = await this.handle.resolve(claimedHandle, { signal: opts.signal })
      if (back === did) handle = claimedHandle
    }
    return { did, handle, claimedHandle, document }
  }

  /** See {@link DidResolver.resolveAtprotoKey}. */
  resolveAtprotoKey(did: string, opts?: ResolveOptions): Promise<string> {
    return this.did.resolveAtprotoKey(did, opts)
  }

  /** See {@link DidResolver.verifySignatureForDid}. */
  verifySignatureForDid(
    did: string,
    data: Uint8Array,
    sig: Uint8Array,
    opts?: { signal?: AbortSignal },
  ): Promise<boolean> {
    return this.did.verifySignatureForDid(did, data, sig, opts)
  }
}
