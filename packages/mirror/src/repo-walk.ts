// Reads a repository CAR into verified records: every block hash (@rsky/car), the commit, its DID
// and signature, every tree node's structure and key order (@rsky/repo's walkRecordTree), every record present and a
// strict DAG-CBOR map. Records stay views into the CAR's slabs; nothing is copied until written.
import type { CarReadOptions, CarSource } from '@rsky/car'
import { type Cid, DagCborDecodeError, ensureValidDagCbor } from '@rsky/dag-cbor'
import { CarBlockIndex, decodeCommit, RepoError, verifyCommitSignature, walkRecordTree } from '@rsky/repo'
import { MirrorError } from './errors.ts'
import type { BackfilledRepo } from './types.ts'

/** One record of a verified repository. */
export interface WalkedRecord {
  collection: string
  rkey: string
  cid: Cid
  record: Uint8Array
}

/** Finds the did:key a DID signs with (`forceRefresh` fetches the DID document again). */
export interface SigningKeys {
  resolveAtprotoKey(did: string, opts?: { forceRefresh?: boolean }): Promise<string> | string
}

function bad(did: string, message: string, cause?: unknown): MirrorError {
  return new MirrorError('BAD_REPO', message, { did, cause })
}

/**
 * Reads and verifies a whole repository CAR of `did`, returning its records in key order.
 * @throws MirrorError `BAD_REPO`, `REPO_DID_MISMATCH`, `BAD_SIGNATURE`, `KEY_UNAVAILABLE`; the
 *   source's own errors (e.g. `FETCH_TOO_LARGE`) pass through
 */
export async function readVerifiedRepo(opts: {
  did: string
  car: CarSource
  keys: SigningKeys
  carLimits?: CarReadOptions
  maxNodeEntries?: number
}): Promise<BackfilledRepo & { records: WalkedRecord[] }> {
  const { did } = opts
  let index: CarBlockIndex
  try {
    index = await CarBlockIndex.fromStream(opts.car, opts.carLimits)
  } catch (err) {
    if (err instanceof MirrorError) throw err
    throw bad(did, `the CAR is damaged: ${(err as Error).message}`, err)
  }
  const root = index.roots[0]
  if (root === undefined) throw bad(did, 'the CAR has no root')
  const bytes = index.get(root)
  if (bytes === undefined) throw bad(did, `the commit block is missing; cid=${root}`)
  let commit: ReturnType<typeof decodeCommit>
  try {
    commit = decodeCommit(bytes, root)
  } catch (err) {
    throw bad(did, `the root is not a commit: ${(err as Error).message}`, err)
  }
  if (commit.did !== did)
    throw new MirrorError('REPO_DID_MISMATCH', `the repository is another DID's; got=${commit.did}`, { did })
  await checkSignature(did, commit, opts.keys)

  const records: WalkedRecord[] = []
  try {
    for (const { key, collection, rkey, cid } of walkRecordTree(index, commit.data, {
      maxNodeEntries: opts.maxNodeEntries,
    })) {
      const n = index.indexOf(cid)
      if (n < 0) throw bad(did, `a record is missing; key=${key} cid=${cid}`)
      const record = index.bytesAt(n)
      let kind: string
      try {
        kind = ensureValidDagCbor(record)
      } catch (err) {
        if (!(err instanceof DagCborDecodeError)) throw err
        throw bad(did, `a record is not valid DAG-CBOR; key=${key}`, err)
      }
      if (kind !== 'map') throw bad(did, `a record is not a map; key=${key}`)
      records.push({ collection, rkey, cid, record })
    }
  } catch (err) {
    if (err instanceof RepoError) throw bad(did, `the record tree is invalid: ${err.message}`, err)
    throw err
  }
  return { did, rev: commit.rev ?? '', data: commit.data, records }
}

async function checkSignature(
  did: string,
  commit: ReturnType<typeof decodeCommit>,
  keys: SigningKeys,
): Promise<void> {
  for (const forceRefresh of [false, true]) {
    let key: string
    try {
      key = await keys.resolveAtprotoKey(did, forceRefresh ? { forceRefresh: true } : {})
    } catch (err) {
      throw new MirrorError('KEY_UNAVAILABLE', `could not get the signing key: ${(err as Error).message}`, {
        did,
        cause: err,
      })
    }
    // A failure is checked once more on a fresh document: the key may have rotated.
    if (verifyCommitSignature(commit, key)) return
  }
  throw new MirrorError('BAD_SIGNATURE', 'the commit signature does not verify', { did })
}
