// RFC 4648 base32, lowercase, unpadded: the multibase 'b' encoding of CID strings. Hand-written
// because CID strings are formatted and parsed on hot paths (map keys, JSON conversion).

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'
const DECODE = /* @__PURE__ */ (() => {
  const table = new Int8Array(128).fill(-1)
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i
  return table
})()

const CODES = /* @__PURE__ */ (() => {
  const t = new Uint8Array(32)
  for (let i = 0; i < 32; i++) t[i] = ALPHABET.charCodeAt(i)
  return t
})()
const fromCharCode = String.fromCharCode

/** Lowercase unpadded base32 of `bytes`. */
export function toBase32(bytes: Uint8Array): string {
  const c = CODES
  const len = bytes.length
  const whole = len - (len % 5)
  let out = ''
  let i = 0
  // 5 bytes -> 8 characters per step, one fromCharCode call each
  for (; i < whole; i += 5) {
    const a = bytes[i] as number
    const b = bytes[i + 1] as number
    const d = bytes[i + 2] as number
    const e = bytes[i + 3] as number
    const f = bytes[i + 4] as number
    out += fromCharCode(
      c[a >>> 3] as number,
      c[((a & 7) << 2) | (b >>> 6)] as number,
      c[(b >>> 1) & 31] as number,
      c[((b & 1) << 4) | (d >>> 4)] as number,
      c[((d & 15) << 1) | (e >>> 7)] as number,
      c[(e >>> 2) & 31] as number,
      c[((e & 3) << 3) | (f >>> 5)] as number,
      c[f & 31] as number,
    )
  }
  let buffer = 0
  let bits = 0
  for (; i < len; i++) {
    buffer = ((buffer << 8) | (bytes[i] as number)) & 0xfff
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += ALPHABET[(buffer >>> bits) & 31]
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31]
  return out
}

/**
 * Bytes of a lowercase unpadded base32 string, or `undefined` when a character is outside the
 * alphabet, the length is impossible, or the unused trailing bits are not zero (non-canonical).
 */
export function fromBase32(text: string, start = 0): Uint8Array | undefined {
  const chars = text.length - start
  const rem = chars % 8
  if (rem === 1 || rem === 3 || rem === 6) return undefined
  const out = new Uint8Array(Math.floor((chars * 5) / 8))
  let buffer = 0
  let bits = 0
  let j = 0
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i)
    const v = c < 128 ? (DECODE[c] as number) : -1
    if (v < 0) return undefined
    buffer = ((buffer << 5) | v) & 0xfff
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out[j++] = (buffer >>> bits) & 0xff
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) return undefined
  return out
}
