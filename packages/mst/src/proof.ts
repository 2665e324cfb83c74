import type { BlocksAndMissing } from '@rsky/car'
import { BlockMap } from '@rsky/car'
import type { Cid } from '@rsky/dag-cbor'
import type { ReadableBlockstore } from './blockstore.ts'
import { nodeBytes, nodeCid } from './codec.ts'
import type { RecordOp } from './diff.ts'
import { invertOps } from './invert.ts'
import { heightForKey } from './key.ts'
import { withLoading } from './load.ts'
import { MST } from './mst.ts'
import { type Child, lowerBound, type MstNode, resolve } from './node.ts'

/**
 * Nodes visited looking `key` up: an inclusion proof when present, an exclusion proof when not.
 * With `height`, the walk stops at the key's own layer: a key can only live in a node of its
 * height, so deeper nodes prove nothing more.
 */
function pathTo(root: MstNode, key: string, out: MstNode[], height = -1): void {
  let node = root
  for (;;) {
    out.push(node)
    if (node.layer < height) return
    const i = lowerBound(node.keys, key)
    if (node.keys[i] === key) return
    const c = node.child(i)
    if (c === null) return
    node = resolve(c)
  }
}

function edgeKey(child: Child, last: boolean): string | null {
  let c = child
  while (c !== null) {
    const node = resolve(c)
    const n = node.keys.length
    const next = last ? node.child(n) : node.left
    if (next === null) return n === 0 ? null : (node.keys[last ? n - 1 : 0] as string)
    c = next
  }
  return null
}

/** The keys directly before and after `key` in the tree (excluding `key` itself). */
function neighbours(root: MstNode, key: string): [string | null, string | null] {
  let left: string | null = null
  let right: string | null = null
  let node = root
  for (;;) {
    const { keys } = node
    const i = lowerBound(keys, key)
    if (keys[i] === key) {
      const l = edgeKey(node.child(i), true)
      const r = edgeKey(node.child(i + 1), false)
      return [
        l ?? (i > 0 ? (keys[i - 1] as string) : left),
        r ?? (i + 1 < keys.length ? (keys[i + 1] as string) : right),
      ]
    }
    if (i > 0) left = keys[i - 1] as string
    if (i < keys.length) right = keys[i] as string
    const c = node.child(i)
    if (c === null) return [left, right]
    node = resolve(c)
  }
}

function toBlocks(nodes: Iterable<MstNode>): BlockMap {
  const out = new BlockMap()
  for (const n of nodes) out.set(nodeCid(n), nodeBytes(n))
  return out
}

/**
 * Inclusion proofs of present keys and exclusion proofs of absent ones: the nodes on the way
 * from the root to where each key is or would be.
 * @throws MissingBlocksError
 */
export async function getKeyProofs(tree: MST, keys: Iterable<string>): Promise<BlockMap> {
  const root = await tree.getRoot()
  const list = Array.from(keys)
  const nodes = await withLoading(tree.storage, () => {
    const out: MstNode[] = []
    for (const key of list) pathTo(root, key, out, heightForKey(key))
    return out
  })
  return toBlocks(nodes)
}

/**
 * Covering proof of `keys` (as `@atproto/repo` builds it): for each key, the nodes on its path
 * plus the paths to its left and right neighbours, which prove nothing lies between them.
 * @throws MissingBlocksError
 * @example const proof = await getCoveringProof(tree, ['app.bsky.feed.post/3k'])
 */
export async function getCoveringProof(tree: MST, keys: Iterable<string>): Promise<BlockMap> {
  const root = await tree.getRoot()
  const list = Array.from(keys)
  const nodes = await withLoading(tree.storage, () => {
    const out: MstNode[] = []
    for (const key of list) {
      pathTo(root, key, out)
      const [l, r] = neighbours(root, key)
      if (l !== null) pathTo(root, l, out)
      if (r !== null) pathTo(root, r, out)
    }
    return out
  })
  return toBlocks(nodes)
}

/** A block source over `tree`'s new nodes and its storage that remembers every CID read. */
class RecordingStore implements ReadableBlockstore {
  readonly read: BlockMap = new BlockMap()
  readonly #overlay: BlockMap
  readonly #base: ReadableBlockstore
  constructor(overlay: BlockMap, base: ReadableBlockstore) {
    this.#overlay = overlay
    this.#base = base
  }
  async getBytes(cid: Cid): Promise<Uint8Array | null> {
    const { blocks } = await this.getBlocks([cid])
    return blocks.get(cid) ?? null
  }
  async getBlocks(cids: Cid[]): Promise<BlocksAndMissing> {
    const { blocks, missing } = this.#overlay.getMany(cids)
    if (missing.length > 0) {
      const more = await this.#base.getBlocks(missing)
      blocks.addMap(more.blocks)
      for (const [cid, bytes] of more.blocks) this.read.set(cid, bytes)
      missing.length = 0
      missing.push(...more.missing)
    }
    this.read.addMap(blocks)
    return { blocks, missing }
  }
}

/**
 * Exactly the nodes of `tree` that inverting `ops` reads (sync 1.1 "inductive" proof): with
 * them, {@link verifyOpsByInversion} can rebuild the previous root.
 * @throws MissingBlocksError; MstInversionError when the ops do not apply to the tree
 */
export async function getInversionProof(tree: MST, ops: readonly RecordOp[]): Promise<BlockMap> {
  const { root, blocks } = await tree.getUnstoredBlocks()
  const store = new RecordingStore(blocks, tree.storage)
  await invertOps(MST.load(store, root), ops)
  return store.read
}
