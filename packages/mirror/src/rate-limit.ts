// A token bucket for the requests an engine makes to one host: `requestsPerSecond` on average, at
// most `burst` at once after a quiet spell. Waiters are served in arrival order; an aborted wait
// leaves the queue without taking a token.
import type { RepoSource } from './fetch-repo.ts'

/** How fast an engine may ask one host for repositories. */
export interface RateLimit {
  /** Average requests per second (a positive finite number; fractions allowed: 0.5 = one per 2 s). */
  requestsPerSecond: number
  /** Requests allowed at once after a quiet spell (default `max(1, ceil(requestsPerSecond))`). */
  burst?: number
}

interface Waiter {
  resolve: () => void
  reject: (reason: unknown) => void
  signal: AbortSignal | undefined
  onAbort: () => void
}

/**
 * A token bucket. `take()` resolves when a request may go.
 * @throws RangeError from the constructor when the rate or burst is not a positive finite number
 */
export class TokenBucket {
  readonly rate: number
  readonly burst: number
  readonly #now: () => number
  #tokens: number
  #at: number
  readonly #waiters: Waiter[] = []
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(limit: RateLimit, now: () => number = () => performance.now()) {
    const rate = limit?.requestsPerSecond
    if (!(typeof rate === 'number' && Number.isFinite(rate) && rate > 0))
      throw new RangeError(`rateLimit.requestsPerSecond must be a positive number; got=${String(rate)}`)
    const burst = limit.burst ?? Math.max(1, Math.ceil(rate))
    if (!(Number.isSafeInteger(burst) && burst > 0))
      throw new RangeError(`rateLimit.burst must be a positive integer; got=${String(limit.burst)}`)
    this.rate = rate
    this.burst = burst
    this.#now = now
    this.#tokens = burst
    this.#at = now()
  }

  /** Requests waiting for a token. */
  get waiting(): number {
    return this.#waiters.length
  }

  /** Resolves when a token is had; rejects with the signal's reason if it aborts first. */
  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    this.#refill()
    if (this.#waiters.length === 0 && this.#tokens >= 1) {
      this.#tokens -= 1
      return Promise.resolve()
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.#waiters.indexOf(waiter)
          if (i >= 0) this.#waiters.splice(i, 1)
          reject(signal?.reason)
          this.#schedule()
        },
      }
      signal?.addEventListener('abort', waiter.onAbort, { once: true })
      this.#waiters.push(waiter)
      this.#schedule()
    })
  }

  #refill(): void {
    const now = this.#now()
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) / 1000) * this.rate)
    this.#at = now
  }

  #schedule(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer)
      this.#timer = undefined
    }
    this.#refill()
    while (this.#waiters.length > 0 && this.#tokens >= 1) {
      this.#tokens -= 1
      const w = this.#waiters.shift() as Waiter
      w.signal?.removeEventListener('abort', w.onAbort)
      w.resolve()
    }
    if (this.#waiters.length === 0) return
    const ms = ((1 - this.#tokens) / this.rate) * 1000
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined
        this.#schedule()
      },
      Math.max(1, Math.ceil(ms)),
    )
  }
}

/** A {@link RepoSource} that takes a token from `bucket` before each `getRepo`. */
export function rateLimitedSource(source: RepoSource, bucket: TokenBucket): RepoSource {
  return async (did, signal) => {
    await bucket.take(signal)
    return source(did, signal)
  }
}
