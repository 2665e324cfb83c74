// A validating scan: the checks of `decode` without building the value. Verifying a repository
// only needs to know that every record block is a well-formed strict DAG-CBOR map; decoding 100,000
// records into objects to throw them away made the garbage collector the largest cost and tripled
// peak memory. The scan follows decode.ts step for step, so the same input fails with the same
// code at the same offset (test/scan.test.ts holds the decoder as the reference).
import { readCidAt, SHA2_256_CODE } from './cid.ts'
import {
  DEFAULT_DECODE_MAX_DEPTH,
  DEFAULT_MAX_COLLECTION_LENGTH,
  DEFAULT_MAX_INPUT_LENGTH,
  type DecodeOptions,
} from './decode.ts'
import { DagCborDecodeError, type DagCborDecodeErrorCode, InvalidCidError } from './errors.ts'
import { ARGUMENT_BYTES, fail, failSimpleValue, readArgument } from './header.ts'

/** The data-model kind of a DAG-CBOR item. */
export type DagCborKind = 'null' | 'boolean' | 'integer' | 'string' | 'bytes' | 'cid' | 'array' | 'map'

/** One problem found by {@link validateDagCbor}: the decoder's code and the byte offset. */
export interface DagCborIssue {
  code: DagCborDecodeErrorCode
  offset: number
  message: string
}

/** Result of {@link validateDagCbor}: the top-level kind, or the first problem. */
export type DagCborValidation =
  | { success: true; value: DagCborKind }
  | { success: false; issues: [DagCborIssue] }

// Open containers, reused across calls (the scan runs no user code, so it is never re-entered).
const stackIsMap: boolean[] = []
const stackRemaining: number[] = []
const stackKeyStart: number[] = []
const stackKeyLen: number[] = []

function limit(value: number, name: string): number {
  if (!(Number.isSafeInteger(value) && value >= 0))
    throw new RangeError(`ensureValidDagCbor: ${name} must be a non-negative integer`)
  return value
}

const KIND_BY_MAJOR: readonly DagCborKind[] = [
  'integer',
  'integer',
  'bytes',
  'string',
  'array',
  'map',
  'cid',
  'null',
]

/**
 * Checks that `bytes` hold exactly one strict DAG-CBOR item of the AT data model, with the rules
 * and limits of {@link decode}, without building it (no strings, objects or CIDs are allocated
 * for valid input). Returns the kind of the top-level item.
 * @throws {DagCborDecodeError} with the code and offset `decode` reports for the same bytes
 * @throws {TypeError} when `bytes` is not a Uint8Array; {RangeError} for a bad limit
 * @example if (ensureValidDagCbor(block) !== 'map') throw new Error('a record must be a map')
 */
export function ensureValidDagCbor(bytes: Uint8Array, options?: DecodeOptions): DagCborKind {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('ensureValidDagCbor: bytes must be a Uint8Array')
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
  scan(bytes, maxDepth, maxCollection)
  const first = bytes[0] as number
  if (first === 0xf5 || first === 0xf4) return 'boolean'
  return KIND_BY_MAJOR[first >> 5] as DagCborKind
}

/**
 * {@link ensureValidDagCbor} as a result object.
 * @example const r = validateDagCbor(block); if (!r.success) console.log(r.issues[0].code)
 */
export function validateDagCbor(bytes: Uint8Array, options?: DecodeOptions): DagCborValidation {
  try {
    return { success: true, value: ensureValidDagCbor(bytes, options) }
  } catch (err) {
    if (!(err instanceof DagCborDecodeError)) throw err
    return { success: false, issues: [{ code: err.code, offset: err.offset, message: err.message }] }
  }
}

function scan(buf: Uint8Array, maxDepth: number, maxCollection: number): void {
  const end = buf.length
  const sIsMap = stackIsMap
  const sRemaining = stackRemaining
  let depth = 0
  let p = 0

  for (;;) {
    // ---- check one item at p (or open a container and continue)
    if (p >= end) fail('TRUNCATED', p)
    const start = p
    const ib = buf[p++] as number
    const major = ib >> 5
    const info = ib & 31
    if (major === 7) {
      // null, true and false are the only simple values
      if (ib !== 0xf6 && ib !== 0xf5 && ib !== 0xf4) failSimpleValue(ib, start)
    } else {
      let arg: number
      if (info < 24) {
        arg = info
      } else {
        arg = readArgument(buf, p, end, major, info, start)
        p += ARGUMENT_BYTES[info] as number
      }

      if (major === 0) {
        // unsigned integer: the header is the whole item
      } else if (major === 3) {
        if (arg > end - p) fail('TRUNCATED', start)
        const stop = p + arg
        let i = p
        // The ASCII prefix here in the loop (most text is all ASCII); the rest through isUtf8.
        while (
          i + 4 <= stop &&
          ((buf[i] as number) | (buf[i + 1] as number) | (buf[i + 2] as number) | (buf[i + 3] as number)) <
            0x80
        )
          i += 4
        while (i < stop && (buf[i] as number) < 0x80) i++
        if (i < stop && !isUtf8(buf, i, stop - i)) fail('INVALID_UTF8', start)
        p = stop
      } else if (major === 5 || major === 4) {
        const isMap = major === 5
        if (arg > (end - p) / (isMap ? 2 : 1)) fail('TRUNCATED', start)
        if (arg > maxCollection) fail('MAX_LENGTH_EXCEEDED', start, `maxCollectionLength=${maxCollection}`)
        if (depth >= maxDepth) fail('MAX_DEPTH_EXCEEDED', start, `maxDepth=${maxDepth}`)
        if (arg !== 0) {
          sIsMap[depth] = isMap
          sRemaining[depth] = arg
          if (isMap) {
            stackKeyStart[depth] = -1
            stackKeyLen[depth] = 0
            p = checkKey(buf, p, depth)
          }
          depth++
          continue
        }
      } else if (major === 1) {
        if (arg > Number.MAX_SAFE_INTEGER - 1) fail('INTEGER_OUT_OF_RANGE', start)
      } else if (major === 2) {
        if (arg > end - p) fail('TRUNCATED', start)
        p += arg
      } else {
        if (arg !== 42) fail('UNSUPPORTED_TAG', start, `tag=${arg}`)
        p = checkCid(buf, p, start)
      }
    }

    // ---- the item is complete: count it against its container, closing containers that fill up
    for (;;) {
      if (depth === 0) {
        if (p !== end) fail('TRAILING_BYTES', p)
        return
      }
      const d = depth - 1
      const left = (sRemaining[d] as number) - 1
      if (left > 0) {
        sRemaining[d] = left
        if (sIsMap[d]) p = checkKey(buf, p, d)
        break
      }
      depth = d
    }
  }
}

// Checks the byte string after tag 42 at `p` is a valid binary CID; returns the offset after it.
function checkCid(buf: Uint8Array, p: number, tagStart: number): number {
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
    fail('INVALID_CID', tagStart)
  }
  if (len > end - p) fail('TRUNCATED', tagStart)
  if (len < 2 || buf[p] !== 0) fail('INVALID_CID', tagStart)
  // The blessed v1 sha2-256 form needs no further work; anything else goes through the CID parser.
  if (
    !(
      len === 37 &&
      buf[p + 1] === 1 &&
      buf[p + 3] === SHA2_256_CODE &&
      buf[p + 4] === 32 &&
      ((buf[p + 2] as number) & 0x80) === 0
    )
  ) {
    try {
      readCidAt(buf, p + 1, p + len)
    } catch (e) {
      if (e instanceof InvalidCidError) fail('INVALID_CID', tagStart, `cidError=${e.code}`)
      throw e
    }
  }
  return p + len
}

// Checks the map key at `p` for the map at stack level `d` (canonical order); returns the offset after it.
function checkKey(buf: Uint8Array, p: number, d: number): number {
  const end = buf.length
  const start = p
  if (p >= end) fail('TRUNCATED', p)
  const ib = buf[p++] as number
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
  if (!isUtf8(buf, p, len)) fail('INVALID_UTF8', start)
  stackKeyStart[d] = p
  stackKeyLen[d] = len
  return p + len
}

/**
 * Whether `len` bytes at `buf[start]` are well-formed UTF-8 (the same rule as the decoder's and
 * TextDecoder's fatal mode: no overlong forms, no surrogates, nothing past U+10FFFF).
 */
function isUtf8(buf: Uint8Array, start: number, len: number): boolean {
  const end = start + len
  let i = start
  while (i < end) {
    // ASCII four bytes per test: most text is ASCII (measured 7-9% off the scan of 100k records).
    while (
      i + 4 <= end &&
      ((buf[i] as number) | (buf[i + 1] as number) | (buf[i + 2] as number) | (buf[i + 3] as number)) < 0x80
    )
      i += 4
    if (i >= end) break
    const a = buf[i] as number
    if (a < 0x80) {
      i++
      continue
    }
    if (a >= 0xc2 && a <= 0xdf) {
      if (i + 1 >= end || ((buf[i + 1] as number) & 0xc0) !== 0x80) return false
      i += 2
    } else if (a >= 0xe0 && a <= 0xef) {
      if (i + 2 >= end) return false
      const b = buf[i + 1] as number
      if ((b & 0xc0) !== 0x80 || ((buf[i + 2] as number) & 0xc0) !== 0x80) return false
      // E0 needs A0..BF (no overlong forms); ED needs 80..9F (no surrogates)
      if ((a === 0xe0 && b < 0xa0) || (a === 0xed && b > 0x9f)) return false
      i += 3
    } else if (a >= 0xf0 && a <= 0xf4) {
      if (i + 3 >= end) return false
      const b = buf[i + 1] as number
      if (
        (b & 0xc0) !== 0x80 ||
        ((buf[i + 2] as number) & 0xc0) !== 0x80 ||
        ((buf[i + 3] as number) & 0xc0) !== 0x80
      )
        return false
      // F0 needs 90..BF (no overlong forms); F4 needs 80..8F (nothing past U+10FFFF)
      if ((a === 0xf0 && b < 0x90) || (a === 0xf4 && b > 0x8f)) return false
      i += 4
    } else {
      return false
    }
  }
  return true
}
