// SHA-256 for node CIDs, node hash checks and key heights, Node path: node:crypto's one-shot
// hash with a latin1 ('binary') string result, which allocates no Buffer (the string's code units
// are the digest bytes). Measured here against the JavaScript sha256 of sha256.ts: about 4x faster
// on 300-byte node blocks, 1.5x on 40-byte keys. Falls back to that JavaScript sha256 where
// crypto.hash is missing. Cross-checked against it in digest.test.ts.
import { hash } from 'node:crypto'
import { sha256Into, sha256LeadingZeroPairs } from '@rsky/crypto/sha256-js'

type OneShot = (alg: string, data: Uint8Array | string, enc: 'binary') => string
const oneShot: OneShot | undefined = typeof hash === 'function' ? (hash as unknown as OneShot) : undefined
const tmp = new Uint8Array(32)

/** Writes sha256(data[0..len)) into `out` at `offset` (32 bytes). */
export function digestInto(data: Uint8Array, len: number, out: Uint8Array, offset: number): void {
  if (oneShot === undefined) {
    sha256Into(data, len, out, offset)
    return
  }
  const d = oneShot('sha256', len === data.length ? data : data.subarray(0, len), 'binary')
  for (let i = 0; i < 32; i++) out[offset + i] = d.charCodeAt(i)
}

/** Whether sha256(`data`) equals the 32 bytes of `expected` starting at `at`. */
export function digestMatches(data: Uint8Array, expected: Uint8Array, at: number): boolean {
  if (oneShot === undefined) {
    sha256Into(data, data.length, tmp, 0)
    for (let i = 0; i < 32; i++) if (tmp[i] !== expected[at + i]) return false
    return true
  }
  const d = oneShot('sha256', data, 'binary')
  for (let i = 0; i < 32; i++) if (d.charCodeAt(i) !== expected[at + i]) return false
  return true
}

/** Leading zero bits of sha256(UTF-8 of `key`), halved: the MST layer of a key. */
export function keyHeight(key: string): number {
  if (oneShot === undefined) {
    const bytes = new TextEncoder().encode(key)
    return sha256LeadingZeroPairs(bytes, bytes.length)
  }
  // A string is hashed as its UTF-8 bytes.
  const d = oneShot('sha256', key, 'binary')
  let zeros = 0
  for (let i = 0; i < 32; i++) {
    const b = d.charCodeAt(i)
    if (b === 0) {
      zeros += 8
      continue
    }
    zeros += Math.clz32(b) - 24
    break
  }
  return zeros >>> 1
}
