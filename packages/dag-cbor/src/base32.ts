// RFC 4648 base32, lowercase, unpadded: the multibase 'b' encoding of CID strings. Hand-written
// because CID strings are formatted and parsed on hot paths (map keys, JSON conversion). Parsing
// here; formatting in to-base32.ts (to-base32.browser.ts in browsers, through #to-base32).

/** The base32 alphabet (RFC 4648, lowercase). @internal */
export const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'
const DECODE = /* @__PURE__ */ (() => {
  const table = new Int8Array(128).fill(-1)
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i
  return table
})()

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
