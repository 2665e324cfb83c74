import { BlockMap } from '@rsky/car'
import type { Cid } from '@rsky/dag-cbor'
import type { ReadableBlockstore } from './blockstore.ts'
import { nodeBytes, nodeCid } from './codec.ts'
import { addKey, buildSorted, deleteKey, getValue, updateKey } from './edit.ts'
import { findValues } from './find.ts'
import { ensureValidMstKey, heightForKey } from './key.ts'
import { loadAll, loadRoot, withLoading } from './load.ts'
import {
  type Child,
  DEFAULT_NODE_LIMITS,
  emptyNode,
  lowerBound,
  type MstNode,
  type NodeLimits,
  NodeRef,
  resolve,
} from './node.ts'
import {
  type Leaf,
  type ListOptions,
  leavesOf,
  listLeaves,
  listPrefix,
  nodesOf,
  reachableLeavesOf,
  walkLeavesFrom,
} from './walk.ts'

function checkValue(value: Cid): void {
  if (value === null || typeof value !== 'object' || !(value.bytes instanceof Uint8Array)) {
    throw new TypeError('MST value must be a Cid')
  }
}

/**
 * An immutable Merkle Search Tree over a block source. Edits return new trees that share every
 * unchanged node; nodes load lazily and each node's CID is computed once.
 *
 * @example
 * let tree = MST.create(new MemoryBlockstore())
 * tree = await tree.add('app.bsky.feed.post/3jzfcijpj2z2a', recordCid)
 * const root = await tree.getPointer()
 */
export class MST {
  readonly storage: ReadableBlockstore
  #root: MstNode | undefined
  #rootCid: Cid | undefined
  #limits: NodeLimits

  private constructor(
    storage: ReadableBlockstore,
    root: MstNode | undefined,
    rootCid: Cid | undefined,
    limits: NodeLimits = DEFAULT_NODE_LIMITS,
  ) {
    this.storage = storage
    this.#root = root
    this.#rootCid = rootCid
    this.#limits = limits
  }

  /**
   * An empty tree, or the tree of `entries` (built in one pass, see {@link MST.fromEntries}).
   * @throws InvalidMstKeyError for an invalid key; RangeError for a duplicate key
   * @example const tree = MST.create(new MemoryBlockstore())
   */
  static create(storage: ReadableBlockstore, entries?: Iterable<readonly [string, Cid]>): MST {
    if (entries !== undefined) return MST.fromEntries(storage, entries)
    return new MST(storage, emptyNode(0), undefined)
  }

  /**
   * The tree whose root node is `cid`, decoded lazily from `storage`. Every node read is
   * hash-checked and validated; `maxNodeEntries` caps entries per node (default 8,192).
   * @throws RangeError for a bad option
   * @example const tree = MST.load(store, commit.data)
   */
  static load(storage: ReadableBlockstore, cid: Cid, opts: { maxNodeEntries?: number } = {}): MST {
    checkValue(cid)
    const max = opts.maxNodeEntries ?? DEFAULT_NODE_LIMITS.maxNodeEntries
    if (!Number.isSafeInteger(max) || max < 1)
      throw new RangeError('MST.load: maxNodeEntries must be a positive integer')
    const limits =
      max === DEFAULT_NODE_LIMITS.maxNodeEntries
        ? DEFAULT_NODE_LIMITS
        : Object.freeze({ maxNodeEntries: max })
    return new MST(storage, undefined, cid, limits)
  }

  /** A tree wrapping an already built root node (advanced use). */
  static fromNode(storage: ReadableBlockstore, root: MstNode): MST {
    return new MST(storage, root, undefined)
  }

  /**
   * Builds a tree from entries in one pass (much faster than repeated `add`). Entries may come
   * in any order; duplicate keys are rejected.
   * @throws InvalidMstKeyError for an invalid key; RangeError for a duplicate key
   * @example const tree = MST.fromEntries(store, [['app.bsky.feed.post/a', cid]])
   */
  static fromEntries(storage: ReadableBlockstore, entries: Iterable<readonly [string, Cid]>): MST {
    const list = Array.from(entries)
    let sorted = true
    for (let i = 1; i < list.length; i++) {
      if (!((list[i - 1] as [string, Cid])[0] < (list[i] as [string, Cid])[0])) {
        sorted = false
        break
      }
    }
    if (!sorted) list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    const n = list.length
    const keys: string[] = new Array(n)
    const values: Cid[] = new Array(n)
    const heights = new Uint8Array(n)
    for (let i = 0; i < n; i++) {
      const [key, value] = list[i] as [string, Cid]
      ensureValidMstKey(key)
      checkValue(value)
      if (i > 0 && key === keys[i - 1]) throw new RangeError(`duplicate MST key; key=${key}`)
      keys[i] = key
      values[i] = value
      heights[i] = heightForKey(key)
    }
    return new MST(storage, buildSorted(keys, values, heights), undefined)
  }

  /** The decoded root node (loading it on first use). */
  async getRoot(): Promise<MstNode> {
    if (this.#root === undefined)
      this.#root = await loadRoot(this.storage, this.#rootCid as Cid, this.#limits)
    return this.#root
  }

  /** CID of the root node. */
  async getPointer(): Promise<Cid> {
    if (this.#rootCid !== undefined) return this.#rootCid
    const cid = nodeCid(await this.getRoot())
    this.#rootCid = cid
    return cid
  }

  /** Layer of the root node (0 for an empty tree). */
  async getLayer(): Promise<number> {
    return (await this.getRoot()).layer
  }

  async #edit(fn: (root: MstNode) => MstNode): Promise<MST> {
    const root = await this.getRoot()
    const next = await withLoading(this.storage, () => fn(root))
    return new MST(this.storage, next, undefined, this.#limits)
  }

  /**
   * A tree with `key -> value` added.
   * @throws InvalidMstKeyError; MstKeyConflictError when the key exists; MissingBlocksError
   */
  async add(key: string, value: Cid): Promise<MST> {
    ensureValidMstKey(key)
    checkValue(value)
    const height = heightForKey(key)
    return this.#edit((root) => addKey(root, key, value, height))
  }

  /**
   * A tree with the value of `key` replaced.
   * @throws MstKeyConflictError when the key is absent; MissingBlocksError
   */
  async update(key: string, value: Cid): Promise<MST> {
    ensureValidMstKey(key)
    checkValue(value)
    return this.#edit((root) => updateKey(root, key, value))
  }

  /**
   * A tree without `key`.
   * @throws MstKeyConflictError when the key is absent; MissingBlocksError
   */
  async delete(key: string): Promise<MST> {
    ensureValidMstKey(key)
    return this.#edit((root) => deleteKey(root, key))
  }

  /** The value under `key`, or null. */
  async get(key: string): Promise<Cid | null> {
    const root = await this.getRoot()
    return withLoading(this.storage, () => getValue(root, key))
  }

  /**
   * Leaves in key order within `(after, before)`, at most `limit`. Reads only the nodes on the
   * way to the first key and those the page passes through.
   */
  async list(opts: ListOptions = {}): Promise<Leaf[]> {
    return listLeaves(this.storage, await this.getRoot(), opts)
  }

  /** Leaves whose key starts with `prefix`, at most `limit`. */
  async listWithPrefix(prefix: string, opts: { limit?: number } = {}): Promise<Leaf[]> {
    return listPrefix(this.storage, await this.getRoot(), prefix, opts.limit)
  }

  /** Leaves in key order from the first key >= `from` (all when omitted), loading lazily. */
  async *walkLeaves(from?: string): AsyncGenerator<Leaf, void, undefined> {
    yield* walkLeavesFrom(this.storage, await this.getRoot(), from ?? null)
  }

  /** Every leaf, in key order (decodes the whole tree with one read per layer). */
  async leaves(): Promise<Leaf[]> {
    const root = await this.getRoot()
    await loadAll(this.storage, root)
    return Array.from(leavesOf(root))
  }

  /** Number of leaves. */
  async leafCount(): Promise<number> {
    const root = await this.getRoot()
    await loadAll(this.storage, root)
    let n = 0
    for (const node of nodesOf(root)) n += node.keys.length
    return n
  }

  /**
   * Which of `targets` some leaf holds as its value (a record block still in use), read a layer
   * at a time and stopping once every target is found.
   * @throws MissingBlocksError when a node the search reaches is not in storage
   * @example const stillUsed = await tree.findValues([recordCid])
   */
  async findValues(targets: readonly Cid[]): Promise<Cid[]> {
    return findValues(this.storage, await this.getRoot(), targets)
  }

  /** Every node of the tree, decoded, parents first (pre-order). */
  async allNodes(): Promise<MstNode[]> {
    const root = await this.getRoot()
    await loadAll(this.storage, root)
    return Array.from(nodesOf(root))
  }

  /**
   * Leaves in key order, skipping subtrees whose blocks are missing from storage (for partial
   * repos such as proofs). Invalid blocks still raise.
   * @throws InvalidMstNodeError
   */
  async reachableLeaves(): Promise<Leaf[]> {
    return reachableLeavesOf(this.storage, await this.getRoot())
  }

  /** CIDs of every node of the tree, parents first. */
  async allNodeCids(): Promise<Cid[]> {
    const root = await this.getRoot()
    await loadAll(this.storage, root)
    return Array.from(nodesOf(root), nodeCid)
  }

  /** Every node CID and every leaf value CID. */
  async allCids(): Promise<Cid[]> {
    const root = await this.getRoot()
    await loadAll(this.storage, root)
    const out: Cid[] = []
    for (const node of nodesOf(root)) {
      out.push(nodeCid(node))
      for (const v of node.values) out.push(v)
    }
    return out
  }

  /**
   * Node blocks of the whole tree, parents before children (the streamable export order,
   * without record blocks, which the tree does not hold).
   */
  async *nodeBlocks(): AsyncGenerator<{ cid: Cid; bytes: Uint8Array }, void, undefined> {
    const root = await this.getRoot()
    await loadAll(this.storage, root)
    for (const node of nodesOf(root)) yield { cid: nodeCid(node), bytes: nodeBytes(node) }
  }

  /** Every node block of the tree in one map. */
  async exportNodeBlocks(): Promise<BlockMap> {
    const out = new BlockMap()
    for await (const { cid, bytes } of this.nodeBlocks()) out.set(cid, bytes)
    return out
  }

  /**
   * The root CID and the blocks of nodes built in memory since the tree was loaded (those a
   * writer must store), without reading storage. An edit that rebuilds a node identical to a
   * stored one lists that block again; storing it twice is harmless.
   */
  async getUnstoredBlocks(): Promise<{ root: Cid; blocks: BlockMap }> {
    const root = await this.getRoot()
    const blocks = new BlockMap()
    const stack: Child[] = [root]
    while (stack.length > 0) {
      const c = stack.pop() as Child
      if (c === null || c instanceof NodeRef || c.stored) continue
      blocks.set(nodeCid(c), nodeBytes(c))
      stack.push(c.left)
      for (const r of c.rights) stack.push(r)
    }
    return { root: await this.getPointer(), blocks }
  }

  /** CIDs of the nodes on the way to `key`, then the value CID when the key is present. */
  async cidsForPath(key: string): Promise<Cid[]> {
    const root = await this.getRoot()
    return withLoading(this.storage, () => {
      const out: Cid[] = []
      let node = root
      for (;;) {
        out.push(nodeCid(node))
        const i = lowerBound(node.keys, key)
        if (node.keys[i] === key) {
          out.push(node.values[i] as Cid)
          return out
        }
        const c = node.child(i)
        if (c === null) return out
        node = resolve(c)
      }
    })
  }
}
