// @rsky/crypto, browser and reference entry (pure JS). Node resolves index.node.ts,
// which exports the same names bound to node:crypto; the published types come from this file.

import { SECP256K1_JWT_ALG as K256, P256_JWT_ALG as P256 } from './constants.ts'
import { createDidKeyParsers, jsPointCheck, type ParsedDidKey } from './did-key.ts'
import { browserEngine } from './engine.browser.ts'
import { EcKeypair, type KeypairOptions, randomPrivateKey } from './keypair.ts'
import type { ByteEncoding } from './multibase.ts'
import {
  bindHkdfSha256Expand,
  bindHmacSha256,
  bindRandomBytes,
  bindRandomIntFromSeed,
  bindRandomStr,
  bindVerify,
} from './runtime.ts'
import { createDidKeyCache, type VerifyOptions } from './verify.ts'

export { sha256 } from './sha256.browser.ts'
export * from './shared-exports.ts'

const engine = browserEngine
// Each export is bound on its own (and marked pure), so a bundle keeps only what the app calls.
const lookup = /* @__PURE__ */ createDidKeyCache(engine)

/**
 * Verifies a 64-byte compact low-S ECDSA signature over sha256(`data`) against a did:key
 * (secp256k1 or P-256; `data` is hashed here on both curves). Parsed keys are cached per did:key.
 * @returns false for a bad, high-S or DER signature (unless `allowMalleableSig`).
 * @throws {InvalidDidKeyError} for a malformed did:key.
 * @throws {JwtAlgMismatchError} when `opts.jwtAlg` is set and differs from the key's.
 * @example verifySignature(keypair.did(), data, await keypair.sign(data)) // true
 */
export const verifySignature: (
  didKey: string,
  data: Uint8Array,
  sig: Uint8Array,
  opts?: VerifyOptions,
) => boolean = /* @__PURE__ */ bindVerify(lookup, false)

/**
 * `verifySignature` for a caller that already holds the 32-byte sha256 of the data.
 * @throws {InvalidDidKeyError} for a malformed did:key; {RangeError} unless `digest` is 32 bytes.
 * @example verifySignatureDigest(did, sha256(data), sig)
 */
export const verifySignatureDigest: (
  didKey: string,
  digest: Uint8Array,
  sig: Uint8Array,
  opts?: VerifyOptions,
) => boolean = /* @__PURE__ */ bindVerify(lookup, true)

/**
 * HMAC-SHA256 of `data` under `key`.
 * @throws {TypeError} unless both are Uint8Arrays.
 * @example hmacSha256(key, data) // 32 bytes
 */
export const hmacSha256: (key: Uint8Array, data: Uint8Array) => Uint8Array =
  /* @__PURE__ */ bindHmacSha256(engine)

/**
 * HKDF-SHA256 expand step only (RFC 5869 §2.3): `length` bytes from a pseudorandom key and info.
 * @throws {RangeError} when `length` is outside [0, 8160] or `prk` is shorter than 32 bytes.
 * @example hkdfSha256Expand(prk, new TextEncoder().encode('ctx'), 32)
 */
export const hkdfSha256Expand: (prk: Uint8Array, info: Uint8Array, length: number) => Uint8Array =
  /* @__PURE__ */ bindHkdfSha256Expand(engine)

/**
 * `n` bytes from the platform CSPRNG.
 * @throws {RangeError} when `n` is outside [0, 65536].
 */
export const randomBytes: (n: number) => Uint8Array = /* @__PURE__ */ bindRandomBytes(engine)

/**
 * `byteLength` random bytes as text in `encoding` (no multibase prefix).
 * @example randomStr(16, 'base32')
 */
export const randomStr: (byteLength: number, encoding: ByteEncoding) => string =
  /* @__PURE__ */ bindRandomStr(engine)

/** An integer in [low, high) (low defaults to 0) chosen deterministically by sha256(seed). */
export const randomIntFromSeed: (seed: string, high: number, low?: number) => number =
  /* @__PURE__ */ bindRandomIntFromSeed(engine)

const parsers = /* @__PURE__ */ createDidKeyParsers(jsPointCheck)

/**
 * Parses a did:key into its algorithm and compressed public key, checking the point is on the
 * curve (libsecp256k1 / OpenSSL in Node, pure JS here; the same errors on both).
 * @throws {InvalidDidKeyError} on any malformed or off-curve key (see `issue`).
 * @example parseDidKey('did:key:zDnaembgSGUhZULN2Caob4HLJPaxBh92N7rtH21TErzqf8HQo').jwtAlg // 'ES256'
 */
export const parseDidKey: (did: string) => ParsedDidKey = parsers.parseDidKey

/**
 * Parses a multikey (`z...`) into its algorithm and compressed public key, checking the point.
 * @throws {InvalidMultikeyError} on any malformed or off-curve key (see `issue`).
 * @example parseMultikey('zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc').jwtAlg // 'ES256K'
 */
export const parseMultikey: (multikey: string) => ParsedDidKey = parsers.parseMultikey

/** A secp256k1 (k256, ES256K) keypair: deterministic low-S signatures over sha256(data). */
export class Secp256k1Keypair extends EcKeypair {
  /**
   * A new random keypair.
   * @example const kp = Secp256k1Keypair.create({ exportable: true })
   */
  static create(opts?: KeypairOptions): Secp256k1Keypair {
    return new Secp256k1Keypair(engine, K256, randomPrivateKey(engine, K256), opts)
  }

  /**
   * A keypair from a 32-byte private key (bytes or hex).
   * @throws {InvalidPrivateKeyError} when the key is not a scalar in [1, n-1].
   */
  static import(privKey: Uint8Array | string, opts?: KeypairOptions): Secp256k1Keypair {
    return new Secp256k1Keypair(engine, K256, privKey, opts)
  }
}

/** A NIST P-256 (p256, ES256) keypair: deterministic low-S signatures over sha256(data). */
export class P256Keypair extends EcKeypair {
  /**
   * A new random keypair.
   * @example const kp = P256Keypair.create()
   */
  static create(opts?: KeypairOptions): P256Keypair {
    return new P256Keypair(engine, P256, randomPrivateKey(engine, P256), opts)
  }

  /**
   * A keypair from a 32-byte private key (bytes or hex).
   * @throws {InvalidPrivateKeyError} when the key is not a scalar in [1, n-1].
   */
  static import(privKey: Uint8Array | string, opts?: KeypairOptions): P256Keypair {
    return new P256Keypair(engine, P256, privKey, opts)
  }
}
