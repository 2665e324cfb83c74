// Finding which record CIDs a tree still points at, without walking it leaf by leaf.
import type { Cid } from '@rsky/dag-cbor'
import type { ReadableBlockstore } from './blockstore.ts'
import { loadRefs } from './load.ts'
import { type MstNode, NodeRef } from './node.ts'

/**
 * Which of `targets` some leaf of the tree under `root` holds as its value. Reads the tree
 * breadth-first, one batched block-store read per layer, and stops as soon as every target is
 * found; each node's values are compared in place (no per-leaf objects or awaits).
 * @throws MissingBlocksError when a node the search reaches is not in `store`
 */
export async function findValues(
  store: ReadableBlockstore,
  root: MstNode,
  targets: readonly Cid[],
): Promise<Cid[]> {
  const left = [...targets]
  const found: Cid[] = []
  let layer: MstNode[] = [root]
  while (layer.length > 0 && left.length > 0) {
    const next: MstNode[] = []
    const refs: NodeRef[] = []
    for (const node of layer) {
      const values = node.values
      for (let i = 0; i < values.length && left.length > 0; i++) {
        const v = values[i] as Cid
        for (let j = 0; j < left.length; j++) {
          if ((left[j] as Cid).equals(v)) {
            found.push(left[j] as Cid)
            left.splice(j, 1)
            break
          }
        }
      }
      for (let i = 0; i <= node.keys.length; i++) {
        const c = node.child(i)
        if (c instanceof NodeRef) {
          if (c.node === undefined) refs.push(c)
          else next.push(c.node)
        } else if (c !== null) {
          next.push(c)
        }
      }
    }
    if (left.length === 0) break
    await loadRefs(store, refs)
    for (const r of refs) next.push(r.node as MstNode)
    layer = next
  }
  return found
}
