import { Cid, readCidAt } from './cid.ts'
import { InvalidCidError } from './errors.ts'
import { ARGUMENT_BYTES, fail, failSimpleValue, readArgument } from './header.ts'
import type { LexMap, LexValue } from './lex.ts'
import { decodeKeyCached, decodeUtf8Cached } from './utf8.ts'

/** Limits of {@link decode}. Every cap has a safe default. */
export interface DecodeOptions {
  /** Deepest nesting of arrays and maps. Default 512. */
  maxDepth?: number
  /** Largest input accepted, in bytes. Default 16 MiB. */
  maxInputLength?: number
  /** Most entries in one array or map. Default 1,000,000. */
  maxCollectionLength?: number
}

/** Default {@link DecodeOptions.maxDepth}. */
export const DEFAULT_DECODE_MAX_DEPTH = 512
/** Default {@link DecodeOptions.maxInputLength}. */
export const DEFAULT_MAX_INPUT_LENGTH: number = 16 * 1024 * 1024
/** Default {@link DecodeOptions.maxCollectionLength}. */
export const DEFAULT_MAX_COLLECTION_LENGTH = 1_000_000

/**
 * Most heap a decoded value keeps alive per input byte, in bytes, on 64-bit V8 (Node, Chrome),
 * with some margin: the costliest shape measured is a list of empty maps, 64 bytes per input byte
 * (one input byte, a 56-byte object and its 8-byte slot). Empty byte strings share one view and
 * arrays are allocated at their exact length, so no shape costs more; `@ipld/dag-cbor` needs
 * up to 117. A decode at the default 16 MiB cap can therefore hold about 1.1 GiB: lower
 * `maxInputLength` where that is too much. Checked shape by shape in `test/memory.test.ts`.
 */
export const DECODE_MAX_HEAP_PER_INPUT_BYTE = 72

// Explicit stack of open containers, so hostile nesting cannot overflow the JS stack. Reused
// across calls (decode never runs user code, so it cannot be re-entered). An array is allocated
// at its declared length (already checked against the remaining input) and filled by index: an
// array grown by `push` from empty reserves 17 slots for its first item, which made a list of
// one-item lists cost about 110 bytes of heap per input byte.
let stackContainer: (LexValue[] | LexMap | undefined)[] = []
const stackIsMap: boolean[] = []
const stackRemaining: number[] = []
let stackKey: string[] = []
const stackKeyStart: number[] = []
const stackKeyLen: number[] = []

function limit(value: number, name: string): number {
  if (!(Number.isSafeInteger(value) && value >= 0))
    throw new RangeError(`decode: ${name} must be a non-negative integer`)
  return value
}

/**
 * Decodes one strict DAG-CBOR item filling `bytes` exactly, per the AT data model: no floats,
 * no indefinite lengths, minimal integer and length headers, string map keys sorted
 * length-first then bytewise without duplicates, tag 42 (CID) only, integers within ±(2^53-1),
 * valid UTF-8. Byte strings and CIDs in the result are views into `bytes` (no copying), so do not
 * mutate `bytes` while you use the result; every empty byte string is one shared, frozen empty
 * view. The result holds at most {@link DECODE_MAX_HEAP_PER_INPUT_BYTE} bytes of heap per input
 * byte, whatever the shape of the input.
 * @throws {DagCborDecodeError} with a `code` and the byte `offset` of the fault
 * @throws {TypeError} when `bytes` is not a Uint8Array
 * @throws {RangeError} for a negative or non-integer limit
 * @example
 * const record = decode(blockBytes) as { $type: string; text: string }
 */
export function decode(bytes: Uint8Array, options?: DecodeOptions): LexValue {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decode: bytes must be a Uint8Array')
  let maxDepth = DEFAULT_DECODE_MAX_DEPTH
  let maxInput = DEFAULT_MAX_INPUT_LENGTH
  let maxCollection = DEFAULT_MAX_COLLECTION_LENGTH
  if (options !== undefined) {
    if (options.maxDepth !== undefined) maxDepth = limit(options.maxDepth, 'maxDepth')
    if (options.maxInputLength !== undefined) maxInput = limit(options.maxInputLength, 'maxInputLength')
    if (options.maxCollectionLength !== undefined)
      maxCollection = limit(options.maxCollectionLength, 'maxCollectionLength')
  }
  const end = bytes.length
  if (end === 0) fail('EMPTY_INPUT', 0)
  if (end > maxInput) fail('INPUT_TOO_LARGE', 0, `maxInputLength=${maxInput}`)
  try {
    return run(bytes, maxDepth, maxCollection)
  } catch (e) {
    // drop references to partially built values held by the shared stack
    stackContainer = []
    stackKey = []
    throw e
  }
}

/**
 * The empty byte string every decode returns for `0x40`: frozen and shared, so a list of empty
 * byte strings costs one pointer per input byte instead of a typed-array view each. A view of
 * zero bytes has nothing to read or write, so sharing it is not observable through its contents.
 */
export const EMPTY_BYTES: Uint8Array = Object.freeze(new Uint8Array(0)) as Uint8Array

function run(buf: Uint8Array, maxDepth: number, maxCollection: number): LexValue {
  const end = buf.length
  const sContainer = stackContainer
  const sIsMap = stackIsMap
  const sRemaining = stackRemaining
  const sKey = stackKey
  const sKeyStart = stackKeyStart
  const sKeyLen = stackKeyLen
  let depth = 0
  let p = 0
  let value: LexValue

  for (;;) {
    // ---- read one item at p into `value` (or open a container and continue)
    if (p >= end) fail('TRUNCATED', p)
    const start = p
    const ib = buf[p++] as number
    const major = ib >> 5
    const info = ib & 31
    if (major === 7) {
      if (ib === 0xf6) value = null
      else if (ib === 0xf5) value = true
      else if (ib === 0xf4) value = false
      else failSimpleValue(ib, start)
    } else {
      let arg: number
      if (info < 24) {
        arg = info
      } else {
        arg = readArgument(buf, p, end, major, info, start)
        p += ARGUMENT_BYTES[info] as number
      }

      if (major === 0) {
        value = arg
      } else if (major === 3) {
        if (arg > end - p) fail('TRUNCATED', start)
        const s = decodeUtf8Cached(buf, p, arg)
        if (s === undefined) fail('INVALID_UTF8', start)
        value = s
        p += arg
      } else if (major === 5 || major === 4) {
        const isMap = major === 5
        // every entry needs at least one byte per item: check before allocating anything
        if (arg > (end - p) / (isMap ? 2 : 1)) fail('TRUNCATED', start)
        if (arg > maxCollection) fail('MAX_LENGTH_EXCEEDED', start, `maxCollectionLength=${maxCollection}`)
        if (depth >= maxDepth) fail('MAX_DEPTH_EXCEEDED', start, `maxDepth=${maxDepth}`)
        if (arg === 0) {
          value = isMap ? {} : []
        } else {
          sIsMap[depth] = isMap
          sRemaining[depth] = arg
          if (!isMap) {
            sContainer[depth] = new Array(arg)
          } else {
            sContainer[depth] = {}
            sKeyStart[depth] = -1
            sKeyLen[depth] = 0
            p = readKey(buf, p, depth)
          }
          depth++
          continue
        }
      } else if (major === 1) {
        if (arg > Number.MAX_SAFE_INTEGER - 1) fail('INTEGER_OUT_OF_RANGE', start)
        value = -1 - arg
      } else if (major === 2) {
        if (arg > end - p) fail('TRUNCATED', start)
        value = arg === 0 ? EMPTY_BYTES : buf.subarray(p, p + arg)
        p += arg
      } else {
        // major 6: tags
        if (arg !== 42) fail('UNSUPPORTED_TAG', start, `tag=${arg}`)
        value = readCid(buf, p, start)
        p = cidEnd
      }
    }

    // ---- the item is complete: store it in its container, closing containers that fill up
    for (;;) {
      if (depth === 0) {
        if (p !== end) fail('TRAILING_BYTES', p)
        return value
      }
      const d = depth - 1
      if (sIsMap[d]) {
        const c = sContainer[d] as LexMap
        const k = sKey[d] as string
        if (k === '__proto__') {
          // a plain assignment would replace the prototype (CWE-1321); define an own property instead
          Object.defineProperty(c, k, { value, enumerable: true, configurable: true, writable: true })
        } else {
          c[k] = value
        }
      } else {
        const c = sContainer[d] as LexValue[]
        c[c.length - (sRemaining[d] as number)] = value
      }
      const left = (sRemaining[d] as number) - 1
      if (left > 0) {
        sRemaining[d] = left
        if (sIsMap[d]) p = readKey(buf, p, d)
        break
      }
      depth = d
      value = sContainer[d] as LexValue[] | LexMap
      sContainer[d] = undefined // do not keep the finished value alive from the shared stack
    }
  }
}

let cidEnd = 0

// Reads the byte string after tag 42 at `p` and returns the CID; sets `cidEnd`.
function readCid(buf: Uint8Array, p: number, tagStart: number): Cid {
  const end = buf.length
  if (p >= end) fail('TRUNCATED', tagStart)
  const ib = buf[p++] as number
  if (ib >> 5 !== 2) fail('INVALID_CID', tagStart)
  const info = ib & 31
  let len: number
  if (info < 24) len = info
  else if (info === 24) {
    if (p + 1 > end) fail('TRUNCATED', tagStart)
    len = buf[p++] as number
    if (len < 24) fail('NON_MINIMAL_INTEGER', tagStart + 1)
  } else if (info === 25) {
    if (p + 2 > end) fail('TRUNCATED', tagStart)
    len = ((buf[p] as number) << 8) | (buf[p + 1] as number)
    p += 2
    if (len < 0x100) fail('NON_MINIMAL_INTEGER', tagStart + 1)
  } else if (info === 31) {
    fail('INDEFINITE_LENGTH', tagStart + 1)
  } else {
    // CIDs are far shorter than 64 KiB; longer claims are hostile or corrupt
    fail('INVALID_CID', tagStart)
  }
  if (len > end - p) fail('TRUNCATED', tagStart)
  if (len < 2 || buf[p] !== 0) fail('INVALID_CID', tagStart)
  cidEnd = p + len
  try {
    return readCidAt(buf, p + 1, p + len)
  } catch (e) {
    if (e instanceof InvalidCidError) fail('INVALID_CID', tagStart, `cidError=${e.code}`)
    throw e
  }
}

const ASCII_CHARS: string[] = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i))

// Reads the map key at `p` for the map at stack level `d`, enforcing canonical order; returns the new offset.
function readKey(buf: Uint8Array, p: number, d: number): number {
  const end = buf.length
  const start = p
  if (p >= end) fail('TRUNCATED', p)
  const ib = buf[p++] as number
  if (ib === 0x61 && p < end) {
    // one-byte ASCII keys (MST nodes, commits, many short records): no hashing, a table lookup
    const c = buf[p] as number
    if (c < 0x80) {
      const prevStart = stackKeyStart[d] as number
      const prevLen = stackKeyLen[d] as number
      if (prevStart >= 0 && prevLen !== 0) {
        // after the empty key anything is in order; after a longer one nothing is
        if (prevLen > 1) fail('MAP_KEYS_UNSORTED', start)
        const o = buf[prevStart] as number
        if (o === c) fail('DUPLICATE_MAP_KEY', start)
        if (o > c) fail('MAP_KEYS_UNSORTED', start)
      }
      stackKey[d] = ASCII_CHARS[c] as string
      stackKeyStart[d] = p
      stackKeyLen[d] = 1
      return p + 1
    }
  }
  if (ib >> 5 !== 3) fail('MAP_KEY_NOT_STRING', start)
  const info = ib & 31
  let len: number
  if (info < 24) len = info
  else {
    // the item-header rules of every other string (keys are rarely 24 bytes or longer)
    len = readArgument(buf, p, end, 3, info, start)
    p += ARGUMENT_BYTES[info] as number
  }
  if (len > end - p) fail('TRUNCATED', start)
  // canonical order: shorter first, then bytewise; equal means a duplicate
  const prevStart = stackKeyStart[d] as number
  if (prevStart >= 0) {
    const prevLen = stackKeyLen[d] as number
    if (len < prevLen) fail('MAP_KEYS_UNSORTED', start)
    if (len === prevLen) {
      let i = 0
      while (i < len && buf[prevStart + i] === buf[p + i]) i++
      if (i === len) fail('DUPLICATE_MAP_KEY', start)
      if ((buf[prevStart + i] as number) > (buf[p + i] as number)) fail('MAP_KEYS_UNSORTED', start)
    }
  }
  const key = decodeKeyCached(buf, p, len)
  if (key === undefined) fail('INVALID_UTF8', start)
  stackKey[d] = key
  stackKeyStart[d] = p
  stackKeyLen[d] = len
  return p + len
}

/**
 * {@link decode} for a record or other block whose top level must be a map.
 * @throws {DagCborDecodeError} as decode, and `NOT_A_MAP` (offset 0) for any other top-level value
 * @example const post = decodeRecord(block); post['$type']
 */
export function decodeRecord(bytes: Uint8Array, options?: DecodeOptions): LexMap {
  const value = decode(bytes, options)
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    value instanceof Uint8Array ||
    value instanceof Cid
  ) {
    fail('NOT_A_MAP', 0)
  }
  return value
}
