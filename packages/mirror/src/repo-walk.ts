// Reads a repository CAR into verified records: every block hash (@rsky/car), the commit, its DID
// and signature, every tree node's structure and key order (@rsky/repo's walkRecordTree), every record present and a
// strict DAG-CBOR map. The blocks are held by a SpooledBlocks (memory up to a budget, a temporary
// file past it); records are read, checked and handed over one at a time as the walk reaches them,
// so a store can write them inside its transaction without the whole repository in memory.
import { CarError, type CarReadOptions, type CarSource } from '@rsky/car'
import { type Cid, DagCborDecodeError, ensureValidDagCbor } from '@rsky/dag-cbor'
import {
  decodeCommit,
  encodeUnsignedCommit,
  RepoError,
  verifyCommitSignature,
  walkRecordTree,
} from '@rsky/repo'
import { SpooledBlocks, type SpoolOptions } from './block-spool.ts'
import { readCarPrefix } from './car-prefix.ts'
import { MirrorError } from './errors.ts'
import type { CarCheck, SignatureChecker } from './signature-thread.ts'
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

/** Options of {@link openVerifiedRepo} and {@link readVerifiedRepo}. */
export interface ReadRepoOptions extends SpoolOptions {
  did: string
  car: CarSource
  keys: SigningKeys
  carLimits?: CarReadOptions
  maxNodeEntries?: number
  /**
   * Where the commit signature is checked (a `SignatureThread`: on a worker thread, while
   * this one works on other repositories). Default: here, before the call returns.
   */
  signatures?: SignatureChecker
}

/**
 * A repository whose CAR, commit and signature are checked; its records are checked as they are
 * read. `records` walks the tree again on each iteration (until {@link close}) and throws
 * MirrorError `BAD_REPO` at the first bad node or record, after the records before it.
 */
export interface VerifiedRepo extends BackfilledRepo {
  records: Iterable<WalkedRecord>
  /** Distinct blocks in the CAR. */
  readonly blocks: number
  /** Bytes of the CAR that went to the temporary file (0 when it all fit in memory). */
  readonly spooledBytes: number
  /** The records of these collections only (the others are still checked). */
  only(collections: ReadonlySet<string> | undefined): Iterable<WalkedRecord>
  /** Frees the blocks (and the temporary file). */
  close(): void
}

/**
 * A CAR up to this size, with a checker that can check it elsewhere, is read here without hashing
 * its blocks (the checker hashes them); a larger one streams with every block hashed as it is read.
 */
export const SMALL_CAR_BYTES: number = 1024 * 1024

function bad(did: string, message: string, cause?: unknown): MirrorError {
  return new MirrorError('BAD_REPO', message, { did, cause })
}

/**
 * Reads a repository CAR of `did` (blocks past `memoryBytes` go to a temporary file) and checks
 * its commit and signature; the records are checked as they are iterated.
 * @throws MirrorError `BAD_REPO`, `REPO_DID_MISMATCH`, `BAD_SIGNATURE`, `KEY_UNAVAILABLE`; the
 *   source's own errors (e.g. `FETCH_TOO_LARGE`) pass through
 * @example
 * const repo = await openVerifiedRepo({ did, car, keys })
 * try { store.completeBackfill(repo) } finally { repo.close() }
 */
export async function openVerifiedRepo(opts: ReadRepoOptions): Promise<VerifiedRepo> {
  const { did } = opts
  let blocks: SpooledBlocks
  let hashes: Promise<CarCheck> | undefined
  try {
    const spool: SpoolOptions & { carLimits?: CarReadOptions } = {}
    if (opts.memoryBytes !== undefined) spool.memoryBytes = opts.memoryBytes
    if (opts.spoolDir !== undefined) spool.spoolDir = opts.spoolDir
    if (opts.carLimits !== undefined) spool.carLimits = opts.carLimits
    let car = opts.car
    const checker = opts.signatures
    if (checker?.checkCar !== undefined) {
      // A small CAR is read here without hashing its blocks while the checker reads it again,
      // hashing every block, on its thread; nothing of it is used before that check has passed.
      const prefix = await readCarPrefix(car, SMALL_CAR_BYTES)
      if ('whole' in prefix) {
        car = prefix.whole
        hashes = checker.checkCar(prefix.whole, opts.carLimits)
        hashes.catch(() => {})
        spool.carLimits = { ...opts.carLimits, verify: false }
      } else car = prefix.rest
    }
    blocks = await SpooledBlocks.fromStream(car, spool)
  } catch (err) {
    // the source's own errors and the spool directory's pass through as they are
    if (!(err instanceof CarError)) throw err
    throw bad(did, `the CAR is damaged: ${err.message}`, err)
  }
  try {
    const root = blocks.roots[0]
    if (root === undefined) throw bad(did, 'the CAR has no root')
    const bytes = blocks.get(root)
    if (bytes === undefined) throw bad(did, `the commit block is missing; cid=${root}`)
    let commit: ReturnType<typeof decodeCommit>
    try {
      commit = decodeCommit(bytes, root)
    } catch (err) {
      throw bad(did, `the root is not a commit: ${(err as Error).message}`, err)
    }
    if (commit.did !== did)
      throw new MirrorError('REPO_DID_MISMATCH', `the repository is another DID's; got=${commit.did}`, {
        did,
      })
    // A large CAR's one signature is checked here: next to its walk it costs nothing, and it starts
    // no thread (about 27 MiB of RSS) in a run of large repositories only.
    const large = opts.signatures?.checkCar !== undefined && hashes === undefined
    await checkSignature(did, opts.keys, signatureCheck(commit, large ? undefined : opts.signatures))
    await damaged(did, hashes)
    const data = commit.data
    const walk = (keep: ReadonlySet<string> | undefined): Iterable<WalkedRecord> => ({
      [Symbol.iterator]: () => walkRecords(blocks, did, data, opts.maxNodeEntries, keep),
    })
    return {
      did,
      rev: commit.rev ?? '',
      data,
      records: walk(undefined),
      blocks: blocks.size,
      spooledBytes: blocks.spooledBytes,
      only: walk,
      close: () => blocks.close(),
    }
  } catch (err) {
    blocks.close()
    // a damaged block is what the reader would have refused first, before the commit was read
    if (hashes !== undefined) await damaged(did, hashes)
    throw err
  }
}

/** Throws BAD_REPO when the checker found a block that does not hash to its CID. */
async function damaged(did: string, hashes: Promise<CarCheck> | undefined): Promise<void> {
  if (hashes === undefined) return
  const r = await hashes
  if (!r.ok) throw bad(did, `the CAR is damaged: ${r.message}`)
}

/**
 * Reads and verifies a whole repository CAR of `did`, returning all its records in key order
 * (held in memory: for large repositories use {@link openVerifiedRepo}).
 * @throws MirrorError `BAD_REPO`, `REPO_DID_MISMATCH`, `BAD_SIGNATURE`, `KEY_UNAVAILABLE`; the
 *   source's own errors (e.g. `FETCH_TOO_LARGE`) pass through
 */
export async function readVerifiedRepo(
  opts: ReadRepoOptions,
): Promise<BackfilledRepo & { records: WalkedRecord[] }> {
  const repo = await openVerifiedRepo({ memoryBytes: Number.MAX_SAFE_INTEGER, ...opts })
  try {
    return { did: repo.did, rev: repo.rev, data: repo.data, records: [...repo.records] }
  } finally {
    repo.close()
  }
}

function* walkRecords(
  blocks: SpooledBlocks,
  did: string,
  data: Cid,
  maxNodeEntries: number | undefined,
  keep: ReadonlySet<string> | undefined,
): Generator<WalkedRecord, void, undefined> {
  try {
    for (const { key, collection, rkey, cid } of walkRecordTree(blocks, data, { maxNodeEntries })) {
      const n = blocks.indexOf(cid)
      if (n < 0) throw bad(did, `a record is missing; key=${key} cid=${cid}`)
      const record = blocks.bytesAt(n)
      let kind: string
      try {
        kind = ensureValidDagCbor(record)
      } catch (err) {
        if (!(err instanceof DagCborDecodeError)) throw err
        throw bad(did, `a record is not valid DAG-CBOR; key=${key}`, err)
      }
      if (kind !== 'map') throw bad(did, `a record is not a map; key=${key}`)
      if (keep === undefined || keep.has(collection)) yield { collection, rkey, cid, record }
    }
  } catch (err) {
    if (err instanceof RepoError) throw bad(did, `the record tree is invalid: ${err.message}`, err)
    throw err
  }
}

/** How a commit's signature is checked with a key: here, or by `checker` (on its thread). */
function signatureCheck(
  commit: ReturnType<typeof decodeCommit>,
  checker: SignatureChecker | undefined,
): (key: string) => boolean | Promise<boolean> {
  if (checker === undefined) return (key) => verifyCommitSignature(commit, key)
  const unsigned = encodeUnsignedCommit(commit)
  return (key) => checker.verify(key, unsigned, commit.sig)
}

async function checkSignature(
  did: string,
  keys: SigningKeys,
  verifies: (key: string) => boolean | Promise<boolean>,
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
    if (await verifies(key)) return
  }
  throw new MirrorError('BAD_SIGNATURE', 'the commit signature does not verify', { did })
}
