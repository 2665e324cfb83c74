// decodeNodeEntries outside Node (browsers first): a node read through @rsky/dag-cbor's `decode`,
// which a repository reader ships anyway for records, so its bundle carries one CBOR reader and no
// second one for nodes. Written small on purpose (no codec.ts, no key.ts): one pattern for the key
// rules, one error helper with a short message. In two steps, so that a reader hashing keys
// asynchronously (WebCrypto) can check the layer once it has the heights: parseNodeEntries, then
// checkNodeLayer. In Node, node-entries.node.ts gives the node's own reader instead;
// test/decode-value.test.ts holds both equal to decodeNode (the same nodes, the same error codes).
import { type Cid, DagCborDecodeError, decode, isCid } from '@rsky/dag-cbor'
import { keyHeight } from '#digest'
import type { NodeEntries, NodePlace } from './codec.ts'
import { InvalidMstNodeError } from './errors.ts'
import { DEFAULT_NODE_LIMITS } from './node.ts'

// A valid MST key: `collection/rkey`, both parts non-empty, only A-Za-z0-9_~-:. (`\w` is
// [A-Za-z0-9_] without the u flag). Bytes above 0x7f become characters the pattern refuses.
const KEY = /^[\w~:.-]+\/[\w~:.-]+$/

/** `value` when it is a link to a node (CIDv1, dag-cbor, sha2-256), else null. */
function nodeLink(value: unknown): Cid | null {
  const b = isCid(value) ? value.bytes : []
  return b.length === 36 && b[0] === 1 && b[1] === 0x71 && b[2] === 0x12 && b[3] === 0x20
    ? (value as Cid)
    : null
}

function fail(code: string, cid: Cid | undefined, key?: string, offset?: number): never {
  throw new InvalidMstNodeError(
    `MST_NODE_${code}`,
    `invalid MST node; code=MST_NODE_${code}${key === undefined ? '' : ` key=${key}`}`,
    { cid, offset },
  )
}

/**
 * {@link decodeNode} for readers that ship `@rsky/dag-cbor`'s `decode` anyway (a repository reader
 * decodes records with it) and only walk the tree: the block is decoded with `decode`, which holds
 * it to strict DAG-CBOR, the value's shape `{e: [{k, p, t, v}], l}` is checked, then every rule of
 * decodeNode, and the node comes back as plain data (no MstNode, no refs), so neither a second CBOR
 * reader nor the tree classes come into their bundle. It accepts exactly the blocks decodeNode
 * accepts, with the same keys, values, links and layer, and refuses the others with the same error
 * codes, except that a block that is not strict DAG-CBOR is always `MST_NODE_ENCODING` (decodeNode
 * may first meet a fault of another kind in an earlier entry). The links view `bytes`, which must
 * not change afterwards. A child's place is `{ layer: layer - 1, lo, hi }` with the keys around it.
 * Messages are short (`invalid MST node; code=... key=...`); the code and `cid` name the fault.
 * @throws InvalidMstNodeError
 * @example
 * const { keys, values, left, rights } = decodeNodeEntries(bytes, cid, { layer, lo, hi })
 */
export function decodeNodeEntries(
  bytes: Uint8Array,
  cid: Cid | undefined,
  place: NodePlace = {},
): NodeEntries {
  const node = parseNodeEntries(bytes, cid, place)
  checkNodeLayer(node, node.keys.map(keyHeight), cid, place)
  return node
}

/**
 * Every check of {@link decodeNodeEntries} but the layer's, in the same order; the node's `layer`
 * is -1 until {@link checkNodeLayer} sets it. @internal
 * @throws InvalidMstNodeError
 */
export function parseNodeEntries(
  bytes: Uint8Array,
  cid: Cid | undefined,
  place: NodePlace = {},
): NodeEntries {
  let node: Record<string, unknown>
  try {
    node = decode(bytes) as Record<string, unknown>
  } catch (err) {
    if (!(err instanceof DagCborDecodeError)) throw err
    return fail('ENCODING', cid, undefined, err.offset)
  }
  // The checks in decodeNode's order, so that both name the same fault first: the map's first
  // key (decode keeps the canonical order) before the entries, its second after them. Every value
  // `decode` returns but null has keys (none for numbers, indices for arrays and strings).
  const fields = node === null ? [] : Object.keys(node)
  const entries = node?.e
  if (fields.length !== 2 || fields[0] !== 'e' || !Array.isArray(entries)) fail('ENCODING', cid)
  const count = (entries as unknown[]).length
  if (count > (place.limits ?? DEFAULT_NODE_LIMITS).maxNodeEntries) fail('TOO_LARGE', cid)
  const keys: string[] = []
  const values: Cid[] = []
  const rights: (Cid | null)[] = []
  let prev = ''
  for (const entry of entries as Record<string, unknown>[]) {
    if (entry === null || Object.keys(entry).join() !== 'k,p,t,v') fail('ENCODING', cid)
    // Held to these types by the check below (fail throws).
    const { k, p, t, v } = entry as { k: Uint8Array; p: number; t: unknown; v: Cid }
    const right = nodeLink(t)
    if (!(k instanceof Uint8Array) || typeof p !== 'number' || p < 0 || (t !== null && !right) || !isCid(v))
      fail('ENCODING', cid)
    if (p > prev.length) fail('ENCODING', cid)
    // A suffix over the length cap is refused before it becomes a string (apply has an argument cap).
    const key = k.length > 1024 ? '' : prev.slice(0, p) + String.fromCharCode.apply(null, k as never)
    if (!KEY.test(key) || key.length > 1024) fail('KEY', cid, key)
    if (keys.length > 0 && !(key > prev)) fail('ORDER', cid, key)
    if (key[p] !== undefined && key[p] === prev[p]) fail('PREFIX', cid, key)
    keys.push(key)
    values.push(v)
    rights.push(right)
    prev = key
  }
  const l = node.l
  const left = nodeLink(l)
  if (fields[1] !== 'l' || (l !== null && !left)) fail('ENCODING', cid)
  // Bounds from the parent, then no empty node below the root (nor a root with only a subtree).
  const { lo, hi } = place
  if (count > 0 && ((lo != null && !((keys[0] as string) > lo)) || (hi != null && !(prev < hi))))
    fail('ORDER', cid)
  if (count === 0 && (place.layer === undefined ? left : !left)) fail('EMPTY', cid)
  return { layer: -1, keys, values, left, rights }
}

/**
 * The layer checks of {@link decodeNodeEntries} for a node from {@link parseNodeEntries}, given the
 * height of each of its keys (`heights[i]` for `node.keys[i]`): every key at the node's layer (the
 * root takes its first key's), no links at layer 0. Sets and returns `node.layer`. @internal
 * @throws InvalidMstNodeError
 */
export function checkNodeLayer(
  node: NodeEntries,
  heights: number[],
  cid: Cid | undefined,
  place: NodePlace = {},
): number {
  const layer = place.layer ?? heights[0] ?? 0
  for (let i = 0; i < heights.length; i++) if (heights[i] !== layer) fail('LAYER', cid, node.keys[i])
  if (layer === 0 && (node.left || node.rights.some((c) => c))) fail('LAYER', cid)
  node.layer = layer
  return layer
}
