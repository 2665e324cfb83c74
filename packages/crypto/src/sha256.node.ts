import { createHash, hash } from 'node:crypto'

// crypto.hash (Node 20.12+/21.7+) skips the Hash object, and a latin1 ('binary') string result
// skips the Buffer (a backing store per call) that a 'buffer' result allocates: on 500-byte
// inputs the digest costs about half as much, copy into the result included. latin1 maps each
// byte to the code unit of the same value, so the copy is exact.
type OneShot = (alg: string, data: Uint8Array, enc: 'binary') => string
const oneShot: OneShot | undefined = typeof hash === 'function' ? (hash as unknown as OneShot) : undefined

/** sha256 of `data`, synchronously, with Node's native OpenSSL implementation. */
export function sha256(data: Uint8Array): Uint8Array {
  const d = oneShot ? oneShot('sha256', data, 'binary') : createHash('sha256').update(data).digest('binary')
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) out[i] = d.charCodeAt(i)
  return out
}
