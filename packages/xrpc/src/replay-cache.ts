// Remembering used token ids until they expire, so one service token authorises one request.

/** A store of used `jti`s. `claim` is atomic per key: true the first time, false after. */
export interface ReplayCache {
  /** Records `key` until `expiresAtMs`; false when it was already recorded and not yet expired. */
  claim(key: string, expiresAtMs: number): boolean | Promise<boolean>
}

/** Options of {@link MemoryReplayCache}. */
export interface MemoryReplayCacheOptions {
  /** Most ids held at once; default 100 000. When full, the entry that expires first goes. */
  maxEntries?: number
  now?: () => number
}

/**
 * An in-process replay cache. Entries expire with their tokens; the size cap bounds memory, and
 * at the cap the oldest-inserted entry is dropped (tokens live one minute by default, so the
 * oldest is nearly always already expired).
 * @example new ServiceAuthVerifier({ ..., replayCache: new MemoryReplayCache({ maxEntries: 10_000 }) })
 */
export class MemoryReplayCache implements ReplayCache {
  readonly #seen = new Map<string, number>()
  readonly #max: number
  readonly #now: () => number

  /** @throws {RangeError} when maxEntries is not a positive integer. */
  constructor(opts: MemoryReplayCacheOptions = {}) {
    const max = opts.maxEntries ?? 100_000
    if (!Number.isSafeInteger(max) || max < 1)
      throw new RangeError(`maxEntries must be a positive integer; maxEntries=${max}`)
    this.#max = max
    this.#now = opts.now ?? Date.now
  }

  claim(key: string, expiresAtMs: number): boolean {
    const now = this.#now()
    const prior = this.#seen.get(key)
    if (prior !== undefined && prior >= now) return false
    if (prior !== undefined) this.#seen.delete(key)
    if (this.#seen.size >= this.#max) this.#prune(now)
    this.#seen.set(key, expiresAtMs)
    return true
  }

  /** Number of ids held. */
  get size(): number {
    return this.#seen.size
  }

  #prune(now: number): void {
    // Insertion order is close to expiry order; drop expired ones from the front, bounded.
    let budget = 1024
    for (const [k, exp] of this.#seen) {
      if (budget-- === 0 || (exp >= now && this.#seen.size < this.#max)) break
      this.#seen.delete(k)
    }
  }
}
