// Full verification of a repository CAR. This is the path relays, AppViews and backup tools run
// on every repository they take in, so it holds no more than it must: blocks stay where the CAR
// reader found them (a typed-array index, not a map of objects), the tree is walked depth first
// with each node decoded when reached and dropped when left, and records are scanned for validity
// without being decoded into objects. Every check still runs: block hashes (@rsky/car), commit
// and signature, every node's structure, key order and bounds (@rsky/mst's node decoder), every
// record present and a strict DAG-CBOR map (@rsky/dag-cbor's validating scan).
import type { CarSource } from '@rsky/car'
import { type Cid, DagCborDecodeError, ensureValidDagCbor } from '@rsky/dag-cbor'
import { DEFAULT_NODE_LIMITS, decodeNode, type MstNode, type NodeLimits, type NodeRef } from '@rsky/mst'
import { CarBlockIndex, indexCarStream } from './block-index.ts'
import { InvalidCarRootError, InvalidRecordError, MissingBlockError } from './errors.ts'
import { asRepoError, checkCommit, type VerifiedRepo, type VerifyOptions } from './verify.ts'

/** Options of {@link verifyRepoCar}. */
export interface VerifyRepoOptions extends VerifyOptions {
  /** Most entries one tree node may hold (default 8,192, as `MST.load`): a defence against mined keys. */
  maxNodeEntries?: number
}

function limitsOf(opts: VerifyRepoOptions): NodeLimits {
  const max = opts.maxNodeEntries
  if (max === undefined) return DEFAULT_NODE_LIMITS
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('maxNodeEntries must be a positive integer')
  return { maxNodeEntries: max }
}

/** Sets an own property even for a key such as `__proto__` (MST keys allow it). */
function setCount(out: Record<string, number>, key: string, n: number): void {
  Object.defineProperty(out, key, { value: n, enumerable: true, writable: true, configurable: true })
}

/** Decodes the node behind `ref` (or the root when `ref` is the root CID). */
function loadNode(index: CarBlockIndex, cid: Cid, ref: NodeRef | null, limits: NodeLimits): MstNode {
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

/**
 * Full verification of a repository CAR as a hostile peer might send it: every block's hash,
 * the commit (shape, DID, signature when `key` is given), the tree's structure and key order,
 * every node and record present, every record a strict DAG-CBOR map. All or nothing: the first
 * problem raises.
 * @throws CarError subclasses (damaged CAR, with the byte offset); RepoError subclasses, each with
 *   `code`: InvalidCarRootError, DidMismatchError, InvalidSignatureError, MissingBlockError,
 *   InvalidRecordError, RepoError BAD_TREE
 * @example const r = await verifyRepoCar(bytes, { did, key: 'did:key:z...' })
 */
export async function verifyRepoCar(
  car: Uint8Array | CarSource,
  opts: VerifyRepoOptions = {},
): Promise<VerifiedRepo> {
  const limits = limitsOf(opts)
  const index =
    car instanceof Uint8Array ? CarBlockIndex.fromBytes(car, opts.car) : await indexCarStream(car, opts.car)
  const root = index.roots[0]
  if (root === undefined) throw new InvalidCarRootError('no root')
  const { commit, signature } = checkCommit(root, index.get(root), opts)

  // A record block shared by several keys is scanned once.
  const checked = new Uint8Array(index.size)
  const collections: Record<string, number> = {}
  let records = 0
  let current = ''
  let count = 0

  // In-order walk: slot i of a node is its child i, then its key i.
  const nodes: MstNode[] = [loadNode(index, commit.data, null, limits)]
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
        // Decoded nodes link their children as refs carrying the layer and key bounds to check.
        const ref = child as NodeRef
        nodes.push(loadNode(index, ref.cid, ref, limits))
        slots.push(0)
        descended.push(false)
        continue
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
    const value = node.values[i] as Cid
    const n = index.indexOf(value)
    if (n < 0) throw new MissingBlockError(value, `record ${key}`)
    if (checked[n] === 0) {
      let kind: string
      try {
        kind = ensureValidDagCbor(index.bytesAt(n))
      } catch (err) {
        if (!(err instanceof DagCborDecodeError)) throw err
        throw new InvalidRecordError(key, 'not DAG-CBOR', { cid: value, cause: err })
      }
      if (kind !== 'map') throw new InvalidRecordError(key, 'not a map', { cid: value })
      checked[n] = 1
    }
    // Keys arrive in order, so a collection is one run; compare in place rather than slicing each key.
    if (
      !(
        count > 0 &&
        key.length > current.length &&
        key.charCodeAt(current.length) === 47 &&
        key.startsWith(current)
      )
    ) {
      if (count > 0) setCount(collections, current, count)
      current = key.slice(0, key.indexOf('/'))
      count = 0
    }
    count++
    records++
  }
  if (count > 0) setCount(collections, current, count)
  return {
    did: commit.did,
    rev: commit.rev ?? '',
    version: commit.version,
    commit: root,
    data: commit.data,
    signature,
    records,
    collections,
    blocks: index.size,
  }
}
