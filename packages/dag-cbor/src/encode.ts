import { asCid, Cid, cidForCbor } from './cid.ts'
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

const INITIAL_SIZE = 8192
// A buffer much larger than this is dropped after use so one huge value does not pin memory.
const KEEP_SIZE = 1 << 20

// One scratch buffer reused across calls; `encode` copies the result out. Encoding runs no user
// code except property getters, and `encode` saves and restores this state if re-entered.
let buf = new Uint8Array(INITIAL_SIZE)
let pos = 0
let maxDepth = DEFAULT_ENCODE_MAX_DEPTH
let busy = false

// Carries the path of a failure up the recursion; rebuilt into a DagCborEncodeError at the top.
class PathError {
  code: DagCborEncodeErrorCode
  detail: string
  path: (string | number)[] = []
  constructor(code: DagCborEncodeErrorCode, detail: string) {
    this.code = code
    this.detail = detail
  }
}

function grow(need: number): void {
  const next = new Uint8Array(Math.max(buf.length * 2, pos + need))
  next.set(buf.subarray(0, pos))
  buf = next
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

function headerLength(arg: number): number {
  return arg < 24 ? 1 : arg < 0x100 ? 2 : arg < 0x10000 ? 3 : arg < 0x100000000 ? 5 : 9
}

function writeString(s: string): void {
  const len = s.length
  if (pos + 9 + len * 3 > buf.length) grow(9 + len * 3)
  // Optimistic ASCII pass straight into place; most keys and many values are ASCII.
  const h = headerLength(len)
  let p = pos + h
  let i = 0
  for (; i < len; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x80) break
    buf[p++] = c
  }
  if (i === len) {
    writeHeader(3, len)
    pos += len
    return
  }
  if (!isWellFormed(s)) throw new PathError('INVALID_STRING', 'string has a lone surrogate')
  // Write at the position the longest possible header would need, then shift if shorter.
  const est = headerLength(len * 3)
  const at = pos + est
  const n = encodeUtf8Into(s, buf, at)
  const real = headerLength(n)
  if (real !== est) buf.copyWithin(pos + real, at, at + n)
  writeHeader(3, n)
  pos += n
}

function writeBytes(b: Uint8Array): void {
  writeHeader(2, b.length)
  if (pos + b.length > buf.length) grow(b.length)
  buf.set(b, pos)
  pos += b.length
}

function writeCid(cid: Cid): void {
  const b = cid.bytes
  if (pos + 11 + b.length > buf.length) grow(11 + b.length)
  buf[pos++] = 0xd8
  buf[pos++] = 42
  writeHeader(2, b.length + 1)
  buf[pos++] = 0
  buf.set(b, pos)
  pos += b.length
}

function isAsciiKey(k: string): boolean {
  for (let i = 0; i < k.length; i++) if (k.charCodeAt(i) >= 0x80) return false
  return true
}

function sortKeys(keys: string[]): void {
  const n = keys.length
  let ascii = true
  for (let i = 0; i < n; i++) {
    if (!isAsciiKey(keys[i] as string)) {
      ascii = false
      break
    }
  }
  if (!ascii) {
    keys.sort(compareKeysUtf8)
    return
  }
  // Insertion sort: maps are small and often already in order.
  for (let i = 1; i < n; i++) {
    const k = keys[i] as string
    let j = i - 1
    while (j >= 0) {
      const o = keys[j] as string
      if (o.length < k.length || (o.length === k.length && o < k)) break
      keys[j + 1] = o
      j--
    }
    keys[j + 1] = k
  }
}

function writeMap(obj: Record<string, unknown>, depth: number): void {
  const keys = Object.keys(obj)
  let count = keys.length
  for (let i = 0; i < keys.length; i++) if (obj[keys[i] as string] === undefined) count--
  if (keys.length > 1) sortKeys(keys)
  writeHeader(5, count)
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string
    const v = obj[k]
    // Absent and undefined read the same in JS, so an undefined property is left out (as in @atproto/lex-cbor).
    if (v === undefined) continue
    writeString(k)
    try {
      writeValue(v, depth)
    } catch (e) {
      if (e instanceof PathError) e.path.push(k)
      throw e
    }
  }
}

function writeArray(arr: unknown[], depth: number): void {
  const n = arr.length
  writeHeader(4, n)
  for (let i = 0; i < n; i++) {
    try {
      writeValue(arr[i], depth)
    } catch (e) {
      if (e instanceof PathError) e.path.push(i)
      throw e
    }
  }
}

function writeValue(v: unknown, depth: number): void {
  switch (typeof v) {
    case 'string':
      writeString(v)
      return
    case 'number':
      if (Number.isSafeInteger(v)) {
        if (v >= 0) writeHeader(0, v)
        else writeHeader(1, -v - 1)
        return
      }
      if (Number.isInteger(v))
        throw new PathError('INTEGER_OUT_OF_RANGE', 'integer is outside the safe range ±(2^53-1)')
      throw new PathError(
        'NOT_AN_INTEGER',
        `number is not an integer (floats are not in the data model): ${v}`,
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
      if (depth >= maxDepth)
        throw new PathError('MAX_DEPTH_EXCEEDED', `nesting deeper than maxDepth=${maxDepth}`)
      if (Array.isArray(v)) {
        writeArray(v, depth + 1)
        return
      }
      if (v instanceof Uint8Array) {
        writeBytes(v)
        return
      }
      const proto = Object.getPrototypeOf(v)
      if (proto === Object.prototype || proto === null) {
        writeMap(v as Record<string, unknown>, depth + 1)
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
      )
    }
    default:
      throw new PathError('UNSUPPORTED_TYPE', `${typeof v} is not in the data model`)
  }
}

function formatPath(path: (string | number)[]): string {
  let out = '$'
  for (let i = path.length - 1; i >= 0; i--) {
    const seg = path[i] as string | number
    out +=
      typeof seg === 'number'
        ? `[${seg}]`
        : /^[A-Za-z_$][\w$]*$/.test(seg)
          ? `.${seg}`
          : `[${JSON.stringify(seg)}]`
  }
  return out
}

/**
 * Encodes a data-model value as canonical DAG-CBOR: map keys sorted length-first then bytewise,
 * minimal integer headers, CIDs as tag 42. Map properties whose value is `undefined` are omitted.
 * @throws {DagCborEncodeError} for floats, unsafe integers, lone surrogates, non-plain objects,
 *   `undefined` outside a map, or nesting past `maxDepth` (which also catches cycles)
 * @example
 * const bytes = encode({ $type: 'app.bsky.feed.post', text: 'hi', createdAt: '2024-01-01T00:00:00Z' })
 */
export function encode(value: LexValue, options?: EncodeOptions): Uint8Array {
  const savedBuf = buf
  const savedPos = pos
  const savedDepth = maxDepth
  const wasBusy = busy
  if (wasBusy) buf = new Uint8Array(INITIAL_SIZE)
  pos = 0
  maxDepth = options?.maxDepth ?? DEFAULT_ENCODE_MAX_DEPTH
  busy = true
  try {
    writeValue(value, 0)
    return buf.slice(0, pos)
  } catch (e) {
    if (e instanceof PathError) throw new DagCborEncodeError(e.code, formatPath(e.path), e.detail)
    throw e
  } finally {
    if (wasBusy) {
      buf = savedBuf
      pos = savedPos
    } else if (buf.length > KEEP_SIZE) {
      buf = new Uint8Array(INITIAL_SIZE)
    }
    maxDepth = savedDepth
    busy = wasBusy
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
