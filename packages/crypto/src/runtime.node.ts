// The public API bound to the node:crypto backend. runtime.browser.ts is the same file bound
// to @noble; keep the two in step (the parity tests run every suite against both).
import { abytes } from './bytes.ts'
import { P256_JWT_ALG, SECP256K1_JWT_ALG } from './constants.ts'
import { nodeEngine as engine } from './engine.node.ts'
import { hkdfExpandWith } from './hkdf.ts'
import { hmacSha256Parts } from './hmac.node.ts'
import { EcKeypair, type KeypairOptions, randomPrivateKey } from './keypair.ts'
import type { ByteEncoding } from './multibase.ts'
import { checkByteLength, randomIntFromSeedWith, randomStrWith } from './random.ts'
import { createDidKeyCache, type VerifyOptions, verifyWith } from './verify.ts'

const lookup = createDidKeyCache(engine)

/**
 * Verifies a 64-byte compact low-S ECDSA signature over sha256(`data`) against a did:key
 * (secp256k1 or P-256; `data` is hashed here on both curves).
 * @returns false for a bad, high-S or DER signature (unless `allowMalleableSig`).
 * @throws {InvalidDidKeyError} for a malformed did:key.
 * @throws {JwtAlgMismatchError} when `opts.jwtAlg` is set and differs from the key's.
 * @example verifySignature(keypair.did(), data, await keypair.sign(data)) // true
 */
export function verifySignature(
  didKey: string,
  data: Uint8Array,
  sig: Uint8Array,
  opts?: VerifyOptions,
): boolean {
  return verifyWith(lookup, didKey, data, sig, opts, false)
}

/**
 * `verifySignature` for a caller that already holds the 32-byte sha256 of the data.
 * @throws {InvalidDidKeyError} for a malformed did:key; {RangeError} unless `digest` is 32 bytes.
 * @example verifySignatureDigest(did, sha256(data), sig)
 */
export function verifySignatureDigest(
  didKey: string,
  digest: Uint8Array,
  sig: Uint8Array,
  opts?: VerifyOptions,
): boolean {
  return verifyWith(lookup, didKey, digest, sig, opts, true)
}

/** A secp256k1 (k256, ES256K) keypair: deterministic low-S signatures over sha256(data). */
export class Secp256k1Keypair extends EcKeypair {
  /**
   * A new random keypair.
   * @example const kp = Secp256k1Keypair.create({ exportable: true })
   */
  static create(opts?: KeypairOptions): Secp256k1Keypair {
    return new Secp256k1Keypair(engine, SECP256K1_JWT_ALG, randomPrivateKey(engine, SECP256K1_JWT_ALG), opts)
  }

  /**
   * A keypair from a 32-byte private key (bytes or hex).
   * @throws {InvalidPrivateKeyError} when the key is not a scalar in [1, n-1].
   */
  static import(privKey: Uint8Array | string, opts?: KeypairOptions): Secp256k1Keypair {
    return new Secp256k1Keypair(engine, SECP256K1_JWT_ALG, privKey, opts)
  }
}

/** A NIST P-256 (p256, ES256) keypair: deterministic low-S signatures over sha256(data). */
export class P256Keypair extends EcKeypair {
  /**
   * A new random keypair.
   * @example const kp = P256Keypair.create()
   */
  static create(opts?: KeypairOptions): P256Keypair {
    return new P256Keypair(engine, P256_JWT_ALG, randomPrivateKey(engine, P256_JWT_ALG), opts)
  }

  /**
   * A keypair from a 32-byte private key (bytes or hex).
   * @throws {InvalidPrivateKeyError} when the key is not a scalar in [1, n-1].
   */
  static import(privKey: Uint8Array | string, opts?: KeypairOptions): P256Keypair {
    return new P256Keypair(engine, P256_JWT_ALG, privKey, opts)
  }
}

/**
 * HMAC-SHA256 of `data` under `key`.
 * @throws {TypeError} unless both are Uint8Arrays.
 * @example hmacSha256(key, data) // 32 bytes
 */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  abytes(key, 'key')
  abytes(data, 'data')
  return hmacSha256Parts(key, [data])
}

/**
 * HKDF-SHA256 expand step only (RFC 5869 §2.3): `length` bytes from a pseudorandom key and info.
 * @throws {RangeError} when `length` is outside [0, 8160] or `prk` is shorter than 32 bytes.
 * @example hkdfSha256Expand(prk, new TextEncoder().encode('ctx'), 32)
 */
export function hkdfSha256Expand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return hkdfExpandWith(hmacSha256Parts, prk, info, length)
}

/**
 * `n` bytes from the platform CSPRNG.
 * @throws {RangeError} when `n` is outside [0, 65536].
 */
export function randomBytes(n: number): Uint8Array {
  return engine.randomBytes(checkByteLength(n))
}

/**
 * `byteLength` random bytes as text in `encoding` (no multibase prefix).
 * @example randomStr(16, 'base32')
 */
export function randomStr(byteLength: number, encoding: ByteEncoding): string {
  return randomStrWith(engine.randomBytes, byteLength, encoding)
}

/** An integer in [low, high) chosen deterministically by sha256(seed). */
export function randomIntFromSeed(seed: string, high: number, low = 0): number {
  return randomIntFromSeedWith(engine.sha256, seed, high, low)
}
