// UTF-8 helpers for the codec. Core code must not import node:*, so long strings go through
// TextEncoder/TextDecoder; short ones (most map keys and field values) are handled inline because
// crossing into the native codec costs more than the loop.

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const encoder = /* @__PURE__ */ new TextEncoder()
const fromCharCode = String.fromCharCode

// Map keys and short enum-like values ($type, mimeType, langs) repeat across records. Caching
// their strings by bytes skips UTF-8 decoding and hands V8 the same (internalized) string for
// every property store. Entries are fixed-size slots, so hostile input can only evict.
const CACHE_SLOTS = 2048
const CACHE_MAX_LEN = 32
const cacheBytes = new Uint8Array(CACHE_SLOTS * CACHE_MAX_LEN)
const cacheLen = new Int8Array(CACHE_SLOTS).fill(-1)
const cacheStr: string[] = new Array(CACHE_SLOTS).fill('')

/** {@link decodeUtf8} through a small cache, for map keys and other short repeated strings. */
export function decodeUtf8Cached(buf: Uint8Array, start: number, len: number): string | undefined {
  if (len > CACHE_MAX_LEN) return decodeUtf8(buf, start, len)
  // FNV-style over four bytes per step: a quarter of the multiply chain of a byte-wise hash
  let h = len
  const end = start + len
  let i = start
  for (; i + 4 <= end; i += 4) {
    const w =
      (buf[i] as number) |
      ((buf[i + 1] as number) << 8) |
      ((buf[i + 2] as number) << 16) |
      ((buf[i + 3] as number) << 24)
    h = Math.imul(h ^ w, 0x01000193)
  }
  for (; i < end; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193)
  h ^= h >>> 13
  const slot = (h ^ (h >>> 17)) & (CACHE_SLOTS - 1)
  const base = slot * CACHE_MAX_LEN
  if (cacheLen[slot] === len) {
    let i = 0
    while (i < len && cacheBytes[base + i] === buf[start + i]) i++
    if (i === len) return cacheStr[slot]
  }
  const s = decodeUtf8(buf, start, len)
  if (s === undefined) return undefined
  for (let i = 0; i < len; i++) cacheBytes[base + i] = buf[start + i] as number
  cacheLen[slot] = len
  cacheStr[slot] = s
  return s
}

// Map keys get a cache of their own with a cheaper hash (length and three sampled bytes; the
// byte comparison still checks every byte). Field names are few and rarely share length, first,
// middle and last byte; values such as timestamps do, so they stay in the cache above.
const KEY_SLOTS = 512
const keyBytes = new Uint8Array(KEY_SLOTS * CACHE_MAX_LEN)
const keyLen = new Int8Array(KEY_SLOTS).fill(-1)
const keyStr: string[] = new Array(KEY_SLOTS).fill('')

/** {@link decodeUtf8} through the map-key cache. */
export function decodeKeyCached(buf: Uint8Array, start: number, len: number): string | undefined {
  if (len > CACHE_MAX_LEN || len === 0) return decodeUtf8(buf, start, len)
  const h =
    Math.imul(len ^ ((buf[start] as number) << 5), 0x9e3779b1) ^
    Math.imul((buf[start + (len >> 1)] as number) | ((buf[start + len - 1] as number) << 8), 0x85ebca6b)
  const slot = (h ^ (h >>> 16)) & (KEY_SLOTS - 1)
  const base = slot * CACHE_MAX_LEN
  if (keyLen[slot] === len) {
    let i = 0
    while (i < len && keyBytes[base + i] === buf[start + i]) i++
    if (i === len) return keyStr[slot]
  }
  const s = decodeUtf8Cached(buf, start, len)
  if (s === undefined) return undefined
  for (let i = 0; i < len; i++) keyBytes[base + i] = buf[start + i] as number
  keyLen[slot] = len
  keyStr[slot] = s
  return s
}

/**
 * Decodes `len` bytes of UTF-8 at `buf[start]`, or returns `undefined` if they are not valid
 * UTF-8 (overlong forms, surrogates and code points past U+10FFFF are invalid).
 */
export function decodeUtf8(buf: Uint8Array, start: number, len: number): string | undefined {
  // up to 16 bytes a JS loop beats the native call; past that TextDecoder wins (measured, Node 24)
  if (len <= 16) {
    let out = ''
    const end = start + len
    let i = start
    while (i < end) {
      const a = buf[i] as number
      if (a < 0x80) {
        out += fromCharCode(a)
        i++
        continue
      }
      // multi-byte: validate per the Unicode table of well-formed sequences (lead byte, then
      // continuation bytes, then no overlong form, surrogate or code point past U+10FFFF)
      const more = a >= 0xc2 && a <= 0xdf ? 1 : a >= 0xe0 && a <= 0xef ? 2 : a >= 0xf0 && a <= 0xf4 ? 3 : 0
      if (more === 0 || i + more >= end) return undefined
      let cp = a & (0x3f >> more)
      for (let k = 1; k <= more; k++) {
        const b = buf[i + k] as number
        if ((b & 0xc0) !== 0x80) return undefined
        cp = (cp << 6) | (b & 0x3f)
      }
      if (
        cp < (more === 1 ? 0x80 : more === 2 ? 0x800 : 0x10000) ||
        cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)
      )
        return undefined
      i += more + 1
      out +=
        cp > 0xffff ? fromCharCode(0xd800 | ((cp - 0x10000) >> 10), 0xdc00 | (cp & 0x3ff)) : fromCharCode(cp)
    }
    return out
  }
  try {
    return decoder.decode(buf.subarray(start, start + len))
  } catch {
    return undefined
  }
}

/** UTF-8 byte length of a well-formed string. */
export function utf8Length(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4
      i++
    } else n += 3
  }
  return n
}

/** Writes `s` as UTF-8 into `out` at `offset` (room for 3 bytes per code unit must exist); returns bytes written. */
export function encodeUtf8Into(s: string, out: Uint8Array, offset: number): number {
  return encoder.encodeInto(s, out.subarray(offset)).written
}

/**
 * @internal `isWellFormed` for engines without `String.prototype.isWellFormed` (before ES2024):
 * in a `u` regular expression a surrogate pair is one code point, so only a lone surrogate is `Cs`.
 */
export const isWellFormedByRegExp = (s: string): boolean => !/\p{Cs}/u.test(s)

/** True when `s` has no lone surrogates (so its UTF-8 form round-trips). */
export const isWellFormed: (s: string) => boolean = /* @__PURE__ */ (() =>
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : isWellFormedByRegExp)()

/**
 * Order of map keys in canonical DAG-CBOR: shorter UTF-8 first, then bytewise. Bytewise UTF-8
 * order is code point order, which differs from JS `<` (UTF-16 units) only past the BMP.
 */
export function compareKeysUtf8(a: string, b: string): number {
  const la = utf8Length(a)
  const lb = utf8Length(b)
  if (la !== lb) return la - lb
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const ca = a.codePointAt(i) as number
    const cb = b.codePointAt(i) as number
    if (ca !== cb) return ca - cb
    if (ca > 0xffff) i++
  }
  return a.length - b.length
}
