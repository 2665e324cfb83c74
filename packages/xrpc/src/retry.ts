// When to retry a call and how long to wait: exponential backoff with jitter, or what the
// server asked for (Retry-After, RateLimit-Reset), bounded by a ceiling.

/** Retry settings of {@link XrpcClient}; `false` turns retries off. */
export interface RetryOptions {
  /** Retries after the first attempt; default 2. */
  maxRetries?: number
  /** First backoff, ms; default 250 (doubled each retry, with up to 50% jitter). */
  baseDelayMs?: number
  /** Longest single wait, ms, also for server-requested waits; default 10 000. */
  maxDelayMs?: number
}

/** Statuses worth another try: rate limits and transient upstream failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504
}

/**
 * Milliseconds to wait before retry number `attempt` (0-based), honouring `retry-after`
 * (seconds or an HTTP date) and `ratelimit-reset` (UNIX seconds) when the server sent them.
 */
export function retryDelayMs(
  attempt: number,
  headers: Headers | undefined,
  opts: Required<RetryOptions>,
  now: number = Date.now(),
  random: () => number = Math.random,
): number {
  const asked = headers ? serverDelay(headers, now) : undefined
  if (asked !== undefined) return Math.min(Math.max(asked, 0), opts.maxDelayMs)
  const base = opts.baseDelayMs * 2 ** attempt
  return Math.min(base * (1 + random() * 0.5), opts.maxDelayMs)
}

function serverDelay(headers: Headers, now: number): number | undefined {
  const retryAfter = headers.get('retry-after')
  if (retryAfter !== null) {
    if (/^\d+$/.test(retryAfter.trim())) return Number(retryAfter.trim()) * 1000
    const at = Date.parse(retryAfter)
    if (!Number.isNaN(at)) return at - now
  }
  const reset = headers.get('ratelimit-reset')
  const remaining = headers.get('ratelimit-remaining')
  if (reset !== null && /^\d+$/.test(reset.trim()) && (remaining === null || remaining.trim() === '0')) {
    const n = Number(reset.trim())
    // Some servers send seconds-from-now, others a UNIX time: a small number is a delta.
    return n > 1e9 ? n * 1000 - now : n * 1000
  }
  return undefined
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(t)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
