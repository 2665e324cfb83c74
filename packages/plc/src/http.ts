// One bounded HTTP exchange: a timeout over headers and body, the caller's AbortSignal, a byte cap
// enforced while streaming. Redirects are not followed: a directory answers directly.
import { PlcNetworkError, PlcResponseTooLargeError, PlcTimeoutError } from './errors.ts'

/** The subset of `fetch` the client uses; pass your own for proxies or tests. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>

/** Limits of one request. */
export interface RequestLimits {
  readonly fetch?: FetchLike
  readonly timeoutMs: number
  readonly maxBytes: number
  readonly signal?: AbortSignal
}

/** A completed exchange. */
export interface HttpResult {
  readonly status: number
  readonly contentType: string | null
  readonly body: Uint8Array
}

/**
 * Sends one request and reads the whole body within the limits.
 * @throws {PlcTimeoutError} {PlcResponseTooLargeError} {PlcNetworkError}, or the caller's abort reason.
 */
export async function request(
  url: string,
  init: { method: 'GET' | 'POST'; body?: string; accept?: string },
  limits: RequestLimits,
): Promise<HttpResult> {
  const doFetch = limits.fetch ?? globalThis.fetch
  const timeout = AbortSignal.timeout(limits.timeoutMs)
  const signal = limits.signal ? AbortSignal.any([limits.signal, timeout]) : timeout
  const classify = (err: unknown): unknown => {
    if (err instanceof PlcResponseTooLargeError) return err
    if (limits.signal?.aborted) return limits.signal.reason
    if (timeout.aborted) return new PlcTimeoutError(url, limits.timeoutMs)
    return new PlcNetworkError(url, err)
  }
  let res: Response
  try {
    res = await doFetch(url, {
      method: init.method,
      redirect: 'manual',
      signal,
      headers: {
        ...(init.accept ? { accept: init.accept } : {}),
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.body !== undefined ? { body: init.body } : {}),
    })
  } catch (err) {
    throw classify(err)
  }
  try {
    const body = await readCapped(res, url, limits.maxBytes, signal)
    return { status: res.status, contentType: res.headers.get('content-type'), body }
  } catch (err) {
    throw classify(err)
  }
}

async function readCapped(
  res: Response,
  url: string,
  maxBytes: number,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const declared = res.headers.get('content-length')
  if (declared !== null && Number(declared) > maxBytes) {
    await res.body?.cancel().catch(() => {})
    throw new PlcResponseTooLargeError(url, maxBytes)
  }
  if (res.body === null) return new Uint8Array(0)
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      signal.throwIfAborted()
      const { done, value } = await reader.read()
      if (done) break
      total += value.byteLength
      if (total > maxBytes) {
        await reader.cancel().catch(() => {})
        throw new PlcResponseTooLargeError(url, maxBytes)
      }
      chunks.push(value)
    }
  } finally {
    reader.releaseLock()
  }
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}
