// The record reader without the signature code (see read-records.ts for the one that has it).
// One call from a repository CAR to its verified records, in key order. Built on the same pieces as
// verifyRepoCar (the typed-array block index, the depth-first walk with each node decoded when
// reached and dropped when left), but each record is decoded and handed over as it is reached, so a
// caller holds the CAR's bytes plus one path of tree nodes and one record, never every record.
import type { CarReadOptions, CarSource } from '@rsky/car'
import { type Cid, DagCborDecodeError, decode, isLexMap, type LexMap } from '@rsky/dag-cbor'
import { DEFAULT_NODE_LIMITS, decodeNode, type MstNode, type NodeLimits, type NodeRef } from '@rsky/mst'
import { asRepoError } from './as-repo-error.ts'
import { CarBlockIndex } from './block-index.ts'
import { type CommitSignatureCheck, checkCommitWith } from './check-commit.ts'
import { InvalidCarRootError, InvalidRecordError, MissingBlockError, RepoError } from './errors.ts'

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

function limitsOf(max: number | undefined): NodeLimits {
  if (max === undefined) return DEFAULT_NODE_LIMITS
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('maxNodeEntries must be a positive integer')
  return { maxNodeEntries: max }
}

function nodeAt(index: CarBlockIndex, cid: Cid, ref: NodeRef | null, limits: NodeLimits): MstNode {
  const n = index.indexOf(cid)
  if (n < 0) throw new MissingBlockError(cid, 'MST node')
  const bytes = index.bytesAt(n)
  try {
    return ref === null
      ? decodeNode(bytes, cid, { limits })
      : decodeNode(bytes, cid, { layer: ref.layer, lo: ref.lo, hi: ref.hi, limits })
  } catch (err) {
    throw asRepoError(err)
  }
}

function recordAt(index: CarBlockIndex, key: string, cid: Cid): LexMap {
  const n = index.indexOf(cid)
  if (n < 0) throw new MissingBlockError(cid, `record ${key}`)
  let value: unknown
  try {
    value = decode(index.bytesAt(n))
  } catch (err) {
    if (!(err instanceof DagCborDecodeError)) throw err
    throw new InvalidRecordError(key, 'not valid DAG-CBOR', { cid, cause: err })
  }
  if (!isLexMap(value)) throw new InvalidRecordError(key, 'not a map', { cid })
  return value as LexMap
}

/**
 * Verifies a repository CAR and yields its records in key order as `{ collection, rkey, cid, record }`.
 * Before the first record: every block's hash, the commit's shape, its DID (`did`) and signature
 * (`key`, checked with `verifyCommitSignature`; without a key the signature is not checked; a
 * key without `verifyCommitSignature` is a TypeError). During the walk: every tree node's structure,
 * layer and key order, every node and record block present, every record a strict DAG-CBOR map.
 * A problem found mid-walk raises from the iteration after the records before it were yielded:
 * treat the records as verified only once the loop ends without an error.
 * @throws CarError subclasses (damaged CAR, with the byte offset); InvalidCarRootError,
 *   DidMismatchError, InvalidSignatureError, MissingBlockError, InvalidRecordError, RepoError BAD_TREE
 * @example
 * for await (const { collection, rkey, record } of readRepoRecords(car, { did })) console.log(collection, rkey, record)
 */
export async function* readRepoRecords(
  car: Uint8Array | CarSource,
  opts: ReadRepoRecordsOptions = {},
): AsyncGenerator<RepoRecordEntry, void, undefined> {
  const limits = limitsOf(opts.maxNodeEntries)
  if (opts.collection !== undefined && (typeof opts.collection !== 'string' || opts.collection.includes('/')))
    throw new TypeError('collection must be an NSID string without "/"')
  const index =
    car instanceof Uint8Array
      ? CarBlockIndex.fromBytes(car, opts.car)
      : await CarBlockIndex.fromStream(car, opts.car)
  const root = index.roots[0]
  if (root === undefined) throw new InvalidCarRootError('the CAR has no root')
  const { commit } = checkCommitWith(root, index.get(root), opts, opts.verifyCommitSignature)
  const prefix = opts.collection === undefined ? null : `${opts.collection}/`

  // In-order walk: slot i of a node is its child i, then its key i.
  const nodes: MstNode[] = [nodeAt(index, commit.data, null, limits)]
  const slots: number[] = [0]
  const descended: boolean[] = [false]
  while (nodes.length > 0) {
    const top = nodes.length - 1
    const node = nodes[top] as MstNode
    const i = slots[top] as number
    if (!descended[top]) {
      descended[top] = true
      const child = node.child(i)
      if (child !== null) {
        const ref = child as NodeRef
        // With a collection filter, a subtree entirely outside the collection is skipped unread.
        if (prefix === null || mayHold(ref, prefix)) {
          nodes.push(nodeAt(index, ref.cid, ref, limits))
          slots.push(0)
          descended.push(false)
          continue
        }
      }
    }
    if (i >= node.keys.length) {
      nodes.pop()
      slots.pop()
      descended.pop()
      continue
    }
    slots[top] = i + 1
    descended[top] = false
    const key = node.keys[i] as string
    if (prefix !== null && !key.startsWith(prefix)) {
      if (key > prefix) return // keys are in order: nothing later can match
      continue
    }
    const slash = key.indexOf('/')
    if (slash <= 0)
      throw new RepoError('BAD_TREE', `invalid record tree: key without a collection; key=${key}`)
    const cid = node.values[i] as Cid
    yield {
      collection: key.slice(0, slash),
      rkey: key.slice(slash + 1),
      cid,
      record: recordAt(index, key, cid),
    }
  }
}

/** Whether a subtree bounded by (lo, hi) can hold a key starting with `prefix`. */
function mayHold(ref: NodeRef, prefix: string): boolean {
  const { lo, hi } = ref
  if (hi !== null && hi !== undefined && hi <= prefix) return false
  if (lo !== null && lo !== undefined && lo > prefix && !lo.startsWith(prefix)) return false
  return true
}
