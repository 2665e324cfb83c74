import { BlockMap } from '@rsky/car'
import { type Cid, cidKey } from '@rsky/dag-cbor'
import { childCid, nodeBytes } from './codec.ts'
import { loadRefs } from './load.ts'
import type { MST } from './mst.ts'
import { type MstNode, NodeRef } from './node.ts'

/** One record change between two trees. `cid` is the new value, `prev` the old one. */
export type RecordOp =
  | { action: 'create'; key: string; cid: Cid; prev: null }
  | { action: 'update'; key: string; cid: Cid; prev: Cid }
  | { action: 'delete'; key: string; cid: null; prev: Cid }

/** What changed from one tree to another. */
export interface MstDiff {
  /** Record operations in key order. */
  ops: RecordOp[]
  /** Nodes of the new tree that the old one lacks. */
  createdNodes: Cid[]
  /** Nodes of the old tree that the new one lacks. */
  deletedNodes: Cid[]
  /** Blocks of `createdNodes`. */
  newBlocks: BlockMap
}

type Pending = MstNode | NodeRef

function layerOf(p: Pending): number {
  return p instanceof NodeRef ? p.layer : p.layer
}

/**
 * The difference between `from` and `to`. Subtrees with the same CID on both sides are skipped
 * without being read, so the cost follows the size of the change, not of the trees. Nodes are
 * read one batch per layer.
 * @throws MissingBlocksError; InvalidMstNodeError
 * @example const { ops } = await mstDiff(before, after)
 */
export async function mstDiff(from: MST | null, to: MST): Promise<MstDiff> {
  // A node CID can sit at only one layer and, having distinct keys, at most once per tree, so
  // matching the pending nodes of both sides layer by layer, top down, finds every shared subtree.
  let pendA: Pending[] = from === null ? [] : [await from.getRoot()]
  let pendB: Pending[] = [await to.getRoot()]
  const leavesA = new Map<string, Cid>()
  const leavesB = new Map<string, Cid>()
  const createdNodes: Cid[] = []
  const deletedNodes: Cid[] = []
  const newBlocks = new BlockMap()

  const expand = async (
    side: Pending[],
    store: MST['storage'],
    leaves: Map<string, Cid>,
    record: (cid: Cid, node: MstNode) => void,
    next: Pending[],
  ): Promise<void> => {
    await loadRefs(
      store,
      side.filter((p): p is NodeRef => p instanceof NodeRef),
    )
    for (const p of side) {
      const node = p instanceof NodeRef ? (p.node as MstNode) : p
      record(childCid(p), node)
      for (let i = 0; i < node.keys.length; i++) leaves.set(node.keys[i] as string, node.values[i] as Cid)
      if (node.left !== null) next.push(node.left)
      for (const r of node.rights) if (r !== null) next.push(r)
    }
  }

  while (pendA.length > 0 || pendB.length > 0) {
    let layer = -1
    for (const p of pendA) layer = Math.max(layer, layerOf(p))
    for (const p of pendB) layer = Math.max(layer, layerOf(p))
    const nowA = pendA.filter((p) => layerOf(p) === layer)
    const nowB = pendB.filter((p) => layerOf(p) === layer)
    const restA = pendA.filter((p) => layerOf(p) !== layer)
    const restB = pendB.filter((p) => layerOf(p) !== layer)
    const inA = new Set(nowA.map((p) => cidKey(childCid(p))))
    const inB = new Set(nowB.map((p) => cidKey(childCid(p))))
    const onlyA = nowA.filter((p) => !inB.has(cidKey(childCid(p))))
    const onlyB = nowB.filter((p) => !inA.has(cidKey(childCid(p))))
    if (from !== null) await expand(onlyA, from.storage, leavesA, (cid) => deletedNodes.push(cid), restA)
    await expand(
      onlyB,
      to.storage,
      leavesB,
      (cid, node) => {
        createdNodes.push(cid)
        newBlocks.set(cid, nodeBytes(node))
      },
      restB,
    )
    pendA = restA
    pendB = restB
  }

  const ops: RecordOp[] = []
  for (const [key, prev] of leavesA) {
    const cid = leavesB.get(key)
    if (cid === undefined) ops.push({ action: 'delete', key, cid: null, prev })
    else if (!cid.equals(prev)) ops.push({ action: 'update', key, cid, prev })
  }
  for (const [key, cid] of leavesB) {
    if (!leavesA.has(key)) ops.push({ action: 'create', key, cid, prev: null })
  }
  ops.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  return { ops, createdNodes, deletedNodes, newBlocks }
}
