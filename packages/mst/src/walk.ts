import type { Cid } from '@rsky/dag-cbor'
import type { ReadableBlockstore } from './blockstore.ts'
import { MissingBlocksError } from './errors.ts'
import { loadRefs } from './load.ts'
import { lowerBound, MstNode, NodeRef } from './node.ts'

/** One record entry of a tree. */
export interface Leaf {
  key: string
  value: Cid
}

interface Frame {
  node: MstNode
  /** Next slot to visit: child `i` first (unless `childDone`), then key `i`. */
  i: number
  childDone: boolean
}

/**
 * Leaves in key order, starting at the first key >= `from` (all when null). Subtrees are loaded
 * as the walk reaches them, so a consumer that stops early reads only the nodes it passed.
 */
export async function* walkLeavesFrom(
  store: ReadableBlockstore,
  root: MstNode,
  from: string | null,
): AsyncGenerator<Leaf, void, undefined> {
  const stack: Frame[] = []
  const enter = (node: MstNode): void => {
    stack.push({ node, i: from === null ? 0 : lowerBound(node.keys, from), childDone: false })
  }
  enter(root)
  while (stack.length > 0) {
    const f = stack[stack.length - 1] as Frame
    if (!f.childDone) {
      f.childDone = true
      const c = f.node.child(f.i)
      if (c !== null) {
        if (c instanceof NodeRef) {
          if (c.node === undefined) await loadRefs(store, [c])
          enter(c.node as MstNode)
        } else {
          enter(c)
        }
        continue
      }
    }
    if (f.i < f.node.keys.length) {
      const key = f.node.keys[f.i] as string
      const value = f.node.values[f.i] as Cid
      f.i++
      f.childDone = false
      yield { key, value }
    } else {
      stack.pop()
    }
  }
}

/** Options of {@link listLeaves}. */
export interface ListOptions {
  /** Only keys strictly greater than this. */
  after?: string | undefined
  /** Only keys strictly less than this. */
  before?: string | undefined
  /** At most this many leaves (default: no limit). */
  limit?: number | undefined
}

/** Leaves in `(after, before)`, at most `limit`; stops reading the tree as soon as it has them. */
export async function listLeaves(
  store: ReadableBlockstore,
  root: MstNode,
  opts: ListOptions = {},
): Promise<Leaf[]> {
  const { after, before } = opts
  const limit = opts.limit ?? Number.POSITIVE_INFINITY
  if (limit < 0 || Number.isNaN(limit)) throw new RangeError('list: limit must be a non-negative number')
  const out: Leaf[] = []
  if (limit === 0) return out
  for await (const leaf of walkLeavesFrom(store, root, after ?? null)) {
    if (after !== undefined && leaf.key <= after) continue
    if (before !== undefined && leaf.key >= before) break
    out.push(leaf)
    if (out.length >= limit) break
  }
  return out
}

/** Leaves whose key starts with `prefix`, at most `limit`. */
export async function listPrefix(
  store: ReadableBlockstore,
  root: MstNode,
  prefix: string,
  limit: number = Number.POSITIVE_INFINITY,
): Promise<Leaf[]> {
  const out: Leaf[] = []
  if (limit <= 0) return out
  for await (const leaf of walkLeavesFrom(store, root, prefix)) {
    if (!leaf.key.startsWith(prefix)) break
    out.push(leaf)
    if (out.length >= limit) break
  }
  return out
}

/** Every node of a fully decoded tree, parents before children (pre-order). */
export function* nodesOf(root: MstNode): Generator<MstNode, void, undefined> {
  const stack: MstNode[] = [root]
  while (stack.length > 0) {
    const node = stack.pop() as MstNode
    yield node
    for (let i = node.keys.length; i >= 0; i--) {
      const c = node.child(i)
      if (c === null) continue
      stack.push(c instanceof MstNode ? c : (c.node as MstNode))
    }
  }
}

/** Every leaf of a fully decoded tree in key order. */
export function* leavesOf(root: MstNode): Generator<Leaf, void, undefined> {
  for (const node of nodesOfInOrder(root)) yield node
}

function* nodesOfInOrder(node: MstNode): Generator<Leaf, void, undefined> {
  const n = node.keys.length
  for (let i = 0; i <= n; i++) {
    const c = node.child(i)
    if (c !== null) yield* nodesOfInOrder(c instanceof MstNode ? c : (c.node as MstNode))
    if (i < n) yield { key: node.keys[i] as string, value: node.values[i] as Cid }
  }
}

/** Leaves in key order, skipping subtrees whose blocks are missing (other errors raise). */
export async function reachableLeavesOf(store: ReadableBlockstore, root: MstNode): Promise<Leaf[]> {
  const out: Leaf[] = []
  const visit = async (node: MstNode): Promise<void> => {
    const n = node.keys.length
    for (let i = 0; i <= n; i++) {
      const c = node.child(i)
      if (c !== null) {
        let sub: MstNode | undefined = c instanceof MstNode ? c : c.node
        if (sub === undefined && c instanceof NodeRef) {
          try {
            await loadRefs(store, [c])
            sub = c.node
          } catch (err) {
            if (!(err instanceof MissingBlocksError)) throw err
          }
        }
        if (sub !== undefined) await visit(sub)
      }
      if (i < n) out.push({ key: node.keys[i] as string, value: node.values[i] as Cid })
    }
  }
  await visit(root)
  return out
}
