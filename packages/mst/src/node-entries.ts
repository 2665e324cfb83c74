// decodeNodeEntries outside Node (browsers first): a node read through @rsky/dag-cbor's `decode`,
// which a repository reader ships anyway for records, so its bundle carries one CBOR reader and no
// second one for nodes. Written small on purpose (no codec.ts, no key.ts): one pattern for the key
// rules, one error helper with a short message. In Node, node-entries.node.ts gives the node's own
// reader instead; test/decode-value.test.ts holds both equal to decodeNode (the same nodes, the same
// error codes).

import { sha256LeadingZeroPairs } from '@rsky/crypto/sha256-js'
import { type Cid, DagCborDecodeError, decodeBlock, isCid } from '@rsky/dag-cbor'
import type { NodeEntries, NodePlace } from './codec.ts'
import { InvalidMstNodeError } from './errors.ts'
import { DEFAULT_NODE_LIMITS } from './node.ts'

// A valid MST key: `collection/rkey`, both parts non-empty, only A-Za-z0-9_~-:. (`\w` is
// [A-Za-z0-9_] without the u flag). Bytes above 0x7f become characters the pattern refuses.
const KEY = /^[\w~:.-]+\/[\w~:.-]+$/

// A key's layer. Keys reach it only after KEY and the length cap, so they are ASCII of at most
// 1,024 characters: one byte per character in a fixed buffer (digest.ts's keyHeight, without its
// growing buffer and its UTF-8 path, which these keys never need).
const KEY_BYTES = new Uint8Array(1024)
function keyHeight(key: string): number {
  for (let i = 0; i < key.length; i++) KEY_BYTES[i] = key.charCodeAt(i)
  return sha256LeadingZeroPairs(KEY_BYTES, key.length)
}

/** `value` when it is a link to a node (CIDv1, dag-cbor, sha2-256), else null. */
function nodeLink(value: unknown): Cid | null {
  const b = isCid(value) ? value.bytes : []
  return b.length === 36 && b[0] === 1 && b[1] === 0x71 && b[2] === 0x12 && b[3] === 0x20
    ? (value as Cid)
    : null
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
  const fail = (code: string, key?: string, offset?: number): never => {
    throw new InvalidMstNodeError(
      `MST_NODE_${code}`,
      `invalid MST node; code=MST_NODE_${code}${key === undefined ? '' : ` key=${key}`}`,
      { cid, offset },
    )
  }
  let node: Record<string, unknown>
  try {
    node = decodeBlock(bytes) as Record<string, unknown>
  } catch (err) {
    if (!(err instanceof DagCborDecodeError)) throw err
    return fail('ENCODING', undefined, err.offset)
  }
  // The checks in decodeNode's order, so that both name the same fault first: the map's first
  // key (decode keeps the canonical order) before the entries, its second after them. Every value
  // `decode` returns but null has keys (none for numbers, indices for arrays and strings).
  const fields = node === null ? [] : Object.keys(node)
  const entries = node?.e
  if (fields.length !== 2 || fields[0] !== 'e' || !Array.isArray(entries)) fail('ENCODING')
  const count = (entries as unknown[]).length
  if (count > (place.limits ?? DEFAULT_NODE_LIMITS).maxNodeEntries) fail('TOO_LARGE')
  const keys: string[] = []
  const values: Cid[] = []
  const rights: (Cid | null)[] = []
  let prev = ''
  for (const entry of entries as Record<string, unknown>[]) {
    // The four keys one by one: joining them into a string cost about 10% of a node's read in Chromium.
    const f = entry === null ? [] : Object.keys(entry)
    if (f.length !== 4 || f[0] !== 'k' || f[1] !== 'p' || f[2] !== 't' || f[3] !== 'v') fail('ENCODING')
    // Held to these types by the check below (fail throws).
    const { k, p, t, v } = entry as { k: Uint8Array; p: number; t: unknown; v: Cid }
    const right = nodeLink(t)
    if (!(k instanceof Uint8Array) || typeof p !== 'number' || p < 0 || (t !== null && !right) || !isCid(v))
      fail('ENCODING')
    if (p > prev.length) fail('ENCODING')
    // A suffix over the length cap is refused before it becomes a string (apply has an argument cap).
    const key = k.length > 1024 ? '' : prev.slice(0, p) + String.fromCharCode.apply(null, k as never)
    if (!KEY.test(key) || key.length > 1024) fail('KEY', key)
    if (keys.length > 0 && !(key > prev)) fail('ORDER', key)
    if (key[p] !== undefined && key[p] === prev[p]) fail('PREFIX', key)
    keys.push(key)
    values.push(v)
    rights.push(right)
    prev = key
  }
  const l = node.l
  const left = nodeLink(l)
  if (fields[1] !== 'l' || (l !== null && !left)) fail('ENCODING')
  // Bounds from the parent, then the layer: every key's (the root takes its first key's), no
  // empty node below the root, no links at layer 0.
  const { lo, hi } = place
  if (count > 0 && ((lo != null && !((keys[0] as string) > lo)) || (hi != null && !(prev < hi))))
    fail('ORDER')
  let layer = place.layer
  if (count === 0 && (layer === undefined ? left : !left)) fail('EMPTY')
  layer ??= count > 0 ? keyHeight(keys[0] as string) : 0
  for (const key of keys) if (keyHeight(key) !== layer) fail('LAYER', key)
  if (layer === 0 && (left || rights.some((c) => c))) fail('LAYER')
  return { layer, keys, values, left, rights }
}
