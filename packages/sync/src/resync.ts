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

/**
 * Why a resync failed: the fetch, the repository's blocks or tree, its signature, or (with
 * `atLeast`) a repository older than the state the stream announced (`RESYNC_ROLLBACK`) or a
 * different tree under the same rev (`RESYNC_FORK`).
 */
export type ResyncErrorCode =
  | 'RESYNC_FETCH_FAILED'
  | 'RESYNC_BAD_REPO'
  | 'RESYNC_BAD_SIGNATURE'
  | 'RESYNC_ROLLBACK'
  | 'RESYNC_FORK'

/** The oldest repository state a resync may accept: what the triggering event announced. */
export interface ResyncFloor {
  /** The event's rev: the fetched commit's rev must be at least this. */
  rev: string
  /** The event's MST root: at the same rev, the fetched tree must be this one. */
  data?: Cid | undefined
}

/** Raised by {@link resyncRepo} when the fetched repository does not verify. */
export class ResyncError extends Error {
  override name = 'ResyncError'
  readonly code: ResyncErrorCode
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
 * records present) and the commit signature with the account's key. With `atLeast` (the rev and
 * tree of the `#sync` or `#commit` that asked for the resync), a repository older than that is
 * refused: a relay or mirror serving a stale copy must not roll the repository back.
 * @throws {ResyncError} naming what failed
 * @example const repo = await resyncRepo({ did, fetchRepo: getRepoFetcher(host), keys, atLeast: { rev, data } })
 */
export async function resyncRepo(opts: {
  did: string
  fetchRepo: RepoFetcher
  keys: SignatureVerifier
  signal?: AbortSignal
  atLeast?: ResyncFloor | undefined
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
    // cheap, so before the full tree walk; TIDs of one length compare in time order as strings
    const floor = opts.atLeast
    const rev = loaded.commit.rev ?? ''
    if (floor !== undefined) {
      if (rev < floor.rev)
        throw new ResyncError(
          'RESYNC_ROLLBACK',
          did,
          `fetched repository is older than the event; rev=${rev} required=${floor.rev}`,
        )
      if (rev === floor.rev && floor.data !== undefined && !loaded.commit.data.equals(floor.data))
        throw new ResyncError(
          'RESYNC_FORK',
          did,
          `fetched repository has another tree under the event's rev; rev=${rev} data=${loaded.commit.data.toString()} expected=${floor.data.toString()}`,
        )
    }
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
