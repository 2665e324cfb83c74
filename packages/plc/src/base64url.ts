// Strict base64url without padding (RFC 4648 §5). Signatures must be canonical: the spec forbids
// padding, other alphabets and non-zero trailing bits, since any of them changes an operation's CID
// without changing what it signs.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const LOOKUP = new Int8Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i

/** base64url text of `bytes`, without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!
  }
  return out
}

/**
 * The bytes of canonical unpadded base64url text, or `undefined` when the text has padding, a
 * character outside the alphabet, an impossible length or non-zero trailing bits.
 */
export function fromBase64UrlStrict(text: string): Uint8Array | undefined {
  const len = text.length
  if (len % 4 === 1) return undefined
  const out = new Uint8Array(Math.floor((len * 3) / 4))
  let acc = 0
  let bits = 0
  let at = 0
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i)
    const v = c < 128 ? LOOKUP[c]! : -1
    if (v < 0) return undefined
    acc = ((acc << 6) | v) & 0xffffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[at++] = (acc >> bits) & 0xff
    }
  }
  // Leftover bits (2 or 4) must be zero, otherwise two texts would decode to the same bytes.
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) return undefined
  return out
}
