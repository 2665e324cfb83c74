// Which repositories a host holds: `com.atproto.sync.listRepos` (every repository), and
// `com.atproto.sync.listReposByCollection` (those with a record in a collection; relays and some
// PDSes have it, the reference PDS does not), both paged.
import { isValidNsid } from '@rsky/syntax'
import { MirrorError } from './errors.ts'

/** Paging and transport options of the listings. */
export interface ListOptions {
  /** Page size asked of the host (default 1,000 for listRepos, 2,000 for listReposByCollection). */
  limit?: number
  /** Most pages followed (default 100,000). */
  pages?: number
  fetch?: typeof fetch
  /** Per-page timeout in ms (default 30,000). */
  timeoutMs?: number
}

/**
 * Every DID a host lists (`com.atproto.sync.listRepos`, followed page by page).
 * @throws MirrorError `HOST_UNREACHABLE` when the host does not answer, `FETCH_FAILED` on a bad page
 */
export async function listRepos(service: string, opts: ListOptions = {}): Promise<string[]> {
  return listPaged(service, 'com.atproto.sync.listRepos', {}, { limit: 1000, ...opts })
}

/**
 * Every DID a host lists as holding a record of `collection`
 * (`com.atproto.sync.listReposByCollection`, page by page).
 * @throws TypeError when `collection` is not an NSID; MirrorError `SCOPE_UNSUPPORTED` when the
 *   host does not serve the method (404, 501 or XRPC `MethodNotImplemented`; 401, as the reference
 *   PDS answers: it would proxy the call to an AppView), `HOST_UNREACHABLE`,
 *   `FETCH_FAILED`
 * @example const dids = await listReposByCollection('https://relay.example', 'app.bsky.feed.post')
 */
export async function listReposByCollection(
  service: string,
  collection: string,
  opts: ListOptions = {},
): Promise<string[]> {
  if (typeof collection !== 'string' || !isValidNsid(collection))
    throw new TypeError(`listReposByCollection: collection must be an NSID; collection=${String(collection)}`)
  return listPaged(
    service,
    'com.atproto.sync.listReposByCollection',
    { collection },
    { limit: 2000, ...opts },
  )
}

/** XRPC error names meaning "this host does not have the method". */
const NOT_IMPLEMENTED: ReadonlySet<string> = new Set(['MethodNotImplemented', 'XRPCNotSupported'])

async function listPaged(
  service: string,
  method: string,
  params: Record<string, string>,
  opts: ListOptions & { limit: number },
): Promise<string[]> {
  const doFetch = opts.fetch ?? globalThis.fetch
  const maxPages = opts.pages ?? 100_000
  const out: string[] = []
  const seen = new Set<string>()
  let cursor: string | undefined
  for (let page = 0; page < maxPages; page++) {
    const url = new URL(`/xrpc/${method}`, service)
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
    url.searchParams.set('limit', String(opts.limit))
    if (cursor !== undefined) url.searchParams.set('cursor', cursor)
    let res: Response
    try {
      res = await doFetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) })
    } catch (err) {
      throw new MirrorError(
        'HOST_UNREACHABLE',
        `the host does not answer: ${describe(err)}; url=${service}`,
        {
          cause: err,
        },
      )
    }
    const name = method.slice(method.lastIndexOf('.') + 1)
    if (!res.ok) {
      const error = await xrpcErrorName(res)
      // 401: the reference PDS sends sync methods it lacks on to an AppView, which needs auth
      if (res.status === 401 || res.status === 404 || res.status === 501 || NOT_IMPLEMENTED.has(error))
        throw new MirrorError(
          'SCOPE_UNSUPPORTED',
          `the host does not implement ${method}; status=${res.status} error=${error || '-'} url=${service}`,
        )
      throw new MirrorError('FETCH_FAILED', `${name} failed; status=${res.status} url=${service}`)
    }
    let body: { cursor?: unknown; repos?: unknown }
    try {
      body = (await res.json()) as typeof body
    } catch (err) {
      throw new MirrorError('FETCH_FAILED', `${name} sent no JSON; url=${service}`, { cause: err })
    }
    if (!Array.isArray(body.repos))
      throw new MirrorError('FETCH_FAILED', `${name} sent no repos; url=${service}`)
    for (const r of body.repos as { did?: unknown }[]) {
      const did = r?.did
      // a host that pages badly may repeat a DID: listed once
      if (typeof did === 'string' && !seen.has(did)) {
        seen.add(did)
        out.push(did)
      }
    }
    if (typeof body.cursor !== 'string' || body.repos.length === 0 || body.cursor === cursor) break
    cursor = body.cursor
  }
  return out
}

/** The XRPC `error` name of a failed response, or '' (at most 64 KiB of the body is read). */
async function xrpcErrorName(res: Response): Promise<string> {
  const reader = res.body?.getReader()
  if (reader === undefined) return ''
  const parts: Uint8Array[] = []
  let size = 0
  try {
    while (size < 65_536) {
      const { done, value } = await reader.read()
      if (done) break
      parts.push(value)
      size += value.length
    }
    await reader.cancel().catch(() => {})
    const error = (JSON.parse(Buffer.concat(parts).toString('utf8')) as { error?: unknown }).error
    return typeof error === 'string' ? error : ''
  } catch {
    return ''
  }
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause
  return cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err)
}

/**
 * Checks that a host answers HTTP at all (any status will do: only reaching it matters here).
 * @throws MirrorError `HOST_UNREACHABLE`
 */
export async function probeHost(
  service: string,
  opts: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<void> {
  const doFetch = opts.fetch ?? globalThis.fetch
  try {
    const res = await doFetch(new URL('/xrpc/_health', service), {
      signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
    })
    await res.body?.cancel()
  } catch (err) {
    throw new MirrorError('HOST_UNREACHABLE', `the host does not answer: ${describe(err)}; url=${service}`, {
      cause: err,
    })
  }
}
