// The strict CID string of the lexicon `cid` format, `$link` and legacy blobs, checked without
// allocating: validation runs it on every strong ref and blob of every record.

// base32 (RFC 4648, lower case) value of each ASCII code, or -1. A plain array of small
// integers: V8 reads it faster than a typed array in the per-character loop.
const BASE32: readonly number[] = (() => {
  const t: number[] = new Array(128).fill(-1)
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  for (let i = 0; i < 32; i++) t[alphabet.charCodeAt(i)] = i
  return t
})()

const MAX_LENGTH = 256
// Decoded bytes of the longest accepted string (255 base32 characters after the prefix).
const scratch = new Uint8Array(Math.ceil(((MAX_LENGTH - 1) * 5) / 8))

/** Offset after the minimal varint (at most 9 bytes, at most 2^53-1) at `p` of the `end` bytes decoded so far; -1 when malformed, -2 when it runs past `end`. Sets `lastVarint`. */
function skipVarint(end: number, p: number): number {
  let value = 0
  let shift = 1
  for (let i = p; i < p + 9; i++) {
    if (i >= end) return -2
    const b = scratch[i] as number
    value += (b & 0x7f) * shift
    if (b < 0x80) {
      if ((b === 0 && i > p) || value > Number.MAX_SAFE_INTEGER) return -1
      lastVarint = value
      return i + 1
    }
    shift *= 128
  }
  return -1
}
let lastVarint = 0

/** Decodes base32 characters 1..`to` of `s` (all already known valid) into `scratch`; returns the byte count. */
function decodeInto(s: string, to: number): number {
  let buffer = 0
  let bits = 0
  let len = 0
  for (let i = 1; i < to; i++) {
    buffer = ((buffer << 5) | (BASE32[s.charCodeAt(i)] as number)) & 0xfff
    bits += 5
    if (bits >= 8) {
      bits -= 8
      scratch[len++] = (buffer >>> bits) & 0xff
    }
  }
  return len
}

/** Whether the CID header in `scratch[0..end)` (version 1, codec, multihash code, digest length) spans exactly `total` bytes; -2 when `end` is too short to tell. */
function headerFits(end: number, total: number): number {
  if (end < 1) return -2
  if (scratch[0] !== 1) return 0
  let p = skipVarint(end, 1)
  if (p < 0) return p === -2 ? -2 : 0
  p = skipVarint(end, p)
  if (p < 0) return p === -2 ? -2 : 0
  p = skipVarint(end, p)
  if (p < 0) return p === -2 ? -2 : 0
  return p + lastVarint === total ? 1 : 0
}

/**
 * A CIDv1 written as the data model writes CID strings (base32, lower case, the `b` multibase
 * prefix, canonical: no leftover bits) that decodes exactly: version 1, minimal varints for the
 * codec, multihash code and digest length, and a digest as long as the multihash says. Accepts
 * exactly the `b` strings `parseCid` of `@rsky/dag-cbor` accepts, without building a CID: only
 * the header is decoded, the rest is checked against the alphabet. Stricter than
 * `isValidCidString` of `@rsky/syntax`, the loose syntax check of the fixtures.
 */
export function isLexCidString(s: string): boolean {
  if (typeof s !== 'string') return false
  const n = s.length
  if (n < 8 || n > MAX_LENGTH || s.charCodeAt(0) !== 0x62) return false
  const chars = n - 1
  const rem = chars % 8
  if (rem === 1 || rem === 3 || rem === 6) return false
  for (let i = 1; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c >= 128 || (BASE32[c] as number) < 0) return false
  }
  // The blessed forms, nearly every CID in atproto: `bafyrei…` (dag-cbor) and `bafkrei…` (raw),
  // 59 characters, decode to 0x01 codec 0x12 0x20 and a 32-byte digest when the eighth character
  // carries two zero bits into the digest-length byte and the last one none past the end.
  if (
    n === 59 &&
    s.charCodeAt(1) === 0x61 &&
    s.charCodeAt(2) === 0x66 &&
    (s.charCodeAt(3) === 0x79 || s.charCodeAt(3) === 0x6b) &&
    s.charCodeAt(4) === 0x72 &&
    s.charCodeAt(5) === 0x65 &&
    s.charCodeAt(6) === 0x69
  ) {
    return (BASE32[s.charCodeAt(7)] as number) < 8 && ((BASE32[s.charCodeAt(58)] as number) & 3) === 0
  }
  const total = (chars * 5) >>> 3
  // canonical: the bits of the last character past the last byte are zero
  const leftover = chars * 5 - total * 8
  if (((BASE32[s.charCodeAt(n - 1)] as number) & ((1 << leftover) - 1)) !== 0) return false
  // 16 characters hold 10 bytes: the header of every common CID; longer varints decode it all
  let fits = headerFits(decodeInto(s, Math.min(n, 17)), total)
  if (fits === -2 && n > 17) fits = headerFits(decodeInto(s, n), total)
  return fits === 1
}
