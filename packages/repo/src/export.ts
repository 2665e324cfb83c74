import { type CarBlock, CidSet, writeCar, writeCarStream } from '@rsky/car'
import type { Cid } from '@rsky/dag-cbor'
import { type Child, decodeNode, MST, NodeRef, nodeCid } from '@rsky/mst'
import { decodeCommit } from './commit.ts'
import { InvalidCommitError, MissingBlockError } from './errors.ts'
import type { RepoStorage } from './storage.ts'

const LEAF_BATCH = 2048

function childCid(child: NonNullable<Child>): Cid {
  return child instanceof NodeRef ? child.cid : nodeCid(child)
}

async function rootOf(storage: RepoStorage, root?: Cid): Promise<Cid> {
  const cid = root ?? (await storage.getRoot())
  if (!cid) throw new InvalidCommitError('storage has no root commit')
  return cid
}

/**
 * The blocks of a whole repository in the order the reference writes them: the commit, the
 * tree breadth first (one batched read per layer), then the records in the order first met.
 * @throws MissingBlockError
 */
export async function* exportRepoBlocks(
  storage: RepoStorage,
  root?: Cid,
): AsyncGenerator<CarBlock, void, undefined> {
  const commitCid = await rootOf(storage, root)
  const commitBytes = await storage.getBytes(commitCid)
  if (!commitBytes) throw new MissingBlockError(commitCid, 'commit')
  const commit = decodeCommit(commitBytes, commitCid)
  yield { cid: commitCid, bytes: commitBytes }

  const leaves = new CidSet()
  // Nodes of one layer; below the root each node's layer is its parent's minus one, which
  // decodeNode needs to tell an empty intermediate node from a malformed root.
  let layer: Cid[] = [commit.data]
  let depth: number | undefined
  while (layer.length > 0) {
    const { blocks, missing } = await storage.getBlocks(layer)
    if (missing.length > 0) throw new MissingBlockError(missing[0]!, 'MST node')
    const next = new CidSet()
    let childLayer: number | undefined
    for (const cid of layer) {
      const bytes = blocks.get(cid)!
      yield { cid, bytes }
      const node = decodeNode(bytes, cid, depth === undefined ? {} : { layer: depth })
      childLayer = node.layer - 1
      if (node.left) next.add(childCid(node.left))
      for (let i = 0; i < node.keys.length; i++) {
        leaves.add(node.values[i]!)
        const right = node.rights[i]
        if (right) next.add(childCid(right))
      }
    }
    layer = next.toList()
    depth = childLayer
  }

  const all = leaves.toList()
  for (let i = 0; i < all.length; i += LEAF_BATCH) {
    const batch = all.slice(i, i + LEAF_BATCH)
    const { blocks, missing } = await storage.getBlocks(batch)
    if (missing.length > 0) throw new MissingBlockError(missing[0]!, 'record')
    for (const cid of batch) yield { cid, bytes: blocks.get(cid)! }
  }
}

/**
 * The whole repository as a streaming CAR (root: the commit).
 * @example Readable.from(exportRepoCar(storage)).pipe(createWriteStream('repo.car'))
 */
export async function* exportRepoCar(
  storage: RepoStorage,
  root?: Cid,
): AsyncGenerator<Uint8Array, void, undefined> {
  const commitCid = await rootOf(storage, root)
  yield* writeCarStream([commitCid], exportRepoBlocks(storage, commitCid))
}

/** The whole repository as one CAR buffer. */
export async function exportRepoCarBytes(storage: RepoStorage, root?: Cid): Promise<Uint8Array> {
  const commitCid = await rootOf(storage, root)
  const blocks: CarBlock[] = []
  for await (const block of exportRepoBlocks(storage, commitCid)) blocks.push(block)
  return writeCar([commitCid], blocks)
}

/**
 * A CAR proving records exist (or not): the commit, the tree nodes on the path to each
 * `collection/rkey`, and each present record's block.
 * @throws MissingBlockError
 */
export async function getRecordsProofCar(
  storage: RepoStorage,
  paths: Array<{ collection: string; rkey: string }>,
  root?: Cid,
): Promise<Uint8Array> {
  const commitCid = await rootOf(storage, root)
  const commitBytes = await storage.getBytes(commitCid)
  if (!commitBytes) throw new MissingBlockError(commitCid, 'commit')
  const commit = decodeCommit(commitBytes, commitCid)
  const tree = MST.load(storage, commit.data)
  const cids = new CidSet()
  for (const p of paths) for (const cid of await tree.cidsForPath(`${p.collection}/${p.rkey}`)) cids.add(cid)
  const { blocks, missing } = await storage.getBlocks(cids.toList())
  if (missing.length > 0) throw new MissingBlockError(missing[0]!, 'proof')
  const out: CarBlock[] = [{ cid: commitCid, bytes: commitBytes }]
  for (const [cid, bytes] of blocks) out.push({ cid, bytes })
  return writeCar([commitCid], out)
}
