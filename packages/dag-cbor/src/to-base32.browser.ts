// Formatting base32 in browsers (#to-base32; other runtimes get to-base32.ts, unrolled five bytes at
// a time): one bit loop, which is all a browser bundle needs to print a CID (about 140 gzipped bytes
// fewer). test/cid.test.ts holds the two equal.
import { ALPHABET } from './base32.ts'

/** Lowercase unpadded base32 of `bytes`. */
export function toBase32(bytes: Uint8Array): string {
  let out = ''
  let buffer = 0
  let bits = 0
  for (let i = 0; i < bytes.length; i++) {
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
