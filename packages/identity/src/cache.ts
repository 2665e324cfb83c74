// DID document cache: an interface any store can implement (Redis, a database) and a bounded
// in-memory LRU default. Entries go stale after an hour (served, but refreshed in the background)
// and expire after a day (not served).
import type { DidDocument } from './did-document.ts'

/** A cache hit with its age classification. */
export interface CacheResult {
  readonly did: string
  readonly doc: DidDocument
  /** Milliseconds since the epoch when the document was fetched. */
  readonly updatedAt: number
  /** Older than the stale TTL: serve it, refresh in the background. */
  readonly stale: boolean
  /** Older than the max TTL: do not serve it. */
  readonly expired: boolean
}

/** Storage for resolved documents; methods may be sync or async. */
export interface DidCache {
  /** The entry for `did` with its age classification, or `undefined` when absent. */
  get(did: string): CacheResult | undefined | Promise<CacheResult | undefined>
  /** Store a freshly fetched, already validated document (its age starts now). */
  set(did: string, doc: DidDocument): void | Promise<void>
  /** Forget `did` (done when its method server says it does not exist). */
  delete(did: string): void | Promise<void>
  /** Forget everything. */
  clear(): void | Promise<void>
}

/** Options of {@link MemoryCache}. */
export interface MemoryCacheOptions {
  /** Milliseconds before an entry is stale. Default 1 hour. */
  readonly staleTtlMs?: number
  /** Milliseconds before an entry is expired. Default 1 day. */
  readonly maxTtlMs?: number
  /** Entries kept; the least recently used is evicted beyond this. Default 100 000. */
  readonly maxEntries?: number
  /** Clock, injectable for tests. Default `Date.now`. */
  readonly now?: () => number
}

/** One hour in milliseconds. */
export const HOUR_MS: number = 60 * 60 * 1000
/** One day in milliseconds. */
export const DAY_MS: number = 24 * HOUR_MS

interface Entry {
  // The answer for a fresh hit, built once: most hits are fresh, so they allocate nothing.
  readonly fresh: CacheResult
  // Recency stamp: entries touched within the last quarter of capacity are not moved on a hit.
  seq: number
}

/**
 * In-memory LRU of DID documents (recency tracked approximately: a hit on one of the most recent
 * quarter of entries does not reorder).
 * @example
 * const cache = new MemoryCache({ maxEntries: 50_000 })
 * const resolver = new DidResolver({ cache })
 */
export class MemoryCache implements DidCache {
  readonly staleTtlMs: number
  readonly maxTtlMs: number
  readonly maxEntries: number
  readonly #now: () => number
  // A Map iterates in insertion order, so re-inserting on use makes the first key the LRU one.
  readonly #entries = new Map<string, Entry>()
  #seq = 0

  constructor(opts: MemoryCacheOptions = {}) {
    this.staleTtlMs = opts.staleTtlMs ?? HOUR_MS
    this.maxTtlMs = opts.maxTtlMs ?? DAY_MS
    this.maxEntries = opts.maxEntries ?? 100_000
    this.#now = opts.now ?? Date.now
    if (!(this.staleTtlMs >= 0) || !(this.maxTtlMs >= this.staleTtlMs)) {
      throw new RangeError('MemoryCache needs 0 <= staleTtlMs <= maxTtlMs')
    }
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError('MemoryCache maxEntries must be a positive integer')
    }
  }

  /** Entries currently held. */
  get size(): number {
    return this.#entries.size
  }

  get(did: string): CacheResult | undefined {
    const e = this.#entries.get(did)
    if (e === undefined) return undefined
    const updatedAt = e.fresh.updatedAt
    const age = this.#now() - updatedAt
    const expired = age > this.maxTtlMs
    if (expired) {
      this.#entries.delete(did)
    } else if (this.#seq - e.seq > this.maxEntries >> 2) {
      // Approximate LRU: moving an entry costs a delete and an insert, so only entries that have
      // drifted into the older three quarters are moved to the young end.
      this.#entries.delete(did)
      e.seq = ++this.#seq
      this.#entries.set(did, e)
    }
    if (age <= this.staleTtlMs) return e.fresh
    return { did, doc: e.fresh.doc, updatedAt, stale: true, expired }
  }

  set(did: string, doc: DidDocument): void {
    this.#entries.delete(did)
    const fresh: CacheResult = Object.freeze({
      did,
      doc,
      updatedAt: this.#now(),
      stale: false,
      expired: false,
    })
    this.#entries.set(did, { fresh, seq: ++this.#seq })
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next()
      if (!oldest.done) this.#entries.delete(oldest.value)
    }
  }

  delete(did: string): void {
    this.#entries.delete(did)
  }

  clear(): void {
    this.#entries.clear()
  }
}
