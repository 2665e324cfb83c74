// Record blocks are content-addressed: two records with the same content share one block. A
// commit that deletes or replaces one of them must not drop the block the other still uses.
import { CidSet } from '@rsky/car'
import type { Cid } from '@rsky/dag-cbor'
import type { MST } from '@rsky/mst'

/** The record operations of a diff, as far as block bookkeeping needs them. */
interface OpCids {
  readonly cid: Cid | null
  readonly prev: Cid | null
}

/**
 * Adds to `removed` the record blocks that `ops` stop using: each `prev` that no leaf of `tree`
 * (the tree after the ops) still points at. A block written again by an op stays without a
 * search; otherwise `tree` is searched once (`MST.findValues`: a layer of nodes per read), only
 * when some record block would go, stopping as soon as every candidate is found in use. (`@atproto/repo` drops a shared block,
 * after which the other record can no longer be read or exported.)
 * @throws MissingBlocksError (@rsky/mst) when `tree` cannot be walked from its storage
 */
export async function addRemovedRecordBlocks(
  removed: CidSet,
  ops: readonly OpCids[],
  tree: MST,
): Promise<void> {
  const written = new CidSet()
  for (const op of ops) if (op.cid) written.add(op.cid)
  const candidates = new CidSet()
  for (const op of ops) if (op.prev && !written.has(op.prev)) candidates.add(op.prev)
  if (candidates.size === 0) return
  for (const cid of await tree.findValues(candidates.toList())) candidates.delete(cid)
  for (const cid of candidates) removed.add(cid)
}
