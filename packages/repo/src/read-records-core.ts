// The record reader without the signature code (see read-records.ts for the one that has it).
// One call from a repository CAR to its verified records, in key order. Built on the same pieces as
// verifyRepoCar (the typed-array block index, a Map in browsers: #bytes-index; the depth-first walk with each node decoded when
// reached and dropped when left), but each record is decoded and handed over as it is reached, so a
// caller holds the CAR's bytes plus one path of tree nodes and one record, never every record.
import type { CarReadOptions, CarSource } from '@rsky/car'
import { type Cid, DagCborDecodeError, decodeBlock, isLexMap, type LexMap } from '@rsky/dag-cbor'
import { type BytesIndex, indexCarBytes } from '#bytes-index'
import { CarBlockIndex, indexCarStream } from './block-index.ts'
import { type CommitSignatureCheck, checkCommitWith } from './check-commit.ts'
import { InvalidCarRootError, InvalidRecordError, MissingBlockError } from './errors.ts'
import { nodeLimitsOf, walkRecordTree } from './tree-walk.ts'

/** One record of a repository, as {@link readRepoRecords} yields it. */
export interface RepoRecordEntry {
  /** NSID of the collection, e.g. `app.bsky.feed.post`. */
  collection: string
  /** Record key within the collection. */
  rkey: string
  /** CID of the record block (hash-checked against its bytes). */
  cid: Cid
  /** The record, decoded from strict DAG-CBOR (CIDs as `Cid`, bytes as `Uint8Array`). */
  record: LexMap
}

/** Options of {@link readRepoRecords}. */
export interface ReadRepoRecordsOptions {
  /** The DID the commit must be for. */
  did?: string
  /**
   * The did:key the commit must be signed with; without it the signature is not checked. From
   * `@rsky/repo/read`, a key needs `verifyCommitSignature` too.
   */
  key?: string
  /**
   * How to check the signature when `key` is given. `@rsky/repo` passes its own
   * `verifyCommitSignature` by default; the light `@rsky/repo/read` entry has none, so a browser
   * app that only reads records does not ship the elliptic-curve code.
   */
  verifyCommitSignature?: CommitSignatureCheck
  /** Limits for reading the CAR (block size, total size). */
  car?: CarReadOptions
  /** Most entries one tree node may hold (default 8,192): a defence against mined keys. */
  maxNodeEntries?: number
  /** Only records of this collection (the walk still checks the whole tree's structure up to it). */
  collection?: string
}

function recordAt(index: BytesIndex, key: string, cid: Cid): LexMap {
  const n = index.indexOf(cid)
  if (n < 0) throw new MissingBlockError(cid, `record ${key}`)
  let value: unknown
  try {
    value = decodeBlock(index.bytesAt(n))
  } catch (err) {
    if (!(err instanceof DagCborDecodeError)) throw err
    throw new InvalidRecordError(key, 'not DAG-CBOR', { cid, cause: err })
  }
  if (!isLexMap(value)) throw new InvalidRecordError(key, 'not a map', { cid })
  return value as LexMap
}

function checkOptions(opts: ReadRepoRecordsOptions): void {
  nodeLimitsOf(opts.maxNodeEntries) // a bad limit is a RangeError before the CAR is read
  if (opts.collection !== undefined && (typeof opts.collection !== 'string' || opts.collection.includes('/')))
    throw new TypeError('collection must be an NSID string without "/"')
}

/** The commit checks, then each record as the walk reaches it. */
function* recordsOf(
  index: BytesIndex,
  opts: ReadRepoRecordsOptions,
): Generator<RepoRecordEntry, void, undefined> {
  const root = index.roots[0]
  if (root === undefined) throw new InvalidCarRootError('no root')
  const at = index.indexOf(root)
  const { commit } = checkCommitWith(
    root,
    at < 0 ? undefined : index.bytesAt(at),
    opts,
    opts.verifyCommitSignature,
  )
  // the walk reads maxNodeEntries and collection from the options
  for (const entry of walkRecordTree(index, commit.data, opts)) {
    yield {
      collection: entry.collection,
      rkey: entry.rkey,
      cid: entry.cid,
      record: recordAt(index, entry.key, entry.cid),
    }
  }
}

/**
 * {@link readRepoRecords} for a CAR already in memory, as a plain (synchronous) iterator: the same
 * checks, in the same order, with the same errors, and no stream reader in the bundle.
 * @throws the errors of {@link readRepoRecords}
 * @example
 * for (const { collection, rkey, record } of iterateRepoRecords(carBytes, { did })) console.log(collection, rkey, record)
 */
export function* iterateRepoRecords(
  car: Uint8Array,
  opts: ReadRepoRecordsOptions = {},
): Generator<RepoRecordEntry, void, undefined> {
  checkOptions(opts)
  if (!(car instanceof Uint8Array)) throw new TypeError('car must be a Uint8Array')
  yield* recordsOf(indexCarBytes(car, opts.car), opts)
}

/**
 * Verifies a repository CAR and yields its records in key order as `{ collection, rkey, cid, record }`.
 * Before the first record: every block's hash, the commit's shape, its DID (`did`) and signature
 * (`key`, checked with `verifyCommitSignature`; without a key the signature is not checked; a
 * key without `verifyCommitSignature` is a TypeError). During the walk: every tree node's structure,
 * layer and key order, every node and record block present, every record a strict DAG-CBOR map.
 * A problem found mid-walk raises from the iteration after the records before it were yielded:
 * treat the records as verified only once the loop ends without an error. For bytes already in
 * memory, {@link iterateRepoRecords} does the same synchronously.
 * @throws CarError subclasses (damaged CAR, with the byte offset); InvalidCarRootError,
 *   DidMismatchError, InvalidSignatureError, MissingBlockError, InvalidRecordError, RepoError BAD_TREE
 * @example
 * for await (const { collection, rkey, record } of readRepoRecords(car, { did })) console.log(collection, rkey, record)
 */
export async function* readRepoRecords(
  car: Uint8Array | CarSource,
  opts: ReadRepoRecordsOptions = {},
): AsyncGenerator<RepoRecordEntry, void, undefined> {
  checkOptions(opts)
  const index =
    car instanceof Uint8Array ? CarBlockIndex.fromBytes(car, opts.car) : await indexCarStream(car, opts.car)
  yield* recordsOf(index, opts)
}
