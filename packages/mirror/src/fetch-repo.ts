// getRepo as a bounded stream: a claimed or actual size over the cap, a response that stalls, or
// one that never ends each stop the fetch with a named error instead of holding the run.
import { MirrorError } from './errors.ts'

/** Limits of one `getRepo` download. */
export interface FetchLimits {
  /** Largest repository CAR in bytes (default 1 GiB). A larger `content-length` is refused before reading. */
  maxBytes?: number
  /** Longest wait for the next chunk (default 30 s). */
  idleTimeoutMs?: number
  /** Longest whole download (default 10 minutes). */
  totalTimeoutMs?: number
}

/** Streams a repository CAR from a host. */
export type RepoSource = (did: string, signal: AbortSignal) => Promise<AsyncIterable<Uint8Array>>

export const DEFAULT_FETCH_LIMITS: Readonly<Required<FetchLimits>> = Object.freeze({
  maxBytes: 1024 * 1024 * 1024,
  idleTimeoutMs: 30_000,
  totalTimeoutMs: 10 * 60_000,
})

/**
 * A {@link RepoSource} over `com.atproto.sync.getRepo` of `service` (an http(s) URL).
 * @throws MirrorError `FETCH_FAILED`, `FETCH_TOO_LARGE`, `FETCH_TIMEOUT` (from the stream as it is read)
 */
export function getRepoSource(
  service: string,
  opts: FetchLimits & { fetch?: typeof fetch } = {},
): RepoSource {
  const limits = { ...DEFAULT_FETCH_LIMITS, ...stripUndefined(opts) }
  const doFetch = opts.fetch ?? globalThis.fetch
  return async (did, signal) => {
    const url = new URL('/xrpc/com.atproto.sync.getRepo', service)
    url.searchParams.set('did', did)
    const ctrl = new AbortController()
    const onAbort = (): void => ctrl.abort(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    const total = setTimeout(
      () => ctrl.abort(new MirrorError('FETCH_TIMEOUT', 'getRepo took too long', { did })),
      limits.totalTimeoutMs,
    )
    const cleanup = (): void => {
      clearTimeout(total)
      signal.removeEventListener('abort', onAbort)
    }
    let res: Response
    try {
      res = await withIdle(doFetch(url, { signal: ctrl.signal }), limits.idleTimeoutMs, ctrl, did)
    } catch (err) {
      cleanup()
      throw asFetchError(err, did)
    }
    if (!res.ok || res.body === null) {
      cleanup()
      const text = await res.text().catch(() => '')
      throw new MirrorError(
        'FETCH_FAILED',
        `getRepo failed; status=${res.status} body=${text.slice(0, 200)}`,
        { did },
      )
    }
    const claimed = Number(res.headers.get('content-length') ?? Number.NaN)
    if (Number.isFinite(claimed) && claimed > limits.maxBytes) {
      cleanup()
      ctrl.abort()
      throw new MirrorError(
        'FETCH_TOO_LARGE',
        `getRepo claims too many bytes; claimed=${claimed} max=${limits.maxBytes}`,
        { did },
      )
    }
    const body = res.body
    return (async function* () {
      const reader = body.getReader()
      let size = 0
      try {
        for (;;) {
          const { done, value } = await withIdle(reader.read(), limits.idleTimeoutMs, ctrl, did)
          if (done) return
          size += value.length
          if (size > limits.maxBytes)
            throw new MirrorError('FETCH_TOO_LARGE', `getRepo sent too many bytes; max=${limits.maxBytes}`, {
              did,
            })
          yield value
        }
      } catch (err) {
        throw asFetchError(err, did)
      } finally {
        cleanup()
        ctrl.abort()
        reader.releaseLock()
      }
    })()
  }
}

function stripUndefined(o: FetchLimits): FetchLimits {
  const out: FetchLimits = {}
  if (o.maxBytes !== undefined) out.maxBytes = o.maxBytes
  if (o.idleTimeoutMs !== undefined) out.idleTimeoutMs = o.idleTimeoutMs
  if (o.totalTimeoutMs !== undefined) out.totalTimeoutMs = o.totalTimeoutMs
  return out
}

function asFetchError(err: unknown, did: string): MirrorError {
  if (err instanceof MirrorError) return err
  const reason = (err as { cause?: unknown })?.cause
  if (reason instanceof MirrorError) return reason
  return new MirrorError('FETCH_FAILED', `getRepo failed: ${(err as Error)?.message ?? String(err)}`, {
    did,
    cause: err,
  })
}

function withIdle<T>(p: Promise<T>, ms: number, ctrl: AbortController, did: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new MirrorError('FETCH_TIMEOUT', `getRepo stalled; idleMs=${ms}`, { did })
      ctrl.abort(err)
      reject(err)
    }, ms)
  })
  return Promise.race([p, idle]).finally(() => clearTimeout(timer))
}
