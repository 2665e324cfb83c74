// SHA-256 for node CIDs, node hash checks and key heights: browser and reference path, the
// allocation-free JavaScript sha256 of sha256.ts. Node resolves `#digest` to digest.node.ts
// instead (see package.json "imports"); both are cross-checked in digest.test.ts.
import { sha256Into, sha256LeadingZeroPairs, sha256Matches } from '@rsky/crypto/sha256-js'

let scratch = new Uint8Array(256)

/** Writes sha256(data[0..len)) into `out` at `offset` (32 bytes). */
export function digestInto(data: Uint8Array, len: number, out: Uint8Array, offset: number): void {
  sha256Into(data, len, out, offset)
}

/** Whether sha256(`data`) equals the 32 bytes of `expected` starting at `at`. */
export const digestMatches: (data: Uint8Array, expected: Uint8Array, at: number) => boolean = sha256Matches

/** Leading zero bits of sha256(UTF-8 of `key`), halved: the MST layer of a key. */
export function keyHeight(key: string): number {
  const len = key.length
  if (len > scratch.length) scratch = new Uint8Array(Math.max(len, scratch.length * 2))
  for (let i = 0; i < len; i++) {
    const c = key.charCodeAt(i)
    if (c > 0x7f) {
      const bytes = new TextEncoder().encode(key)
      return sha256LeadingZeroPairs(bytes, bytes.length)
    }
    scratch[i] = c
  }
  return sha256LeadingZeroPairs(scratch, len)
}
