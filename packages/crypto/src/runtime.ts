// The public functions written once over a backend. Each entry (index.ts for pure JS, index.node.ts
// for node:crypto) binds them to its engine at import time, so nothing checks the runtime on a hot
// path; the keypair classes are EcKeypair (keypair.ts) with the engine passed in.
import { abytes } from './bytes.ts'
import type { CryptoEngine } from './engine.ts'
import { hkdfExpandWith } from './hkdf.ts'
import type { ByteEncoding } from './multibase.ts'
import { checkByteLength, randomIntFromSeedWith, randomStrWith } from './random.ts'
import { createDidKeyCache, type ImportedDidKey, type VerifyOptions, verifyWith } from './verify.ts'

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

// One binder per public function, so an entry can bind each export on its own and a bundler
// drops the ones an app never calls (one object of all of them would keep every one alive).

/** verifySignature (or, with `prehashed`, verifySignatureDigest) over a did:key lookup. */
export function bindVerify(
  lookup: (didKey: string) => ImportedDidKey,
  prehashed: boolean,
): BoundFunctions['verifySignature'] {
  return (didKey, message, sig, opts) => verifyWith(lookup, didKey, message, sig, opts, prehashed)
}

export function bindHmacSha256(engine: CryptoEngine): BoundFunctions['hmacSha256'] {
  const hmac = engine.hmacSha256Parts
  return (key, data) => {
    abytes(key, 'key')
    abytes(data, 'data')
    return hmac(key, [data])
  }
}

export function bindHkdfSha256Expand(engine: CryptoEngine): BoundFunctions['hkdfSha256Expand'] {
  return (prk, info, length) => hkdfExpandWith(engine.hmacSha256Parts, prk, info, length)
}

export function bindRandomBytes(engine: CryptoEngine): BoundFunctions['randomBytes'] {
  return (n) => engine.randomBytes(checkByteLength(n))
}

export function bindRandomStr(engine: CryptoEngine): BoundFunctions['randomStr'] {
  return (byteLength, encoding) => randomStrWith(engine.randomBytes, byteLength, encoding)
}

export function bindRandomIntFromSeed(engine: CryptoEngine): BoundFunctions['randomIntFromSeed'] {
  return (seed, high, low = 0) => randomIntFromSeedWith(engine.sha256, seed, high, low)
}

/** The functions of the public API over one engine, with their own did:key cache. */
export function bindFunctions(engine: CryptoEngine): BoundFunctions {
  const lookup = createDidKeyCache(engine)
  return {
    verifySignature: bindVerify(lookup, false),
    verifySignatureDigest: bindVerify(lookup, true),
    hmacSha256: bindHmacSha256(engine),
    hkdfSha256Expand: bindHkdfSha256Expand(engine),
    randomBytes: bindRandomBytes(engine),
    randomStr: bindRandomStr(engine),
    randomIntFromSeed: bindRandomIntFromSeed(engine),
  }
}
