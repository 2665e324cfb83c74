// The browser's item loop of `decode` (decode.ts chooses it through #decode-item; Node and servers
// get decode-item.ts). Every rule, limit, code and offset of decode-item.ts in fewer bytes: stacks
// per call instead of shared ones, no string caches (strings go straight to a fatal TextDecoder,
// which refuses overlong forms, surrogates and code points past U+10FFFF as the JS loop does) and
// one path for every map key. test/decode-item.test.ts holds the two loops equal.
import { type Cid, cidAt } from './cid.ts'
import { EMPTY_BYTES } from './empty-bytes.ts'
import { DagCborDecodeError, type DagCborDecodeErrorCode } from './errors.ts'
import type { LexMap, LexValue } from './lex.ts'

const utf8 = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

const fail = (code: DagCborDecodeErrorCode, offset: number, detail?: string): never => {
  throw new DagCborDecodeError(code, offset, detail)
}

/**
 * Decodes the item filling `bytes` (not empty, within the input limit) under the depth and
 * collection limits; the rules and codes of {@link decode}.
 * @throws {DagCborDecodeError}
 */
export function decodeItem(buf: Uint8Array, maxDepth: number, maxCollection: number): LexValue {
  const end = buf.length
  // Per open container: the container, entries left, and for a map its last key and that key's bytes.
  const containers: (LexValue[] | LexMap)[] = []
  const left: number[] = []
  const keys: string[] = []
  const keyAt: number[] = []
  const keyLen: number[] = []
  let p = 0
  let value: LexValue

  // The header at p: sets major, arg and start (where it begins), and p past it.
  let major = 0
  let arg = 0
  let start = 0
  const head = (): void => {
    if (p >= end) fail('TRUNCATED', p)
    start = p
    const ib = buf[p++] as number
    major = ib >> 5
    arg = ib & 31
    if (major === 7) {
      // null, true and false only (header.ts's failSimpleValue, inline)
      if (ib < 0xf4 || ib > 0xf6)
        fail(
          ib > 0xf8 && ib < 0xfc
            ? 'FLOAT_NOT_ALLOWED'
            : ib === 0xff
              ? 'INDEFINITE_LENGTH'
              : ib > 0xfb
                ? 'RESERVED_ADDITIONAL_INFO'
                : 'UNSUPPORTED_SIMPLE_VALUE',
          start,
          ib < 0xf9 ? `simple=${arg}` : undefined,
        )
    } else if (arg > 23) {
      // header.ts's readArgument, inline: 1, 2, 4 or 8 big-endian bytes, in the shortest form
      if (arg > 27)
        fail(arg === 31 && major > 1 && major < 6 ? 'INDEFINITE_LENGTH' : 'RESERVED_ADDITIONAL_INFO', start)
      const n = 1 << (arg - 24)
      if (p + n > end) fail('TRUNCATED', start)
      arg = 0
      // exact below 2^53; a larger value stays at 2^53 or more, which is all the checks below need
      for (let i = 0; i < n; i++) arg = arg * 256 + (buf[p++] as number)
      if (arg < (n === 1 ? 24 : 2 ** (4 * n))) fail('NON_MINIMAL_INTEGER', start)
      if (arg > Number.MAX_SAFE_INTEGER) fail(major < 2 ? 'INTEGER_OUT_OF_RANGE' : 'TRUNCATED', start)
    }
  }
  const text = (len: number, start: number): string => {
    if (len > end - p) fail('TRUNCATED', start)
    const from = p
    p += len
    // short ASCII (most keys and many values) without a call into TextDecoder: 2.5x faster in V8
    if (len < 33) {
      let s = ''
      for (let i = from; i < p && (buf[i] as number) < 128; i++) s += String.fromCharCode(buf[i] as number)
      if (s.length === len) return s
    }
    try {
      return utf8.decode(buf.subarray(from, p))
    } catch {
      return fail('INVALID_UTF8', start)
    }
  }
  // The key of the map at level d, in canonical order after the one before it (shorter first,
  // then bytewise; equal is a duplicate).
  const readKey = (d: number): void => {
    // the major type first: a key that is not a string fails as such, whatever its header
    if (p < end && (buf[p] as number) >> 5 !== 3) fail('MAP_KEY_NOT_STRING', p)
    head()
    const len = arg
    if (len > end - p) fail('TRUNCATED', start)
    const prev = keyAt[d] as number
    const prevLen = keyLen[d] as number
    if (prev >= 0) {
      if (len < prevLen) fail('MAP_KEYS_UNSORTED', start)
      if (len === prevLen) {
        let i = 0
        while (i < len && buf[prev + i] === buf[p + i]) i++
        if (i === len) fail('DUPLICATE_MAP_KEY', start)
        if ((buf[prev + i] as number) > (buf[p + i] as number)) fail('MAP_KEYS_UNSORTED', start)
      }
    }
    keyAt[d] = p
    keyLen[d] = len
    keys[d] = text(len, start)
  }

  for (;;) {
    head()
    if (major === 7) value = arg === 22 ? null : arg === 21
    else if (major === 0) value = arg
    else if (major === 1) {
      if (arg > Number.MAX_SAFE_INTEGER - 1) fail('INTEGER_OUT_OF_RANGE', start)
      value = -1 - arg
    } else if (major === 2) {
      if (arg > end - p) fail('TRUNCATED', start)
      value = arg === 0 ? EMPTY_BYTES : buf.subarray(p, p + arg)
      p += arg
    } else if (major === 3) value = text(arg, start)
    else if (major === 6) {
      if (arg !== 42) fail('UNSUPPORTED_TAG', start, `tag=${arg}`)
      value = readCid(start)
    } else {
      const isMap = major === 5
      // every entry needs at least one byte per item: check before allocating anything
      if (arg > (end - p) / (isMap ? 2 : 1)) fail('TRUNCATED', start)
      if (arg > maxCollection) fail('MAX_LENGTH_EXCEEDED', start, `maxCollectionLength=${maxCollection}`)
      const d = containers.length
      if (d >= maxDepth) fail('MAX_DEPTH_EXCEEDED', start, `maxDepth=${maxDepth}`)
      value = isMap ? {} : new Array(arg)
      if (arg > 0) {
        containers.push(value)
        left.push(arg)
        if (isMap) {
          keyAt[d] = -1
          readKey(d)
        }
        continue
      }
    }

    // the item is complete: store it in its container, closing containers that fill up
    for (;;) {
      const d = containers.length - 1
      if (d < 0) {
        if (p !== end) fail('TRAILING_BYTES', p)
        return value
      }
      const c = containers[d] as LexMap & LexValue[]
      const n = left[d] as number
      const k = keys[d] as string
      if (Array.isArray(c)) c[c.length - n] = value
      // a plain `__proto__` assignment would replace the prototype (CWE-1321): define it instead
      else if (k === '__proto__')
        Object.defineProperty(c, k, { value, enumerable: true, configurable: true, writable: true })
      else (c as LexMap)[k] = value
      if (n > 1) {
        left[d] = n - 1
        if (!Array.isArray(c)) readKey(d)
        break
      }
      value = c
      containers.pop()
      left.pop()
    }
  }

  // The byte string after tag 42 (whose header starts at `tagStart`) as a CID.
  function readCid(tagStart: number): Cid {
    if (p >= end) fail('TRUNCATED', tagStart)
    const ib = buf[p++] as number
    if (ib >> 5 !== 2) fail('INVALID_CID', tagStart)
    const info = ib & 31
    let len = info
    if (info === 24 || info === 25) {
      const n = info - 23
      if (p + n > end) fail('TRUNCATED', tagStart)
      len = info === 24 ? (buf[p] as number) : ((buf[p] as number) << 8) | (buf[p + 1] as number)
      p += n
      if (len < (info === 24 ? 24 : 0x100)) fail('NON_MINIMAL_INTEGER', tagStart + 1)
    } else if (info === 31) fail('INDEFINITE_LENGTH', tagStart + 1)
    // CIDs are far shorter than 64 KiB; longer claims are hostile or corrupt
    else if (info > 23) fail('INVALID_CID', tagStart)
    if (len > end - p) fail('TRUNCATED', tagStart)
    if (len < 2 || buf[p] !== 0) fail('INVALID_CID', tagStart)
    const from = p + 1
    p += len
    const cid = cidAt(buf, from, p)
    return typeof cid === 'string' ? fail('INVALID_CID', tagStart, `cidError=${cid}`) : cid
  }
}
