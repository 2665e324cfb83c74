// base58btc (the Bitcoin alphabet), the only base a multikey uses. Quadratic in the input length,
// which is why callers cap the length before decoding untrusted strings.

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
// Built in a pure expression, so a bundle that only encodes drops it.
const DECODE: Int8Array = /* @__PURE__ */ (() => {
  const t = new Int8Array(128).fill(-1)
  for (let i = 0; i < ALPHABET.length; i++) t[ALPHABET.charCodeAt(i)] = i
  return t
})()

/** base58btc text of `bytes` (no multibase prefix). */
export function base58Encode(bytes: Uint8Array): string {
  let zeros = 0
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++
  // log(256) / log(58) ~= 1.366: an upper bound on the digit count.
  const digits = new Uint8Array(Math.ceil((bytes.length - zeros) * 1.366) + 1)
  let used = 0
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i]!
    for (let j = 0; j < used; j++) {
      carry += digits[j]! * 256
      digits[j] = carry % 58
      carry = (carry / 58) | 0
    }
    while (carry > 0) {
      digits[used++] = carry % 58
      carry = (carry / 58) | 0
    }
  }
  let out = '1'.repeat(zeros)
  for (let j = used - 1; j >= 0; j--) out += ALPHABET[digits[j]!]
  return out
}

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
