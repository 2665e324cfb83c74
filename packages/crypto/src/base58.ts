// base58btc (the Bitcoin alphabet), the only base a multikey uses. Quadratic in the input length,
// which is why callers cap the length before decoding untrusted strings.

import { BASE58_ALPHABET as ALPHABET } from './base58-alphabet.ts'

// Built in a pure expression, so a bundle that only encodes drops it.
const DECODE: Int8Array = /* @__PURE__ */ (() => {
  const t = new Int8Array(128).fill(-1)
  for (let i = 0; i < ALPHABET.length; i++) t[ALPHABET.charCodeAt(i)] = i
  return t
})()

// Encoding is chosen through the package's "imports" map (#base58-encode): base58-encode.ts's digit
// array everywhere but in browsers, which get base58-encode.browser.ts's shorter BigInt loop.
export { base58Encode } from '#base58-encode'

/**
 * Bytes of base58btc text (no multibase prefix), or the offset of the first character outside
 * the alphabet as a negative number minus one (so offset 0 is -1).
 */
export function base58DecodeOrOffset(text: string): Uint8Array | number {
  let zeros = 0
  while (zeros < text.length && text.charCodeAt(zeros) === 49 /* '1' */) zeros++
  const bytes = new Uint8Array(Math.ceil((text.length - zeros) * 0.733) + 1)
  let used = 0
  for (let i = zeros; i < text.length; i++) {
    const c = text.charCodeAt(i)
    const v = c < 128 ? DECODE[c]! : -1
    if (v < 0) return -1 - i
    let carry = v
    for (let j = 0; j < used; j++) {
      carry += bytes[j]! * 58
      bytes[j] = carry & 0xff
      carry >>= 8
    }
    while (carry > 0) {
      bytes[used++] = carry & 0xff
      carry >>= 8
    }
  }
  const out = new Uint8Array(zeros + used)
  for (let j = 0; j < used; j++) out[zeros + j] = bytes[used - 1 - j]!
  return out
}
