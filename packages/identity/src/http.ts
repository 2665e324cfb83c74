// One bounded HTTP GET used by every resolver: a timeout over the whole exchange (headers and
// body), the caller's AbortSignal, a byte cap enforced while streaming, and redirects followed by
// hand so that a hop to another host is refused unless the caller allowed it.
import {
  NetworkError,
  RedirectRefusedError,
  ResolutionTimeoutError,
  ResponseTooLargeError,
} from './errors.ts'

/** The subset of `fetch` the resolvers use; pass your own to add proxies or SSRF filtering. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>

/** How redirects are handled. Defaults: up to 3 hops, same origin only. */
export interface RedirectPolicy {
  readonly maxRedirects?: number
  /** Follow redirects to another host (still http(s) only). Default false. */
  readonly allowCrossHost?: boolean
}

/** Options of one bounded GET. */
export interface HttpGetOptions {
  readonly fetch?: FetchLike
  readonly timeoutMs: number
  readonly maxBytes: number
  readonly signal?: AbortSignal
  readonly accept?: string
  readonly redirects?: RedirectPolicy
  /** Send a POST with this body instead of a GET (redirects are then refused). */
  readonly body?: { readonly bytes: Uint8Array; readonly contentType: string }
}

/** A completed response: final URL, status and the whole (capped) body. */
export interface HttpGetResult {
  readonly url: string
  readonly status: number
  readonly contentType: string | null
  readonly body: Uint8Array
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

/**
 * GET `url` within the limits.
 * @throws {ResolutionTimeoutError} {ResponseTooLargeError} {RedirectRefusedError} {NetworkError},
 *   or the caller's abort reason when `signal` fires first.
 */
export async function httpGet(url: string, opts: HttpGetOptions): Promise<HttpGetResult> {
  const doFetch: FetchLike = opts.fetch ?? globalThis.fetch
  const timeout = AbortSignal.timeout(opts.timeoutMs)
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout
  const maxRedirects = opts.body ? 0 : (opts.redirects?.maxRedirects ?? 3)
  const crossHost = opts.redirects?.allowCrossHost ?? false
  let current = url
  try {
    for (let hop = 0; ; hop++) {
      let res: Response
      try {
        res = await doFetch(current, {
          method: opts.body ? 'POST' : 'GET',
          redirect: 'manual',
          signal,
          headers: {
            ...(opts.accept ? { accept: opts.accept } : {}),
            ...(opts.body ? { 'content-type': opts.body.contentType } : {}),
          },
          ...(opts.body ? { body: opts.body.bytes as BodyInit } : {}),
        })
      } catch (err) {
        throw classify(err, { url: current, opts, timeout })
      }
      if (REDIRECT_STATUSES.has(res.status)) {
        await res.body?.cancel().catch(() => {})
        current = nextLocation({
          from: current,
          location: res.headers.get('location'),
          hop,
          maxRedirects,
          crossHost,
        })
        continue
      }
      const body = await readCapped(res, { url: current, maxBytes: opts.maxBytes, signal }).catch(
        (err: unknown) => {
          throw classify(err, { url: current, opts, timeout })
        },
      )
      return { url: current, status: res.status, contentType: res.headers.get('content-type'), body }
    }
  } catch (err) {
    throw classify(err, { url: current, opts, timeout })
  }
}

interface Hop {
  readonly from: string
  readonly location: string | null
  readonly hop: number
  readonly maxRedirects: number
  readonly crossHost: boolean
}

function nextLocation({ from, location, hop, maxRedirects, crossHost }: Hop): string {
  if (location === null) throw new RedirectRefusedError(from, '', 'missing location header')
  if (hop >= maxRedirects) throw new RedirectRefusedError(from, location, 'too many redirects')
  let next: URL
  try {
    next = new URL(location, from)
  } catch {
    throw new RedirectRefusedError(from, location, 'unparseable location')
  }
  if (next.protocol !== 'https:' && next.protocol !== 'http:') {
    throw new RedirectRefusedError(from, location, 'not an http(s) URL')
  }
  const prev = new URL(from)
  if (!crossHost && next.host !== prev.host)
    throw new RedirectRefusedError(from, location, 'cross-host redirect')
  // Never downgrade https to http, even on the same host.
  if (prev.protocol === 'https:' && next.protocol === 'http:') {
    throw new RedirectRefusedError(from, location, 'https to http downgrade')
  }
  return next.href
}

async function readCapped(
  res: Response,
  { url, maxBytes, signal }: { url: string; maxBytes: number; signal: AbortSignal },
): Promise<Uint8Array> {
  const declared = res.headers.get('content-length')
  if (declared !== null && Number(declared) > maxBytes) {
    await res.body?.cancel().catch(() => {})
    throw new ResponseTooLargeError(url, maxBytes)
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
        throw new ResponseTooLargeError(url, maxBytes)
      }
      chunks.push(value)
    }
  } finally {
    reader.releaseLock()
  }
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}

// Turn whatever fetch threw into one of our errors; the caller's own abort passes through as is.
function classify(
  err: unknown,
  { url, opts, timeout }: { url: string; opts: HttpGetOptions; timeout: AbortSignal },
): unknown {
  if (err instanceof ResponseTooLargeError || err instanceof RedirectRefusedError) return err
  if (err instanceof ResolutionTimeoutError || err instanceof NetworkError) return err
  if (opts.signal?.aborted) return opts.signal.reason
  if (timeout.aborted) return new ResolutionTimeoutError(url, opts.timeoutMs)
  return new NetworkError(url, err)
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Decode a body as strict UTF-8; `undefined` when it is not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes)
  } catch {
    return undefined
  }
}
