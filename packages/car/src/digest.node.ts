// Block hash check, Node path. One native sha256 per block is the floor of a hash-checked CAR
// read, so this avoids the rest: crypto.hash with a latin1 ('binary') string result skips the Buffer
// allocation that dominates the cost for small blocks (measured about twice as fast as a
// 'buffer' result on 250-byte blocks), and the string is compared code unit by byte.
import { createHash, hash } from 'node:crypto'

type OneShot = (alg: string, data: Uint8Array, enc: 'binary') => string
const oneShot: OneShot | undefined = typeof hash === 'function' ? (hash as unknown as OneShot) : undefined

/** Whether sha256(`data`) equals the 32 bytes of `expected` starting at `at`. */
export function sha256Matches(data: Uint8Array, expected: Uint8Array, at: number): boolean {
  const d = oneShot ? oneShot('sha256', data, 'binary') : createHash('sha256').update(data).digest('binary')
  for (let i = 0; i < 32; i++) if (d.charCodeAt(i) !== expected[at + i]) return false
  return true
}
