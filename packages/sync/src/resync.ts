import type { Cid } from '@rsky/dag-cbor'
import { encodeUnsignedCommit, loadRepoCar, verifyRepoCar } from '@rsky/repo'
import type { SignatureVerifier } from './keys.ts'

/** Fetches a repository CAR (`com.atproto.sync.getRepo`) for a DID. */
export type RepoFetcher = (did: string, opts: { signal?: AbortSignal | undefined }) => Promise<Uint8Array>

/** A repository fetched and verified by {@link resyncRepo}. */
export interface ResyncedRepo {
  did: string
  rev: string
  commit: Cid
  data: Cid
  records: number
  /** The CAR bytes, for the caller to diff against its record table. */
  car: Uint8Array
}

/** Raised by {@link resyncRepo} when the fetched repository does not verify. */
export class ResyncError extends Error {
  override name = 'ResyncError'
  readonly code: 'RESYNC_FETCH_FAILED' | 'RESYNC_BAD_REPO' | 'RESYNC_BAD_SIGNATURE'
  readonly did: string
  constructor(code: ResyncError['code'], did: string, message: string, cause?: unknown) {
    super(`${message}; did=${did}`, cause === undefined ? {} : { cause })
    this.code = code
    this.did = did
  }
}

/**
 * A {@link RepoFetcher} calling `GET {service}/xrpc/com.atproto.sync.getRepo?did=...` with a
 * size cap (default 512 MiB). Fetch from the stream's own host first (spec: spares the PDS).
 * @example const fetchRepo = getRepoFetcher('https://relay.example')
 */
export function getRepoFetcher(
  service: string,
  opts: { fetch?: typeof fetch; maxBytes?: number } = {},
): RepoFetcher {
  const doFetch = opts.fetch ?? globalThis.fetch
  const maxBytes = opts.maxBytes ?? 512 * 1024 * 1024
  return async (did, { signal }) => {
    const url = new URL('/xrpc/com.atproto.sync.getRepo', service)
    url.searchParams.set('did', did)
    const res = await doFetch(url, signal ? { signal } : {})
    if (!res.ok || !res.body) throw new Error(`getRepo failed; status=${res.status}`)
    const chunks: Uint8Array[] = []
    let size = 0
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length
      if (size > maxBytes) throw new Error(`getRepo response too large; max=${maxBytes}`)
      chunks.push(chunk)
    }
    const out = new Uint8Array(size)
    let off = 0
    for (const c of chunks) {
      out.set(c, off)
      off += c.length
    }
    return out
  }
}

/**
 * Fetches a repository and verifies all of it with @rsky/repo (every block hash, the tree, the
 * records present) and the commit signature with the account's key.
 * @throws {ResyncError} naming what failed
 * @example const repo = await resyncRepo({ did, fetchRepo: getRepoFetcher(host), keys })
 */
export async function resyncRepo(opts: {
  did: string
  fetchRepo: RepoFetcher
  keys: SignatureVerifier
  signal?: AbortSignal
}): Promise<ResyncedRepo> {
  const { did } = opts
  let car: Uint8Array
  try {
    car = await opts.fetchRepo(did, { signal: opts.signal })
  } catch (err) {
    throw new ResyncError(
      'RESYNC_FETCH_FAILED',
      did,
      `could not fetch the repository: ${(err as Error)?.message}`,
      err,
    )
  }
  try {
    const loaded = await loadRepoCar(car, { did })
    const ok = await opts.keys.verifySignatureForDid(
      did,
      encodeUnsignedCommit(loaded.commit),
      loaded.commit.sig,
    )
    if (!ok) throw new ResyncError('RESYNC_BAD_SIGNATURE', did, 'repository commit signature does not verify')
    const v = await verifyRepoCar(car, { did })
    return { did, rev: v.rev, commit: v.commit, data: v.data, records: v.records, car }
  } catch (err) {
    if (err instanceof ResyncError) throw err
    throw new ResyncError(
      'RESYNC_BAD_REPO',
      did,
      `repository does not verify: ${(err as Error)?.message}`,
      err,
    )
  }
}
