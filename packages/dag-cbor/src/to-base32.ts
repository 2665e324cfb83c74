// Formatting base32 (see base32.ts), for every runtime but browsers (#to-base32): five bytes to
// eight characters per step, one fromCharCode call each, since CID strings are formatted on hot
// paths (map keys, JSON conversion). Browsers get to-base32.browser.ts, one loop in fewer bytes;
// test/cid.test.ts holds the two equal.
import { ALPHABET } from './base32.ts'

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
