// CORS for browser callers: preflight answers and the headers added to every response.

/** CORS settings; `true` in server options means these defaults. */
export interface CorsOptions {
  /** Allowed origins; `'*'` (default) allows any. A list echoes the request's origin when listed. */
  origin?: '*' | readonly string[]
  /** Seconds a preflight may be cached; default 86400. */
  maxAge?: number
  /** Extra request headers to allow (the XRPC ones are always allowed). */
  allowHeaders?: readonly string[]
}

const ALLOW_HEADERS = ['authorization', 'content-type', 'atproto-proxy', 'atproto-accept-labelers', 'dpop']
const EXPOSE_HEADERS = [
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'ratelimit-policy',
  'retry-after',
  'atproto-content-labelers',
  'atproto-repo-rev',
  'dpop-nonce',
  'www-authenticate',
].join(', ')

/** Resolved CORS policy. */
export interface CorsPolicy {
  /** Headers for a response to a request from `origin` (undefined when not allowed). */
  headers(origin: string | undefined): Record<string, string> | undefined
  /** Headers for a preflight (`OPTIONS`) from `origin`. */
  preflight(origin: string | undefined): Record<string, string> | undefined
}

/** Builds a {@link CorsPolicy} from options. */
export function corsPolicy(opts: CorsOptions = {}): CorsPolicy {
  const any = opts.origin === undefined || opts.origin === '*'
  const list = new Set(any ? [] : opts.origin)
  const allow = [...ALLOW_HEADERS, ...(opts.allowHeaders ?? []).map((h) => h.toLowerCase())].join(', ')
  const maxAge = String(opts.maxAge ?? 86400)
  const originFor = (origin: string | undefined): string | undefined => {
    if (any) return '*'
    return origin !== undefined && list.has(origin) ? origin : undefined
  }
  return {
    headers(origin) {
      const o = originFor(origin)
      if (o === undefined) return undefined
      const h: Record<string, string> = {
        'access-control-allow-origin': o,
        'access-control-expose-headers': EXPOSE_HEADERS,
      }
      if (!any) h.vary = 'Origin'
      return h
    },
    preflight(origin) {
      const o = originFor(origin)
      if (o === undefined) return undefined
      const h: Record<string, string> = {
        'access-control-allow-origin': o,
        'access-control-allow-methods': 'GET, HEAD, POST, OPTIONS',
        'access-control-allow-headers': allow,
        'access-control-max-age': maxAge,
      }
      if (!any) h.vary = 'Origin'
      return h
    },
  }
}
