import type { BlockMap } from '@rsky/car'
import type { Cid } from '@rsky/dag-cbor'
import { digestMatches } from '#digest'
import { MemoryBlockstore, type ReadableBlockstore } from './blockstore.ts'
import { decodeNode } from './codec.ts'
import { InvalidMstNodeError, MissingBlocksError } from './errors.ts'
import { DEFAULT_NODE_LIMITS, type MstNode, NeedNode, type NodeLimits, NodeRef } from './node.ts'

function isSha256Cid(cb: Uint8Array): boolean {
  return cb.length === 36 && cb[2] === 0x12 && cb[3] === 32
}

/** Whether `bytes` hash to the sha2-256 digest inside `cid`. */
export function blockMatchesCid(cid: Cid, bytes: Uint8Array): boolean {
  const cb = cid.bytes
  return isSha256Cid(cb) && digestMatches(bytes, cb, 4)
}

// Nodes from a store that vouches for its blocks (`hashChecked`, e.g. a CAR read with every hash
// checked) are not hashed a second time, but their CID must still be a sha2-256 one, as above;
// from any other store each node block is hashed here.
function checked(store: ReadableBlockstore, cid: Cid, bytes: Uint8Array): Uint8Array {
  const ok = store.hashChecked === true ? isSha256Cid(cid.bytes) : blockMatchesCid(cid, bytes)
  if (!ok) {
    throw new InvalidMstNodeError('MST_NODE_HASH_MISMATCH', 'node block bytes do not hash to their CID', {
      cid,
    })
  }
  return bytes
}

// A plain MemoryBlockstore (not a subclass, which might override its reads) is read directly and
// synchronously: no result map is built and no promise is awaited per node.
function memoryBlocks(store: ReadableBlockstore): BlockMap | null {
  return Object.getPrototypeOf(store) === MemoryBlockstore.prototype
    ? (store as MemoryBlockstore).blocks
    : null
}

function decodeRef(store: ReadableBlockstore, ref: NodeRef, bytes: Uint8Array): void {
  ref.node = decodeNode(checked(store, ref.cid, bytes), ref.cid, {
    layer: ref.layer,
    lo: ref.lo,
    hi: ref.hi,
    limits: ref.limits,
  })
}

function loadRefSync(store: ReadableBlockstore, map: BlockMap, ref: NodeRef): void {
  if (ref.node !== undefined) return
  const bytes = map.get(ref.cid)
  if (bytes === undefined) throw new MissingBlocksError('MST node', [ref.cid])
  decodeRef(store, ref, bytes)
}

/** Decodes the root node of a tree (its layer comes from its own keys). */
export async function loadRoot(
  store: ReadableBlockstore,
  cid: Cid,
  limits: NodeLimits = DEFAULT_NODE_LIMITS,
): Promise<MstNode> {
  const map = memoryBlocks(store)
  let bytes: Uint8Array | undefined
  if (map !== null) bytes = map.get(cid)
  else {
    const got = await store.getBlocks([cid])
    bytes = got.missing.length > 0 ? undefined : got.blocks.get(cid)
  }
  if (bytes === undefined) throw new MissingBlocksError('MST root', [cid])
  return decodeNode(checked(store, cid, bytes), cid, { limits })
}

/** Decodes every not-yet-decoded ref in `refs` with one batched read. */
export async function loadRefs(store: ReadableBlockstore, refs: readonly NodeRef[]): Promise<void> {
  const map = memoryBlocks(store)
  if (map !== null) {
    // Same outcome as the batched path: every missing block is named before any decoding.
    const missing: Cid[] = []
    for (const ref of refs) if (ref.node === undefined && !map.has(ref.cid)) missing.push(ref.cid)
    if (missing.length > 0) throw new MissingBlocksError('MST node', missing)
    for (const ref of refs) loadRefSync(store, map, ref)
    return
  }
  const todo = refs.filter((r) => r.node === undefined)
  if (todo.length === 0) return
  const { blocks, missing } = await store.getBlocks(todo.map((r) => r.cid))
  if (missing.length > 0) throw new MissingBlocksError('MST node', missing)
  for (const ref of todo) {
    const bytes = blocks.get(ref.cid)
    if (bytes === undefined) throw new MissingBlocksError('MST node', [ref.cid])
    decodeRef(store, ref, bytes)
  }
}

/**
 * Runs a synchronous tree algorithm, loading each subtree it reaches (it signals with
 * `NeedNode`) and running it again, until it completes.
 */
export async function withLoading<T>(store: ReadableBlockstore, fn: () => T): Promise<T> {
  const map = memoryBlocks(store)
  for (;;) {
    try {
      return fn()
    } catch (err) {
      if (!(err instanceof NeedNode)) throw err
      if (map !== null) loadRefSync(store, map, err.ref)
      else await loadRefs(store, [err.ref])
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
