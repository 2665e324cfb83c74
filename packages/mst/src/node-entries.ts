// decodeNodeEntries outside Node (browsers first): a node read through @rsky/dag-cbor's `decode`,
// which a repository reader ships anyway for records, so its bundle carries one CBOR reader and no
// second one for nodes. In Node, node-entries.node.ts gives the node's own reader instead (about 8%
// faster per node); test/decode-value.test.ts holds both equal to decodeNode.
import { type Cid, DagCborDecodeError, decode, isCid, isLexMap } from '@rsky/dag-cbor'
import { checkCount, checkNode, entryKey, lastKeySlash, type NodeEntries, type NodePlace } from './codec.ts'
import { InvalidMstNodeError } from './errors.ts'
import { DEFAULT_NODE_LIMITS } from './node.ts'

function encodingError(message: string, cid: Cid | undefined, offset?: number): never {
  throw new InvalidMstNodeError('MST_NODE_ENCODING', `invalid MST node encoding: ${message}`, { cid, offset })
}

/** Whether `value` is a map as `decode` returns them with exactly the keys k, p, t, v (in that order, as decode keeps them). */
function isEntryMap(value: unknown): value is Record<string, unknown> {
  if (!isLexMap(value)) return false
  const keys = Object.keys(value)
  return keys.length === 4 && keys[0] === 'k' && keys[1] === 'p' && keys[2] === 't' && keys[3] === 'v'
}

const ENTRY_SHAPE = 'entry is not {k: bytes, p: unsigned integer, t: node link or null, v: CID}'

/** `value` when it is a link to a node (CIDv1, dag-cbor, sha2-256), else null. */
function nodeLink(value: unknown): Cid | null {
  if (!isCid(value)) return null
  const b = value.bytes
  return b.length === 36 && b[0] === 1 && b[1] === 0x71 && b[2] === 0x12 && b[3] === 0x20 ? value : null
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
 * @throws InvalidMstNodeError
 * @example
 * const { keys, values, left, rights } = decodeNodeEntries(bytes, cid, { layer, lo, hi })
 */
export function decodeNodeEntries(
  bytes: Uint8Array,
  cid: Cid | undefined,
  place: NodePlace = {},
): NodeEntries {
  let value: unknown
  try {
    value = decode(bytes)
  } catch (err) {
    if (!(err instanceof DagCborDecodeError)) throw err
    encodingError(`not strict DAG-CBOR (${err.code})`, cid, err.offset)
  }
  // The checks in decodeNode's order, so that both name the same fault first: the map's first
  // key (decode keeps the canonical order) before the entries, its second after them.
  const fields = isLexMap(value) ? Object.keys(value) : []
  if (fields.length !== 2) encodingError('expected a map of two entries', cid)
  const node = value as Record<string, unknown>
  const entries = node.e
  if (fields[0] !== 'e' || !Array.isArray(entries)) encodingError('expected map key "e" with an array', cid)
  const count = entries.length
  const limits = place.limits ?? DEFAULT_NODE_LIMITS
  checkCount(count, limits, cid)
  const keys: string[] = new Array(count)
  const values: Cid[] = new Array(count)
  const rightCids: (Cid | null)[] = new Array(count)
  let prev = ''
  let prevSlash = -1
  for (let i = 0; i < count; i++) {
    const entry = entries[i]
    if (!isEntryMap(entry)) encodingError(ENTRY_SHAPE, cid)
    const { k, p, t, v } = entry
    const right = t === null ? null : nodeLink(t)
    if (
      !(k instanceof Uint8Array) ||
      typeof p !== 'number' ||
      p < 0 ||
      (t !== null && right === null) ||
      !isCid(v)
    )
      encodingError(ENTRY_SHAPE, cid)
    if (p > prev.length) encodingError('prefix length longer than previous key', cid)
    rightCids[i] = right
    values[i] = v
    prev = keys[i] = entryKey(k, 0, k.length, p, prev, prevSlash, i, cid)
    prevSlash = lastKeySlash()
  }
  const l = node.l
  if (fields[1] !== 'l') encodingError('expected map key "l"', cid)
  const leftCid = l === null ? null : nodeLink(l)
  if (l !== null && leftCid === null) encodingError('left link is not a CIDv1 dag-cbor sha2-256 link', cid)
  return {
    layer: checkNode(cid, place, keys, rightCids, leftCid),
    keys,
    values,
    left: leftCid,
    rights: rightCids,
  }
}
