import { verifySignature } from '@rsky/crypto'

/**
 * Where commit signatures are checked against an account's current signing key. `DidResolver`
 * and `IdResolver` of @rsky/identity satisfy it as they are (their `verifySignatureForDid`
 * refreshes a cached key once when it fails, so key rotation is followed).
 */
export interface SignatureVerifier {
  verifySignatureForDid(did: string, data: Uint8Array, sig: Uint8Array): Promise<boolean> | boolean
}

/**
 * A {@link SignatureVerifier} that can also name the key (a did:key), so the check can run
 * elsewhere, e.g. on a worker thread ({@link CommitAuthPool} in `@rsky/sync/node`). @rsky/identity's
 * `IdResolver` and `DidResolver` satisfy it; `forceRefresh` fetches the DID document again.
 */
export interface KeyResolver extends SignatureVerifier {
  resolveAtprotoKey(did: string, opts?: { forceRefresh?: boolean }): Promise<string> | string
}

/**
 * A fixed DID → did:key table (tests, benchmarks, or keys known out of band). A DID missing
 * from the table throws, which the authenticator reports as `KEY_UNAVAILABLE`.
 * @example const keys = staticKeys(new Map([[did, keypair.did()]]))
 */
export function staticKeys(table: ReadonlyMap<string, string> | Record<string, string>): KeyResolver {
  const map = table instanceof Map ? table : new Map(Object.entries(table))
  return {
    resolveAtprotoKey(did: string): string {
      const key = map.get(did)
      if (key === undefined) throw new Error(`no signing key known; did=${did}`)
      return key
    },
    verifySignatureForDid(did: string, data: Uint8Array, sig: Uint8Array): boolean {
      const key = map.get(did)
      if (key === undefined) throw new Error(`no signing key known; did=${did}`)
      return verifySignature(key, data, sig)
    },
  }
}

/**
 * A {@link SignatureVerifier} that can forget what it cached for a DID, so the next check resolves
 * the key afresh. Implement it on a custom verifier; @rsky/identity's resolvers need nothing
 * (their `DidCache` is used directly, see {@link invalidateKey}).
 */
export interface InvalidatingKeys extends SignatureVerifier {
  invalidateKey(did: string): Promise<void> | void
}

interface DeletableCache {
  delete(did: string): Promise<void> | void
}

function cacheOf(v: unknown): DeletableCache | undefined {
  const cache = (v as { cache?: unknown } | null)?.cache
  return cache !== null && typeof (cache as DeletableCache | undefined)?.delete === 'function'
    ? (cache as DeletableCache)
    : undefined
}

/**
 * Drops a DID's cached identity so the next signature check resolves its key again (what an
 * `#identity` event asks for). Uses, in order: the verifier's own `invalidateKey`; the `DidCache`
 * of an @rsky/identity `DidResolver` (`keys.cache`) or `IdResolver` (`keys.did.cache`). Returns
 * false when the verifier caches nothing it exposes (e.g. {@link staticKeys}, or a resolver
 * built with `cache: null`).
 * @example await invalidateKey(new IdResolver(), 'did:plc:ewvi7nxzyoun6zhxrhs64oiz')
 */
export async function invalidateKey(keys: SignatureVerifier, did: string): Promise<boolean> {
  const own = (keys as Partial<InvalidatingKeys>).invalidateKey
  if (typeof own === 'function') {
    await own.call(keys, did)
    return true
  }
  const cache = cacheOf(keys) ?? cacheOf((keys as { did?: unknown }).did)
  if (cache === undefined) return false
  await cache.delete(did)
  return true
}
