// DID resolution with a cache in front: fresh hits are served, stale hits are served while one
// background refresh runs, and concurrent misses for one DID share a single request.
import { verifySignature } from '@rsky/crypto'
import { type AtprotoData, ensureAtprotoKey, getAtprotoData } from './atproto-data.ts'
import { type CacheResult, type DidCache, MemoryCache } from './cache.ts'
import { type DidDocument, type DidDocumentLimits, parseDidDocument } from './did-document.ts'
import { didDocumentUrl } from './did-methods.ts'
import {
  DidDocumentIdMismatchError,
  DidDocumentInvalidError,
  DidNotFoundError,
  HttpStatusError,
} from './errors.ts'
import { decodeUtf8, type FetchLike, httpGet, type RedirectPolicy } from './http.ts'
import { withSignal } from './signal.ts'

/** Options of {@link DidResolver}. */
export interface DidResolverOptions {
  /** PLC directory base URL. Default `https://plc.directory`. */
  readonly plcUrl?: string
  /** Per-request timeout in milliseconds (headers and body). Default 3000. */
  readonly timeoutMs?: number
  /** Document cache; `null` disables caching. Default a {@link MemoryCache} (stale 1 h, expired 1 day). */
  readonly cache?: DidCache | null
  /** Fetch implementation. Default `globalThis.fetch`. */
  readonly fetch?: FetchLike
  /** Largest document body accepted. Default 512 KiB. */
  readonly maxDocumentBytes?: number
  /** Redirect handling for document fetches. Default: up to 3 same-host hops. */
  readonly redirects?: RedirectPolicy
  /** Caps applied while validating documents. */
  readonly documentLimits?: DidDocumentLimits
  /** Resolve `did:web:localhost[%3Aport]` over http (testing only). Default false. */
  readonly allowLocalhost?: boolean
  /** Called when a background refresh of a stale entry fails (the stale entry stays). */
  readonly onRefreshError?: (err: unknown, did: string) => void
}

/** Per-call options. */
export interface ResolveOptions {
  /** Skip the cache and fetch a fresh document (which then replaces the cached one). */
  readonly forceRefresh?: boolean
  readonly signal?: AbortSignal
}

interface Resolved {
  readonly doc: DidDocument
  readonly fromCache: boolean
}

const ACCEPT = 'application/did+ld+json, application/json;q=0.9'

/**
 * Resolves did:plc and did:web to validated DID documents.
 * @example
 * const resolver = new DidResolver({ plcUrl: 'https://plc.directory' })
 * const doc = await resolver.resolve('did:plc:ewvi7nxzyoun6zhxrhs64oiz')
 */
export class DidResolver {
  readonly plcUrl: string | undefined
  readonly timeoutMs: number
  readonly cache: DidCache | null
  readonly #opts: DidResolverOptions
  readonly #inflight = new Map<string, Promise<DidDocument>>()
  // Signing key per document object. Documents served from the cache are the same objects every
  // time (and are treated as immutable), so the curve check behind the key runs once per fetch,
  // not once per signature verified.
  readonly #keys = new WeakMap<DidDocument, string>()

  constructor(opts: DidResolverOptions = {}) {
    this.#opts = opts
    this.plcUrl = opts.plcUrl
    this.timeoutMs = opts.timeoutMs ?? 3000
    this.cache = opts.cache === undefined ? new MemoryCache() : opts.cache
    if (!(this.timeoutMs > 0)) throw new RangeError('DidResolver timeoutMs must be positive')
    if (opts.plcUrl !== undefined && !/^https?:\/\//.test(opts.plcUrl)) {
      throw new TypeError(`DidResolver plcUrl must be an http(s) URL; plcUrl=${opts.plcUrl}`)
    }
    if (opts.plcUrl !== undefined && !URL.canParse(opts.plcUrl)) {
      throw new TypeError(`DidResolver plcUrl is not a URL; plcUrl=${opts.plcUrl}`)
    }
  }

  /**
   * The DID's document, from the cache when it holds an unexpired entry.
   * @throws {DidNotFoundError} {DidDocumentInvalidError} {DidDocumentIdMismatchError} {ResponseTooLargeError}
   *   {ResolutionTimeoutError} {HttpStatusError} {NetworkError} {PoorlyFormattedDidError} {UnsupportedDidMethodError}
   */
  resolve(did: string, opts: ResolveOptions = {}): Promise<DidDocument> {
    // Not an async function: the warm-cache path is the hot one and this avoids a promise layer.
    const cache = this.cache
    if (cache === null || opts.forceRefresh === true) return withSignal(this.#shared(did), opts.signal)
    let got: ReturnType<DidCache['get']>
    try {
      got = cache.get(did)
    } catch (err) {
      return Promise.reject(err)
    }
    if (got instanceof Promise) return got.then((hit) => this.#fromHit(did, hit, opts.signal))
    return this.#fromHit(did, got, opts.signal)
  }

  #fromHit(did: string, hit: CacheResult | undefined, signal: AbortSignal | undefined): Promise<DidDocument> {
    if (hit !== undefined && !hit.expired) {
      if (hit.stale) this.#refreshInBackground(did)
      return Promise.resolve(hit.doc)
    }
    return withSignal(this.#shared(did), signal)
  }

  /** Same as `resolve(did, { forceRefresh: true })`. */
  refresh(did: string, opts: { signal?: AbortSignal } = {}): Promise<DidDocument> {
    return this.resolve(did, { forceRefresh: true, signal: opts.signal })
  }

  /**
   * Fetch and validate the document without reading or writing the cache.
   * @throws the same errors as {@link DidResolver.resolve}.
   */
  async resolveNoCache(did: string, opts: { signal?: AbortSignal } = {}): Promise<DidDocument> {
    const url = didDocumentUrl(did, { plcUrl: this.#opts.plcUrl, allowLocalhost: this.#opts.allowLocalhost })
    const res = await httpGet(url, {
      fetch: this.#opts.fetch,
      timeoutMs: this.timeoutMs,
      maxBytes: this.#opts.maxDocumentBytes ?? 512 * 1024,
      signal: opts.signal,
      accept: ACCEPT,
      redirects: this.#opts.redirects,
    })
    if (res.status === 404 || res.status === 410) throw new DidNotFoundError(did, res.status)
    if (res.status < 200 || res.status > 299) throw new HttpStatusError(res.url, res.status)
    return parseDocumentBody(did, res.body, this.#opts.documentLimits)
  }

  async #resolve(did: string, opts: ResolveOptions): Promise<Resolved> {
    const cache = this.cache
    if (cache !== null && opts.forceRefresh !== true) {
      const got = cache.get(did)
      const hit = got instanceof Promise ? await got : got
      if (hit !== undefined && !hit.expired) {
        if (hit.stale) this.#refreshInBackground(did)
        return { doc: hit.doc, fromCache: true }
      }
    }
    const doc = await withSignal(this.#shared(did), opts.signal)
    return { doc, fromCache: false }
  }

  // One request per DID at a time. It runs under its own timeout, not a caller's signal, so one
  // caller giving up does not fail the others waiting on the same request.
  #shared(did: string): Promise<DidDocument> {
    const running = this.#inflight.get(did)
    if (running !== undefined) return running
    const p = this.#fetchAndStore(did).finally(() => this.#inflight.delete(did))
    this.#inflight.set(did, p)
    return p
  }

  async #fetchAndStore(did: string): Promise<DidDocument> {
    try {
      const doc = await this.resolveNoCache(did)
      await this.cache?.set(did, doc)
      return doc
    } catch (err) {
      if (err instanceof DidNotFoundError) await this.cache?.delete(did)
      throw err
    }
  }

  #refreshInBackground(did: string): void {
    if (this.#inflight.has(did)) return
    this.#shared(did).catch((err: unknown) => this.#opts.onRefreshError?.(err, did))
  }

  /** Resolves once every request in flight (including background refreshes) has settled. */
  async whenIdle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight.values()])
  }

  /**
   * did, handle, signing key and PDS of the DID.
   * @throws the errors of {@link DidResolver.resolve} and of {@link getAtprotoData}.
   */
  async resolveAtprotoData(did: string, opts: ResolveOptions = {}): Promise<AtprotoData> {
    return getAtprotoData(await this.resolve(did, opts))
  }

  /**
   * The DID's atproto signing key as a did:key (a did:key input is returned as is).
   * @throws {MissingSigningKeyError} and the errors of {@link DidResolver.resolve}.
   */
  async resolveAtprotoKey(did: string, opts: ResolveOptions = {}): Promise<string> {
    if (did.startsWith('did:key:')) return did
    return this.#keyOf(await this.resolve(did, opts))
  }

  #keyOf(doc: DidDocument): string {
    let key = this.#keys.get(doc)
    if (key === undefined) {
      key = ensureAtprotoKey(doc)
      this.#keys.set(doc, key)
    }
    return key
  }

  /**
   * Verify `sig` over `data` with the DID's current signing key. When a key taken from the cache
   * fails, the document is fetched again once (the account may have rotated its key) and the new
   * key, if different, is tried. A key fetched fresh in this call is not re-fetched, so forged
   * signatures cannot make every call hit the network twice.
   * @throws the errors of {@link DidResolver.resolveAtprotoKey}.
   */
  async verifySignatureForDid(
    did: string,
    data: Uint8Array,
    sig: Uint8Array,
    opts: { signal?: AbortSignal } = {},
  ): Promise<boolean> {
    if (did.startsWith('did:key:')) return verifySignature(did, data, sig)
    const first = await this.#resolve(did, { signal: opts.signal })
    let key: string | undefined
    try {
      key = this.#keyOf(first.doc)
    } catch (err) {
      // A cached document without a usable key may be outdated too: fall through to a fresh copy.
      if (!first.fromCache) throw err
    }
    if (key !== undefined && verifySignature(key, data, sig)) return true
    if (!first.fromCache) return false
    const fresh = this.#keyOf(await this.resolve(did, { forceRefresh: true, signal: opts.signal }))
    return fresh !== key && verifySignature(fresh, data, sig)
  }
}

/**
 * Decode, parse and validate a fetched document body for `did`.
 * @throws {DidDocumentInvalidError} {DidDocumentIdMismatchError}
 */
export function parseDocumentBody(did: string, body: Uint8Array, limits?: DidDocumentLimits): DidDocument {
  const text = decodeUtf8(body)
  if (text === undefined) {
    throw new DidDocumentInvalidError(did, [{ code: 'invalid_utf8', path: '', message: 'body is not UTF-8' }])
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new DidDocumentInvalidError(did, [{ code: 'invalid_json', path: '', message: 'body is not JSON' }])
  }
  const r = parseDidDocument(json, limits)
  if (!r.success) throw new DidDocumentInvalidError(did, r.issues)
  if (r.value.id !== did) throw new DidDocumentIdMismatchError(did, r.value.id)
  return r.value
}
