// RFC 4648 section 4 base64 (standard alphabet), the encoding of `$bytes` in the JSON form.
// The data model makes `=` padding optional, so the decoder accepts both; the encoder writes none,
// as the reference implementation does.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const DECODE = /* @__PURE__ */ (() => {
  const table = new Int8Array(128).fill(-1)
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i
  return table
})()

/** Unpadded standard base64 of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number)
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!
  }
  const left = bytes.length - i
  if (left === 1) {
    const n = (bytes[i] as number) << 16
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!
  } else if (left === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8)
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]!
  }
  return out
}

/**
 * Bytes of a standard base64 string with optional `=` padding, or `undefined` when it is not
 * valid base64 (bad character, impossible length, misplaced padding).
 */
export function fromBase64(text: string): Uint8Array | undefined {
  let end = text.length
  if (end % 4 === 0 && end > 0) {
    if (text.charCodeAt(end - 1) === 61) end--
    if (text.charCodeAt(end - 1) === 61) end--
  }
  const rem = end % 4
  if (rem === 1) return undefined
  // padding, when present, must complete the last quantum exactly
  if (end !== text.length && text.length % 4 !== 0) return undefined
  const out = new Uint8Array(Math.floor((end * 3) / 4))
  let buffer = 0
  let bits = 0
  let j = 0
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i)
    const v = c < 128 ? (DECODE[c] as number) : -1
    if (v < 0) return undefined
    buffer = ((buffer << 6) | v) & 0xffffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[j++] = (buffer >>> bits) & 0xff
    }
  }
  return out
}
