// The public functions written once over a backend. Each entry (index.ts for @noble, index.node.ts
// for node:crypto) binds them to its engine at import time, so nothing checks the runtime on a hot
// path; the keypair classes are EcKeypair (keypair.ts) with the engine passed in.
import { abytes } from './bytes.ts'
import type { CryptoEngine } from './engine.ts'
import { hkdfExpandWith } from './hkdf.ts'
import type { ByteEncoding } from './multibase.ts'
import { checkByteLength, randomIntFromSeedWith, randomStrWith } from './random.ts'
import { createDidKeyCache, type VerifyOptions, verifyWith } from './verify.ts'

/** The functions each entry exports, bound to its engine (documented on the exports in index.ts). */
export interface BoundFunctions {
  readonly verifySignature: (
    didKey: string,
    data: Uint8Array,
    sig: Uint8Array,
    opts?: VerifyOptions,
  ) => boolean
  readonly verifySignatureDigest: (
    didKey: string,
    digest: Uint8Array,
    sig: Uint8Array,
    opts?: VerifyOptions,
  ) => boolean
  readonly hmacSha256: (key: Uint8Array, data: Uint8Array) => Uint8Array
  readonly hkdfSha256Expand: (prk: Uint8Array, info: Uint8Array, length: number) => Uint8Array
  readonly randomBytes: (n: number) => Uint8Array
  readonly randomStr: (byteLength: number, encoding: ByteEncoding) => string
  readonly randomIntFromSeed: (seed: string, high: number, low?: number) => number
}

/** The functions of the public API over one engine, with their own did:key cache. */
export function bindFunctions(engine: CryptoEngine): BoundFunctions {
  const lookup = createDidKeyCache(engine)
  const hmac = engine.hmacSha256Parts
  return {
    verifySignature: (didKey, data, sig, opts) => verifyWith(lookup, didKey, data, sig, opts, false),
    verifySignatureDigest: (didKey, digest, sig, opts) => verifyWith(lookup, didKey, digest, sig, opts, true),
    hmacSha256: (key, data) => {
      abytes(key, 'key')
      abytes(data, 'data')
      return hmac(key, [data])
    },
    hkdfSha256Expand: (prk, info, length) => hkdfExpandWith(hmac, prk, info, length),
    randomBytes: (n) => engine.randomBytes(checkByteLength(n)),
    randomStr: (byteLength, encoding) => randomStrWith(engine.randomBytes, byteLength, encoding),
    randomIntFromSeed: (seed, high, low = 0) => randomIntFromSeedWith(engine.sha256, seed, high, low),
  }
}
