// The in-order walk of a repository's record tree inside a CAR block index: each node decoded (and
// checked: structure, layer, key bounds, entry limit) when reached and dropped when left, so a
// caller holds one path of nodes, never the whole tree. readRepoRecords and @rsky/mirror's backfill
// read records through it. (verifyRepoCar keeps its own loop: it also counts every block it reaches.)
import type { Cid } from '@rsky/dag-cbor'
import {
  DEFAULT_NODE_LIMITS,
  decodeNodeEntries,
  InvalidMstNodeError,
  type NodeEntries,
  type NodeLimits,
  type NodePlace,
} from '@rsky/mst'
import { badTreeError } from './as-repo-error.ts'
import { MissingBlockError, RepoError } from './errors.ts'

/**
 * Where the walk finds blocks by CID: a `CarBlockIndex`, or any
 * store with the same two lookups (e.g. blocks spooled to a file).
 */
export interface TreeBlocks {
  /** Block number of `cid`, or -1 when absent. */
  indexOf(cid: Cid): number
  /** Bytes of block number `n`. */
  bytesAt(n: number): Uint8Array
}

/** One leaf of the record tree: `collection/rkey` and the record's CID (the block may be absent). */
export interface TreeEntry {
  key: string
  collection: string
  rkey: string
  cid: Cid
}

/** Options of {@link walkRecordTree}. */
export interface WalkRecordTreeOptions {
  /** Most entries one tree node may hold (default 8,192): a defence against mined keys. */
  maxNodeEntries?: number
  /** Only the entries of this collection; subtrees entirely outside it are not read. */
  collection?: string
}

/** The node-entry limit of `max`, checked. */
export function nodeLimitsOf(max: number | undefined): NodeLimits {
  if (max === undefined) return DEFAULT_NODE_LIMITS
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('maxNodeEntries must be a positive integer')
  return { maxNodeEntries: max }
}

function nodeAt(index: TreeBlocks, cid: Cid, place: NodePlace): NodeEntries {
  const n = index.indexOf(cid)
  if (n < 0) throw new MissingBlockError(cid, 'MST node')
  try {
    return decodeNodeEntries(index.bytesAt(n), cid, place)
  } catch (err) {
    // decodeNodeEntries raises InvalidMstNodeError only: asRepoError's other cases (and their
    // error classes) need not come into a reader's bundle.
    throw err instanceof InvalidMstNodeError ? badTreeError(err) : err
  }
}

/** Whether a subtree bounded by (lo, hi) can hold a key starting with `prefix`. */
function mayHold(lo: string | null, hi: string | null, prefix: string): boolean {
  if (hi !== null && hi <= prefix) return false
  if (lo !== null && lo > prefix && !lo.startsWith(prefix)) return false
  return true
}

/**
 * Walks the record tree rooted at `data` (a commit's `data` CID) in key order, yielding each leaf.
 * Record blocks are not read: look them up in `index` by `cid`.
 * @throws MissingBlockError for an absent node; RepoError BAD_TREE for a malformed node, keys out of
 *   order or a key without a collection (raised from the iteration, after the entries before it)
 * @example for (const { key, cid } of walkRecordTree(index, commit.data)) console.log(key, index.get(cid))
 */
export function* walkRecordTree(
  index: TreeBlocks,
  data: Cid,
  opts: WalkRecordTreeOptions = {},
): Generator<TreeEntry, void, undefined> {
  const limits = nodeLimitsOf(opts.maxNodeEntries)
  const prefix = opts.collection === undefined ? null : `${opts.collection}/`
  // Per open node: the node, its key bounds (lo, hi), and its next slot (slot i is its subtree i,
  // then its key i), with whether subtree i was visited already.
  const nodes: NodeEntries[] = [nodeAt(index, data, { limits })]
  const los: (string | null)[] = [null]
  const his: (string | null)[] = [null]
  const slots: number[] = [0]
  const descended: boolean[] = [false]
  while (nodes.length > 0) {
    const top = nodes.length - 1
    const node = nodes[top] as NodeEntries
    const i = slots[top] as number
    const keys = node.keys
    if (!descended[top]) {
      descended[top] = true
      const child = i === 0 ? node.left : (node.rights[i - 1] as Cid | null)
      if (child !== null) {
        const lo = i === 0 ? (los[top] as string | null) : (keys[i - 1] as string)
        const hi = i < keys.length ? (keys[i] as string) : (his[top] as string | null)
        if (prefix === null || mayHold(lo, hi, prefix)) {
          nodes.push(nodeAt(index, child, { layer: node.layer - 1, lo, hi, limits }))
          los.push(lo)
          his.push(hi)
          slots.push(0)
          descended.push(false)
          continue
        }
      }
    }
    if (i >= keys.length) {
      nodes.pop()
      los.pop()
      his.pop()
      slots.pop()
      descended.pop()
      continue
    }
    slots[top] = i + 1
    descended[top] = false
    const key = keys[i] as string
    if (prefix !== null && !key.startsWith(prefix)) {
      if (key > prefix) return // keys are in order: nothing later can match
      continue
    }
    const slash = key.indexOf('/')
    if (slash <= 0) throw new RepoError('BAD_TREE', `invalid record tree: no collection; key=${key}`)
    yield { key, collection: key.slice(0, slash), rkey: key.slice(slash + 1), cid: node.values[i] as Cid }
  }
}
