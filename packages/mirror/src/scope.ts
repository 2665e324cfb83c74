// Which repositories a host holds: `com.atproto.sync.listRepos`, paged.
import { MirrorError } from './errors.ts'

/**
 * Every DID a host lists (`com.atproto.sync.listRepos`, followed page by page).
 * @throws MirrorError `HOST_UNREACHABLE` when the host does not answer, `FETCH_FAILED` on a bad page
 */
export async function listRepos(
  service: string,
  opts: { limit?: number; pages?: number; fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<string[]> {
  const doFetch = opts.fetch ?? globalThis.fetch
  const limit = opts.limit ?? 1000
  const maxPages = opts.pages ?? 100_000
  const out: string[] = []
  let cursor: string | undefined
  for (let page = 0; page < maxPages; page++) {
    const url = new URL('/xrpc/com.atproto.sync.listRepos', service)
    url.searchParams.set('limit', String(limit))
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
    if (!res.ok)
      throw new MirrorError('FETCH_FAILED', `listRepos failed; status=${res.status} url=${service}`)
    let body: { cursor?: unknown; repos?: unknown }
    try {
      body = (await res.json()) as typeof body
    } catch (err) {
      throw new MirrorError('FETCH_FAILED', `listRepos sent no JSON; url=${service}`, { cause: err })
    }
    if (!Array.isArray(body.repos))
      throw new MirrorError('FETCH_FAILED', `listRepos sent no repos; url=${service}`)
    for (const r of body.repos as { did?: unknown }[]) if (typeof r?.did === 'string') out.push(r.did)
    if (typeof body.cursor !== 'string' || body.repos.length === 0 || body.cursor === cursor) break
    cursor = body.cursor
  }
  return out
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
