import type { Cid } from '@rsky/dag-cbor'
import type { ReadableBlockstore } from './blockstore.ts'
import { decodeNode } from './codec.ts'
import { InvalidMstNodeError, MissingBlocksError } from './errors.ts'
import { DEFAULT_NODE_LIMITS, type MstNode, NeedNode, type NodeLimits, NodeRef } from './node.ts'
import { sha256Into } from './sha256.ts'

const digest = new Uint8Array(32)

/** Whether `bytes` hash to the sha2-256 digest inside `cid`. */
export function blockMatchesCid(cid: Cid, bytes: Uint8Array): boolean {
  const cb = cid.bytes
  if (cb.length !== 36 || cb[2] !== 0x12 || cb[3] !== 32) return false
  sha256Into(bytes, bytes.length, digest, 0)
  for (let i = 0; i < 32; i++) if (digest[i] !== cb[4 + i]) return false
  return true
}

function checked(cid: Cid, bytes: Uint8Array): Uint8Array {
  if (!blockMatchesCid(cid, bytes)) {
    throw new InvalidMstNodeError('MST_NODE_HASH_MISMATCH', 'node block bytes do not hash to their CID', {
      cid,
    })
  }
  return bytes
}

/** Decodes the root node of a tree (its layer comes from its own keys). */
export async function loadRoot(
  store: ReadableBlockstore,
  cid: Cid,
  limits: NodeLimits = DEFAULT_NODE_LIMITS,
): Promise<MstNode> {
  const { blocks, missing } = await store.getBlocks([cid])
  const bytes = blocks.get(cid)
  if (missing.length > 0 || bytes === undefined) throw new MissingBlocksError('MST root', [cid])
  return decodeNode(checked(cid, bytes), cid, { limits })
}

/** Decodes every not-yet-decoded ref in `refs` with one batched read. */
export async function loadRefs(store: ReadableBlockstore, refs: readonly NodeRef[]): Promise<void> {
  const todo = refs.filter((r) => r.node === undefined)
  if (todo.length === 0) return
  const { blocks, missing } = await store.getBlocks(todo.map((r) => r.cid))
  if (missing.length > 0) throw new MissingBlocksError('MST node', missing)
  for (const ref of todo) {
    const bytes = blocks.get(ref.cid)
    if (bytes === undefined) throw new MissingBlocksError('MST node', [ref.cid])
    ref.node = decodeNode(checked(ref.cid, bytes), ref.cid, {
      layer: ref.layer,
      lo: ref.lo,
      hi: ref.hi,
      limits: ref.limits,
    })
  }
}

/**
 * Runs a synchronous tree algorithm, loading each subtree it reaches (it signals with
 * `NeedNode`) and running it again, until it completes.
 */
export async function withLoading<T>(store: ReadableBlockstore, fn: () => T): Promise<T> {
  for (;;) {
    try {
      return fn()
    } catch (err) {
      if (!(err instanceof NeedNode)) throw err
      await loadRefs(store, [err.ref])
    }
  }
}

/** Children of `node` that are undecoded refs. */
export function pendingChildren(node: MstNode): NodeRef[] {
  const out: NodeRef[] = []
  if (node.left instanceof NodeRef && node.left.node === undefined) out.push(node.left)
  for (const r of node.rights) if (r instanceof NodeRef && r.node === undefined) out.push(r)
  return out
}

/** Decodes the whole tree under `root`, one batched read per layer. */
export async function loadAll(store: ReadableBlockstore, root: MstNode): Promise<void> {
  let frontier: MstNode[] = [root]
  while (frontier.length > 0) {
    const refs: NodeRef[] = []
    const next: MstNode[] = []
    for (const node of frontier) {
      const kids = node.left === null ? [] : [node.left]
      for (const r of node.rights) if (r !== null) kids.push(r)
      for (const k of kids) {
        if (k instanceof NodeRef) {
          if (k.node === undefined) refs.push(k)
        }
      }
      for (const k of kids) if (!(k instanceof NodeRef)) next.push(k)
    }
    await loadRefs(store, refs)
    for (const node of frontier) {
      for (let i = 0; i <= node.keys.length; i++) {
        const c = node.child(i)
        if (c instanceof NodeRef) next.push(c.node as MstNode)
      }
    }
    frontier = next
  }
}
