// The item loop of `decode` for Node and servers (decode.ts chooses it through #decode-item; browsers
// get decode-item.browser.ts): explicit shared stacks, the string caches of utf8.ts and a
// one-byte map-key path, for speed. test/decode-item.test.ts holds the two loops equal.
import { type Cid, readCidAt } from './cid.ts'
import { EMPTY_BYTES } from './empty-bytes.ts'
import { InvalidCidError } from './errors.ts'
import { ARGUMENT_BYTES, fail, failSimpleValue, readArgument } from './header.ts'
import type { LexMap, LexValue } from './lex.ts'
import { decodeKeyCached, decodeUtf8Cached } from './utf8.ts'

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

/**
 * Decodes the item filling `bytes` (not empty, within the input limit) under the depth and
 * collection limits; the rules and codes of {@link decode}.
 * @throws {DagCborDecodeError}
 */
export function decodeItem(bytes: Uint8Array, maxDepth: number, maxCollection: number): LexValue {
  try {
    return run(bytes, maxDepth, maxCollection)
  } catch (e) {
    // drop references to partially built values held by the shared stack
    stackContainer = []
    stackKey = []
    throw e
  }
}

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
