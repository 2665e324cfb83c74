import { formatPath, headerLength, skipItem, sortAsciiKeys } from './canonical.ts'
import { Cid, cidForCbor } from './cid.ts'
import { asCid } from './cid-parse.ts'
import { DagCborEncodeError, type DagCborEncodeErrorCode } from './errors.ts'
import type { LexValue } from './lex.ts'
import { compareKeysUtf8, encodeUtf8Into, isWellFormed } from './utf8.ts'

/** Options of {@link encode}. */
export interface EncodeOptions {
  /** Deepest nesting of arrays and maps accepted (also stops cycles). Default 512, like decode. */
  maxDepth?: number
}

/** Default {@link EncodeOptions.maxDepth}. */
export const DEFAULT_ENCODE_MAX_DEPTH = 512

// Output is written into a shared slab and returned as a subarray of it, as Node's Buffer pool
// does: allocating an ArrayBuffer per call costs more than encoding a small record. A result that
// outgrows the slab moves to a buffer of its own. `result.buffer` is therefore shared: use
// `result.byteOffset`/`byteLength` (or `slice()`) when you need the ArrayBuffer.
const SLAB_SIZE = 16384
const MIN_ROOM = 512

let buf = new Uint8Array(SLAB_SIZE)
let pos = 0
let start = 0
let maxDepth = DEFAULT_ENCODE_MAX_DEPTH
let busy = false
// keys and indexes leading to the value being written, for error paths (no try/catch per value)
const pathKeys: (string | number)[] = []

// Thrown inside the writer; turned into a DagCborEncodeError with a readable path at the top.
class PathError {
  code: DagCborEncodeErrorCode
  detail: string
  depth: number
  constructor(code: DagCborEncodeErrorCode, detail: string, depth: number) {
    this.code = code
    this.detail = detail
    this.depth = depth
  }
}

function grow(need: number): void {
  const used = pos - start
  const next = new Uint8Array(Math.max(SLAB_SIZE, (used + need) * 2))
  next.set(buf.subarray(start, pos))
  buf = next
  start = 0
  pos = used
}

function writeHeader(major: number, arg: number): void {
  if (pos + 9 > buf.length) grow(9)
  const m = major << 5
  if (arg < 24) {
    buf[pos++] = m | arg
  } else if (arg < 0x100) {
    buf[pos++] = m | 24
    buf[pos++] = arg
  } else if (arg < 0x10000) {
    buf[pos++] = m | 25
    buf[pos++] = arg >>> 8
    buf[pos++] = arg & 0xff
  } else if (arg < 0x100000000) {
    buf[pos++] = m | 26
    buf[pos++] = arg >>> 24
    buf[pos++] = (arg >>> 16) & 0xff
    buf[pos++] = (arg >>> 8) & 0xff
    buf[pos++] = arg & 0xff
  } else {
    const hi = Math.floor(arg / 0x100000000)
    const lo = arg >>> 0
    buf[pos++] = m | 27
    buf[pos++] = hi >>> 24
    buf[pos++] = (hi >>> 16) & 0xff
    buf[pos++] = (hi >>> 8) & 0xff
    buf[pos++] = hi & 0xff
    buf[pos++] = lo >>> 24
    buf[pos++] = (lo >>> 16) & 0xff
    buf[pos++] = (lo >>> 8) & 0xff
    buf[pos++] = lo & 0xff
  }
}

// Strings up to this many UTF-16 units are encoded in JS: below it the native TextEncoder call
// (plus isWellFormed and a subarray) costs more than the loop. 3 bytes per unit stay under 2^16.
const JS_STRING_MAX = 56

function writeString(s: string, depth: number): void {
  const len = s.length
  if (pos + 9 + len * 3 > buf.length) grow(9 + len * 3)
  if (len <= JS_STRING_MAX) {
    // Optimistic ASCII pass straight into place, behind the header an ASCII string of `len` needs.
    const h = len < 24 ? 1 : len < 256 ? 2 : 3
    const b = buf
    let p = pos + h
    let i = 0
    for (; i < len; i++) {
      const c = s.charCodeAt(i)
      if (c >= 0x80) break
      b[p++] = c
    }
    if (i === len) {
      if (h === 1) buf[pos] = 0x60 | len
      else if (h === 2) {
        buf[pos] = 0x78
        buf[pos + 1] = len
      } else {
        buf[pos] = 0x79
        buf[pos + 1] = len >>> 8
        buf[pos + 2] = len & 0xff
      }
      pos = p
      return
    }
    writeStringTail(s, i, h, depth)
    return
  }
  // isWellFormed is O(1) on V8's one-byte strings, so ASCII/Latin-1 text pays nothing for it.
  if (!isWellFormed(s)) throw new PathError('INVALID_STRING', 'string has a lone surrogate', depth)
  // Write at the position the longest possible header needs, then shift if the real one is shorter.
  const est = headerLength(len * 3)
  const at = pos + est
  const n = encodeUtf8Into(s, buf, at)
  const real = headerLength(n)
  if (real !== est) buf.copyWithin(pos + real, at, at + n)
  writeHeader(3, n)
  pos += n
}

// The ASCII pass of writeString stopped at unit `from` (its bytes are at pos + h). Encode the
// rest as UTF-8 in JS, rejecting lone surrogates, then fix the header.
function writeStringTail(s: string, from: number, h: number, depth: number): void {
  const len = s.length
  const est = headerLength(len * 3)
  if (est !== h && from > 0) buf.copyWithin(pos + est, pos + h, pos + h + from)
  const at = pos + est
  const b = buf
  let p = at + from
  for (let i = from; i < len; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) {
      b[p++] = c
    } else if (c < 0x800) {
      b[p++] = 0xc0 | (c >> 6)
      b[p++] = 0x80 | (c & 0x3f)
    } else if (c < 0xd800 || c > 0xdfff) {
      b[p++] = 0xe0 | (c >> 12)
      b[p++] = 0x80 | ((c >> 6) & 0x3f)
      b[p++] = 0x80 | (c & 0x3f)
    } else {
      // a high surrogate followed by a low one; anything else is a lone surrogate
      const d = i + 1 < len ? s.charCodeAt(i + 1) : 0
      if (c > 0xdbff || d < 0xdc00 || d > 0xdfff)
        throw new PathError('INVALID_STRING', 'string has a lone surrogate', depth)
      const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)
      b[p++] = 0xf0 | (cp >> 18)
      b[p++] = 0x80 | ((cp >> 12) & 0x3f)
      b[p++] = 0x80 | ((cp >> 6) & 0x3f)
      b[p++] = 0x80 | (cp & 0x3f)
      i++
    }
  }
  const n = p - at
  const real = headerLength(n)
  if (real !== est) buf.copyWithin(pos + real, at, p)
  writeHeader(3, n)
  pos += n
}

function writeBytes(b: Uint8Array): void {
  const n = b.length
  writeHeader(2, n)
  if (pos + n > buf.length) grow(n)
  if (n <= 16) {
    // short byte strings (MST key suffixes): a loop beats the native set() call
    const out = buf
    const p = pos
    for (let i = 0; i < n; i++) out[p + i] = b[i] as number
  } else {
    buf.set(b, pos)
  }
  pos += n
}

function writeCid(cid: Cid): void {
  const n = cid.byteLength
  if (pos + 11 + n > buf.length) grow(11 + n)
  if (n === 36) {
    // tag 42, byte string of 37, the 0x00 multibase prefix: the header of every blessed CID
    buf[pos] = 0xd8
    buf[pos + 1] = 42
    buf[pos + 2] = 0x58
    buf[pos + 3] = 37
    buf[pos + 4] = 0
    pos += 5
  } else {
    buf[pos++] = 0xd8
    buf[pos++] = 42
    writeHeader(2, n + 1)
    buf[pos++] = 0
  }
  // One native copy; reading `bytes` keeps the view, so a CID encoded again pays nothing extra.
  buf.set(cid.bytes, pos)
  pos += n
}

// Writes a short ASCII map key; returns false (writing nothing) if the key is not ASCII or is long.
function writeAsciiKey(k: string): boolean {
  const len = k.length
  if (len >= 24) return false
  if (pos + 1 + len > buf.length) grow(1 + len)
  let p = pos + 1
  for (let i = 0; i < len; i++) {
    const c = k.charCodeAt(i)
    if (c >= 0x80) return false
    buf[p++] = c
  }
  buf[pos] = 0x60 | len
  pos = p
  return true
}

function writeMap(obj: Record<string, unknown>, depth: number): void {
  const keys = Object.keys(obj)
  const n = keys.length
  if (n >= 24) {
    writeBigMap(obj, keys, depth)
    return
  }
  if (n > 1) sortAsciiKeys(keys)
  // Optimistic pass: assume short ASCII keys, for which the order above is canonical, and patch
  // the one-byte header once the number of defined values is known. Offsets are kept relative
  // to `start` because grow() may move the output.
  if (pos + 1 > buf.length) grow(1)
  const headerRel = pos - start
  pos++
  const child = depth + 1
  let count = 0
  for (let i = 0; i < n; i++) {
    const k = keys[i] as string
    const v = obj[k]
    // Absent and undefined read the same in JS, so an undefined property is left out (as in @atproto/lex-cbor).
    if (v === undefined) continue
    pathKeys[depth] = k
    if (!writeAsciiKey(k)) {
      finishMapSlow(obj, keys, i, headerRel, depth)
      return
    }
    writeValue(v, child)
    count++
  }
  buf[start + headerRel] = 0xa0 | count
}

// Maps of 24+ keys: count first, sort by UTF-8 when needed, then write.
function writeBigMap(obj: Record<string, unknown>, keys: string[], depth: number): void {
  let ascii = true
  for (let i = 0; i < keys.length && ascii; i++) {
    const k = keys[i] as string
    for (let j = 0; j < k.length; j++) {
      if (k.charCodeAt(j) >= 0x80) {
        ascii = false
        break
      }
    }
  }
  if (ascii) sortAsciiKeys(keys)
  else keys.sort(compareKeysUtf8)
  let count = 0
  for (let i = 0; i < keys.length; i++) if (obj[keys[i] as string] !== undefined) count++
  writeHeader(5, count)
  const child = depth + 1
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string
    const v = obj[k]
    if (v === undefined) continue
    pathKeys[depth] = k
    writeString(k, child)
    writeValue(v, child)
  }
}

// The optimistic pass met a non-ASCII (or long) key at index `from`. Write the remaining entries,
// then reorder the encoded entries by their UTF-8 keys. Nothing already written is encoded again,
// so nested maps like this cost linear time, not exponential.
function finishMapSlow(
  obj: Record<string, unknown>,
  keys: string[],
  from: number,
  headerRel: number,
  depth: number,
): void {
  const child = depth + 1
  for (let i = from; i < keys.length; i++) {
    const k = keys[i] as string
    const v = obj[k]
    if (v === undefined) continue
    pathKeys[depth] = k
    writeString(k, child)
    writeValue(v, child)
  }
  const bodyStart = start + headerRel + 1
  const spans: { k: string; s: number; e: number }[] = []
  let p = bodyStart
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string
    if (obj[k] === undefined) continue
    const s = p
    p = skipItem(buf, skipItem(buf, p))
    spans.push({ k, s: s - bodyStart, e: p - bodyStart })
  }
  spans.sort((a, b) => compareKeysUtf8(a.k, b.k))
  const body = buf.slice(bodyStart, pos)
  pos = start + headerRel
  writeHeader(5, spans.length)
  if (pos + body.length > buf.length) grow(body.length)
  for (const sp of spans) {
    buf.set(body.subarray(sp.s, sp.e), pos)
    pos += sp.e - sp.s
  }
}

function writeArray(arr: unknown[], depth: number): void {
  const n = arr.length
  writeHeader(4, n)
  const child = depth + 1
  for (let i = 0; i < n; i++) {
    pathKeys[depth] = i
    writeValue(arr[i], child)
  }
}

function writeValue(v: unknown, depth: number): void {
  switch (typeof v) {
    case 'string':
      writeString(v, depth)
      return
    case 'number':
      if (Number.isSafeInteger(v)) {
        if (v >= 0) writeHeader(0, v)
        else writeHeader(1, -v - 1)
        return
      }
      if (Number.isInteger(v))
        throw new PathError('INTEGER_OUT_OF_RANGE', 'integer is outside the safe range ±(2^53-1)', depth)
      throw new PathError(
        'NOT_AN_INTEGER',
        `number is not an integer (floats are not in the data model): ${v}`,
        depth,
      )
    case 'boolean':
      if (pos + 1 > buf.length) grow(1)
      buf[pos++] = v ? 0xf5 : 0xf4
      return
    case 'object': {
      if (v === null) {
        if (pos + 1 > buf.length) grow(1)
        buf[pos++] = 0xf6
        return
      }
      if (v instanceof Cid) {
        writeCid(v)
        return
      }
      if (Array.isArray(v)) {
        if (depth >= maxDepth)
          throw new PathError('MAX_DEPTH_EXCEEDED', `nesting deeper than maxDepth=${maxDepth}`, depth)
        writeArray(v, depth)
        return
      }
      if (v instanceof Uint8Array) {
        writeBytes(v)
        return
      }
      const proto = Object.getPrototypeOf(v)
      if (proto === Object.prototype || proto === null) {
        if (depth >= maxDepth)
          throw new PathError('MAX_DEPTH_EXCEEDED', `nesting deeper than maxDepth=${maxDepth}`, depth)
        writeMap(v as Record<string, unknown>, depth)
        return
      }
      const foreign = asCid(v)
      if (foreign !== null) {
        writeCid(foreign)
        return
      }
      throw new PathError(
        'UNSUPPORTED_TYPE',
        `objects of class ${proto?.constructor?.name ?? 'unknown'} are not in the data model`,
        depth,
      )
    }
    default:
      throw new PathError('UNSUPPORTED_TYPE', `${typeof v} is not in the data model`, depth)
  }
}

/**
 * Encodes a data-model value as canonical DAG-CBOR: map keys sorted length-first then bytewise,
 * minimal integer headers, CIDs as tag 42. Map properties whose value is `undefined` are omitted.
 * The result may share its `ArrayBuffer` with other results (see `byteOffset`).
 * @throws {DagCborEncodeError} for floats, unsafe integers, lone surrogates, non-plain objects,
 *   `undefined` outside a map, or nesting past `maxDepth` (which also catches cycles)
 * @throws {RangeError} for a negative or non-integer `maxDepth`
 * @example
 * const bytes = encode({ $type: 'app.bsky.feed.post', text: 'hi', createdAt: '2024-01-01T00:00:00Z' })
 */
export function encode(value: LexValue, options?: EncodeOptions): Uint8Array {
  if (busy) return encodeReentrant(value, options)
  // start on an 8-byte boundary, in a fresh slab when this one is nearly used up
  let at = (pos + 7) & ~7
  if (buf.length - at < MIN_ROOM) {
    buf = new Uint8Array(SLAB_SIZE)
    at = 0
  }
  const depthOption = options?.maxDepth
  if (depthOption !== undefined && !(Number.isSafeInteger(depthOption) && depthOption >= 0)) {
    throw new RangeError('encode: maxDepth must be a non-negative integer')
  }
  start = at
  pos = at
  maxDepth = depthOption ?? DEFAULT_ENCODE_MAX_DEPTH
  busy = true
  try {
    writeValue(value, 0)
    const out = buf.subarray(start, pos)
    // a big one-off buffer is not kept as the slab, so later small results do not pin it
    if (buf.length > 4 * SLAB_SIZE) pos = buf.length
    return out
  } catch (e) {
    pos = start
    if (e instanceof PathError) throw new DagCborEncodeError(e.code, formatPath(pathKeys, e.depth), e.detail)
    // a maxDepth raised far past the default can still exhaust the JS stack: report it as depth
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      pathKeys.length = 0
      throw new DagCborEncodeError(
        'MAX_DEPTH_EXCEEDED',
        '$',
        'value nests deeper than the JS stack allows; lower maxDepth',
      )
    }
    throw e
  } finally {
    busy = false
  }
}

// A property getter called encode while encode was running: run on a private slab and restore.
function encodeReentrant(value: LexValue, options?: EncodeOptions): Uint8Array {
  const saved = { buf, pos, start, maxDepth, path: pathKeys.slice() }
  buf = new Uint8Array(SLAB_SIZE)
  pos = 0
  busy = false
  try {
    return encode(value, options)
  } finally {
    buf = saved.buf
    pos = saved.pos
    start = saved.start
    maxDepth = saved.maxDepth
    pathKeys.length = 0
    pathKeys.push(...saved.path)
    busy = true
  }
}

/**
 * Encodes `value` and computes its CID (v1, dag-cbor, sha2-256) in one step.
 * @throws {DagCborEncodeError} as {@link encode}
 * @example const { bytes, cid } = encodeWithCid(record)
 */
export function encodeWithCid(value: LexValue, options?: EncodeOptions): { bytes: Uint8Array; cid: Cid } {
  const bytes = encode(value, options)
  return { bytes, cid: cidForCbor(bytes) }
}
