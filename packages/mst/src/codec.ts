import { type Cid, createCid, DAG_CBOR_CODEC, decodeCidView } from '@rsky/dag-cbor'
import { digestInto } from '#digest'
import { InvalidMstNodeError } from './errors.ts'
import { ALLOWED, countPrefixLen, heightForKey, MAX_MST_KEY_LENGTH, mstKeyProblem } from './key.ts'
import { type Child, DEFAULT_NODE_LIMITS, MstNode, type NodeLimits, NodeRef } from './node.ts'

// Node blocks are always the same CBOR shape: {e: [{k, p, t, v}...], l}. The encoder writes that
// shape directly (canonical: keys sorted, minimal heads) and the decoder accepts only that
// canonical form, so a decoded node re-encodes to the very bytes its CID was computed over.

function headSize(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5
}

function writeHead(out: Uint8Array, pos: number, major: number, n: number): number {
  const m = major << 5
  if (n < 24) {
    out[pos] = m | n
    return pos + 1
  }
  if (n < 0x100) {
    out[pos] = m | 24
    out[pos + 1] = n
    return pos + 2
  }
  if (n < 0x10000) {
    out[pos] = m | 25
    out[pos + 1] = n >>> 8
    out[pos + 2] = n & 0xff
    return pos + 3
  }
  out[pos] = m | 26
  out[pos + 1] = n >>> 24
  out[pos + 2] = (n >>> 16) & 0xff
  out[pos + 3] = (n >>> 8) & 0xff
  out[pos + 4] = n & 0xff
  return pos + 5
}

function linkSize(cid: Cid): number {
  const n = cid.bytes.length + 1
  return 2 + headSize(n) + n
}

function writeLink(out: Uint8Array, pos: number, cid: Cid): number {
  out[pos] = 0xd8
  out[pos + 1] = 42
  const b = cid.bytes
  let p = writeHead(out, pos + 2, 2, b.length + 1)
  out[p++] = 0
  out.set(b, p)
  return p + b.length
}

/** CID of a child link, encoding the child first if it is a new node. */
export function childCid(child: MstNode | NodeRef): Cid {
  return child instanceof NodeRef ? child.cid : nodeCid(child)
}

/**
 * Canonical DAG-CBOR bytes of a node. Nodes decoded from storage keep their block; new nodes
 * are encoded on demand and not kept (their CID is what is memoised), which keeps large trees
 * built in memory small.
 */
export function nodeBytes(node: MstNode): Uint8Array {
  if (node.bytes !== undefined) return node.bytes
  const len = encodeToScratch(node)
  return scratch.slice(0, len)
}

let scratch = /* @__PURE__ */ new Uint8Array(4096)
const digest = /* @__PURE__ */ new Uint8Array(32)

/** Encodes `node` into the module scratch buffer and returns the length written. */
function encodeToScratch(node: MstNode): number {
  const { keys, values, rights, left } = node
  const n = keys.length
  const leftCid = left === null ? null : childCid(left)
  let size = 1 + 2 + headSize(n) + 2 + (leftCid === null ? 1 : linkSize(leftCid))
  let prev = ''
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string
    const p = countPrefixLen(prev, key)
    const r = rights[i] ?? null
    const klen = key.length - p
    size += 1 + 2 + headSize(klen) + klen + 2 + headSize(p) + 2 + (r === null ? 1 : linkSize(childCid(r)))
    size += 2 + linkSize(values[i] as Cid)
    prev = key
  }
  // Child CIDs are all computed (and memoised) above, so nothing below re-enters this function.
  if (scratch.length < size) scratch = new Uint8Array(Math.max(size, scratch.length * 2))
  const out = scratch
  out[0] = 0xa2
  out[1] = 0x61
  out[2] = 0x65 // "e"
  let pos = writeHead(out, 3, 4, n)
  prev = ''
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string
    const p = countPrefixLen(prev, key)
    prev = key
    out[pos] = 0xa4
    out[pos + 1] = 0x61
    out[pos + 2] = 0x6b // "k"
    pos = writeHead(out, pos + 3, 2, key.length - p)
    for (let j = p; j < key.length; j++) out[pos++] = key.charCodeAt(j)
    out[pos] = 0x61
    out[pos + 1] = 0x70 // "p"
    pos = writeHead(out, pos + 2, 0, p)
    out[pos] = 0x61
    out[pos + 1] = 0x74 // "t"
    pos += 2
    const r = rights[i] ?? null
    if (r === null) out[pos++] = 0xf6
    else pos = writeLink(out, pos, childCid(r))
    out[pos] = 0x61
    out[pos + 1] = 0x76 // "v"
    pos = writeLink(out, pos + 2, values[i] as Cid)
  }
  out[pos] = 0x61
  out[pos + 1] = 0x6c // "l"
  pos += 2
  if (leftCid === null) out[pos++] = 0xf6
  else pos = writeLink(out, pos, leftCid)
  return pos
}

/** CID of a node (sha2-256, dag-cbor), memoised. */
export function nodeCid(node: MstNode): Cid {
  if (node.cid !== undefined) return node.cid
  if (node.bytes !== undefined) digestInto(node.bytes, node.bytes.length, digest, 0)
  else {
    // Encode first: encoding may replace `scratch` with a larger buffer.
    const len = encodeToScratch(node)
    digestInto(scratch, len, digest, 0)
  }
  const cid = createCid(DAG_CBOR_CODEC, digest)
  node.cid = cid
  return cid
}

class Reader {
  readonly bytes: Uint8Array
  readonly cid: Cid | undefined
  pos = 0
  constructor(bytes: Uint8Array, cid: Cid | undefined) {
    this.bytes = bytes
    this.cid = cid
  }
  fail(message: string, at: number = this.pos): never {
    throw new InvalidMstNodeError('MST_NODE_ENCODING', `invalid MST node encoding: ${message}`, {
      cid: this.cid,
      offset: at,
    })
  }
  head(major: number, what: string): number {
    const start = this.pos
    const b = this.bytes
    if (start >= b.length) this.fail(`truncated before ${what}`)
    const first = b[start] as number
    if (first >> 5 !== major) this.fail(`expected ${what}`)
    const ai = first & 31
    if (ai < 24) {
      this.pos = start + 1
      return ai
    }
    const extra = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : 0
    if (extra === 0) this.fail(`unsupported length encoding for ${what}`)
    if (start + 1 + extra > b.length) this.fail(`truncated ${what}`)
    let n = 0
    for (let i = 1; i <= extra; i++) n = n * 256 + (b[start + i] as number)
    const min = extra === 1 ? 24 : extra === 2 ? 0x100 : 0x10000
    if (n < min) this.fail(`non-minimal length for ${what}`)
    this.pos = start + 1 + extra
    return n
  }
  key(ch: number): void {
    const b = this.bytes
    if (this.pos + 2 > b.length || b[this.pos] !== 0x61 || b[this.pos + 1] !== ch) {
      this.fail(`expected map key "${String.fromCharCode(ch)}"`)
    }
    this.pos += 2
  }
  byteString(what: string): [number, number] {
    const len = this.head(2, what)
    const start = this.pos
    if (start + len > this.bytes.length) this.fail(`truncated ${what}`)
    this.pos = start + len
    return [start, len]
  }
  isNull(): boolean {
    if (this.bytes[this.pos] === 0xf6) {
      this.pos++
      return true
    }
    return false
  }
  link(what: string, nodeLink: boolean): Cid {
    const at = this.pos
    if (this.head(6, what) !== 42) this.fail(`expected CID tag for ${what}`, at)
    const [start, len] = this.byteString(what)
    const b = this.bytes
    if (len < 2 || b[start] !== 0) this.fail(`bad CID bytes for ${what}`, at)
    if (
      nodeLink &&
      (len !== 37 ||
        b[start + 1] !== 1 ||
        b[start + 2] !== 0x71 ||
        b[start + 3] !== 0x12 ||
        b[start + 4] !== 0x20)
    ) {
      this.fail(`${what} is not a CIDv1 dag-cbor sha2-256 link`, at)
    }
    try {
      // A view, not a copy: the node keeps its block (`bytes`) anyway.
      return decodeCidView(b, start + 1, start + len)
    } catch {
      return this.fail(`undecodable CID for ${what}`, at)
    }
  }
}

/** Where a node being decoded sits in its tree; `layer` undefined means "the root, derive it". */
export interface NodePlace {
  layer?: number | undefined
  lo?: string | null
  hi?: string | null
  /** Decode caps (default {@link DEFAULT_NODE_LIMITS}); inherited by the node's child refs. */
  limits?: NodeLimits | undefined
}

function shortLatin1(b: Uint8Array, start: number, n: number): string {
  let s = ''
  for (let j = 0; j < n; j++) s += String.fromCharCode(b[start + j] as number)
  return s
}

function structural(code: string, message: string, cid: Cid | undefined): never {
  throw new InvalidMstNodeError(code, message, { cid })
}

let keySlash = -1

/** @internal Where the "/" of the key last returned by {@link entryKey} is. */
export function lastKeySlash(): number {
  return keySlash
}

/**
 * The key of entry `i` from its suffix bytes `b[ks, ks + kl)` after the first `p` characters of
 * `prev` (the previous key, its "/" at `prevSlash`; `p <= prev.length` already checked), checked:
 * allowed characters and one "/" with both parts non-empty, seen from the new suffix bytes alone
 * (mstKeyProblem runs only to name a problem), the length cap, strictly after `prev`, and the
 * canonical prefix length. Sets what {@link lastKeySlash} returns. Both node readers use it (the
 * node's own below, the one on `decode` in node-entries.ts).
 * @internal
 */
export function entryKey(
  b: Uint8Array,
  ks: number,
  kl: number,
  p: number,
  prev: string,
  prevSlash: number,
  i: number,
  cid: Cid | undefined,
): string {
  // A suffix far over the cap is refused before it becomes a string: String.fromCharCode.apply has
  // an argument cap, and a hostile node's key of a few hundred kilobytes would be a RangeError there.
  // (Nearer the cap the key is built, so that the message can name it.)
  if (kl > 4 * MAX_MST_KEY_LENGTH) {
    const problem = `longer than ${MAX_MST_KEY_LENGTH}; length=${p + kl}`
    structural('MST_NODE_KEY', `invalid key in MST node: ${problem}`, cid)
  }
  let slash = prevSlash >= 0 && prevSlash < p ? prevSlash : -1
  let slashes = slash >= 0 ? 1 : 0
  let allowed = true
  for (let j = 0; j < kl; j++) {
    const c = b[ks + j] as number
    if (c === 0x2f) {
      slashes++
      slash = p + j
    } else if (c >= 128 || ALLOWED[c] !== 1) allowed = false
  }
  const suffix =
    kl <= 10 ? shortLatin1(b, ks, kl) : String.fromCharCode.apply(null, b.subarray(ks, ks + kl) as never)
  const key = p === 0 ? suffix : prev.slice(0, p) + suffix
  const len = p + kl
  if (!allowed || slashes !== 1 || slash === 0 || slash === len - 1 || len > MAX_MST_KEY_LENGTH) {
    const problem = mstKeyProblem(key) ?? 'invalid'
    structural('MST_NODE_KEY', `invalid key in MST node: ${problem}; key=${key}`, cid)
  }
  if (i > 0 && !(key > prev)) structural('MST_NODE_ORDER', `keys out of order in MST node; key=${key}`, cid)
  if (countPrefixLen(prev, key) !== p)
    structural('MST_NODE_PREFIX', `non-canonical prefix length; key=${key}`, cid)
  keySlash = slash
  return key
}

/** @internal The entry-count cap of `limits`, checked against `count`. */
export function checkCount(count: number, limits: NodeLimits, cid: Cid | undefined): void {
  if (count > limits.maxNodeEntries) {
    structural(
      'MST_NODE_TOO_LARGE',
      `node has more entries than allowed; count=${count} max=${limits.maxNodeEntries}`,
      cid,
    )
  }
}

/**
 * The checks that need all of a node's parsed entries: keys inside the parent's bounds, every key
 * at the node's layer, no empty node below the root, links only above layer 0. Returns the layer.
 * @internal
 */
export function checkNode(
  cid: Cid | undefined,
  place: NodePlace,
  keys: string[],
  rightCids: (Cid | null)[],
  leftCid: Cid | null,
): number {
  const count = keys.length
  const lo = place.lo ?? null
  const hi = place.hi ?? null
  if (count > 0) {
    if (lo !== null && !((keys[0] as string) > lo))
      structural('MST_NODE_ORDER', 'key below subtree bound', cid)
    if (hi !== null && !((keys[count - 1] as string) < hi))
      structural('MST_NODE_ORDER', 'key above subtree bound', cid)
  }
  let layer = place.layer
  // The keys to check against the layer: all, unless the first one defined it (the root).
  let from = 0
  if (layer === undefined) {
    if (count === 0) {
      if (leftCid !== null) structural('MST_NODE_EMPTY', 'root node has no entries but a subtree', cid)
      layer = 0
    } else {
      layer = heightForKey(keys[0] as string)
      from = 1
    }
  } else if (count === 0 && leftCid === null) {
    structural('MST_NODE_EMPTY', 'empty MST node below the root', cid)
  }
  for (let i = from; i < count; i++) {
    if (heightForKey(keys[i] as string) !== layer) {
      structural('MST_NODE_LAYER', `key at wrong layer; key=${keys[i]} layer=${layer}`, cid)
    }
  }
  const hasChild = leftCid !== null || rightCids.some((c) => c !== null)
  if (layer === 0 && hasChild) structural('MST_NODE_LAYER', 'subtree link below layer 0', cid)
  return layer
}

/** The checked node of the parsed entries, its subtree links as refs bounded by its keys. */
function finishNode(
  bytes: Uint8Array,
  cid: Cid | undefined,
  place: NodePlace,
  limits: NodeLimits,
  keys: string[],
  values: Cid[],
  rightCids: (Cid | null)[],
  leftCid: Cid | null,
): MstNode {
  const layer = checkNode(cid, place, keys, rightCids, leftCid)
  const count = keys.length
  const lo = place.lo ?? null
  const hi = place.hi ?? null
  const childLayer = layer - 1
  const left: Child =
    leftCid === null
      ? null
      : new NodeRef(leftCid, childLayer, lo, count > 0 ? (keys[0] as string) : hi, limits)
  const rights: Child[] = new Array(count)
  for (let i = 0; i < count; i++) {
    const c = rightCids[i] ?? null
    rights[i] =
      c === null
        ? null
        : new NodeRef(c, childLayer, keys[i] as string, i + 1 < count ? (keys[i + 1] as string) : hi, limits)
  }
  const node = new MstNode(layer, left, keys, values, rights, true)
  node.bytes = bytes
  if (cid !== undefined) node.cid = cid
  return node
}

/** A node block's parts as read by {@link parseNode}, before the checks of {@link checkNode}. */
interface ParsedNode {
  keys: string[]
  values: Cid[]
  rightCids: (Cid | null)[]
  leftCid: Cid | null
}

/** Reads a node block with the node's own reader: canonical encoding, entry limit, every key. */
function parseNode(bytes: Uint8Array, cid: Cid | undefined, limits: NodeLimits): ParsedNode {
  const r = new Reader(bytes, cid)
  if (bytes[0] !== 0xa2) r.fail('expected a map of two entries')
  r.pos = 1
  r.key(0x65)
  const count = r.head(4, 'entries array')
  // The smallest entry takes 16 bytes; refuse counts the block cannot hold before allocating.
  if (count * 16 > bytes.length) r.fail('entry count larger than the block')
  checkCount(count, limits, cid)
  const keys: string[] = new Array(count)
  const values: Cid[] = new Array(count)
  const rightCids: (Cid | null)[] = new Array(count)
  let prev = ''
  let prevSlash = -1
  for (let i = 0; i < count; i++) {
    const at = r.pos
    if (r.head(5, 'entry map') !== 4) r.fail('entry map must have 4 fields', at)
    r.key(0x6b)
    const [ks, kl] = r.byteString('key suffix')
    r.key(0x70)
    const p = r.head(0, 'prefix length')
    if (p > prev.length) r.fail('prefix length longer than previous key', at)
    r.key(0x74)
    rightCids[i] = r.isNull() ? null : r.link('subtree link', true)
    r.key(0x76)
    values[i] = r.link('value link', false)
    prev = keys[i] = entryKey(bytes, ks, kl, p, prev, prevSlash, i, cid)
    prevSlash = keySlash
  }
  r.key(0x6c)
  const leftCid = r.isNull() ? null : r.link('left link', true)
  if (r.pos !== bytes.length) r.fail('trailing bytes after node')
  return { keys, values, rightCids, leftCid }
}

/**
 * Decodes and checks one node block: canonical encoding, valid keys in strictly ascending
 * order inside the parent's bounds, every key at the node's layer, canonical prefix lengths,
 * and links present only above layer 0.
 * @throws InvalidMstNodeError
 */
export function decodeNode(bytes: Uint8Array, cid: Cid | undefined, place: NodePlace = {}): MstNode {
  const limits = place.limits ?? DEFAULT_NODE_LIMITS
  const { keys, values, rightCids, leftCid } = parseNode(bytes, cid, limits)
  return finishNode(bytes, cid, place, limits, keys, values, rightCids, leftCid)
}

/**
 * @internal {@link decodeNode} returning plain data: `decodeNodeEntries` in Node (node-entries.node.ts),
 * where this reader is the faster one.
 */
export function readNodeEntries(bytes: Uint8Array, cid: Cid | undefined, place: NodePlace = {}): NodeEntries {
  const { keys, values, rightCids, leftCid } = parseNode(bytes, cid, place.limits ?? DEFAULT_NODE_LIMITS)
  return {
    layer: checkNode(cid, place, keys, rightCids, leftCid),
    keys,
    values,
    left: leftCid,
    rights: rightCids,
  }
}

/** A checked node as plain data, as {@link decodeNodeEntries} returns it. */
export interface NodeEntries {
  /** The node's layer (0 for leaves). */
  layer: number
  /** Keys in ascending order. */
  keys: string[]
  /** The value (record CID) of each key. */
  values: Cid[]
  /** The subtree before the first key, or null. */
  left: Cid | null
  /** The subtree after each key, or null. */
  rights: (Cid | null)[]
}
