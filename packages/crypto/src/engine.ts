import type { JwtAlg } from './constants.ts'

// The seam between the shared API and the two backends (OpenSSL in Node, pure JS in browsers).
// Each entry (index.ts / index.node.ts) binds the shared API (runtime.ts) to one engine at import
// time, so nothing checks the runtime on a hot path.

/** A public key imported once (cached per did:key) and ready to verify. */
export interface PublicKeyVerifier {
  /** Verify a 64-byte compact signature over sha256(data); range checks are the engine's. */
  verifyData(data: Uint8Array, compact: Uint8Array): boolean
  /** Verify a 64-byte compact signature over a 32-byte digest. */
  verifyDigest(digest: Uint8Array, compact: Uint8Array): boolean
}

/** A private key imported once and ready to sign (deterministic RFC 6979, low-S). */
export interface PrivateKeySigner {
  /** Compressed (33-byte) public key. */
  readonly publicKey: Uint8Array
  signData(data: Uint8Array): Uint8Array
  signDigest(digest: Uint8Array): Uint8Array
}

/** One backend. */
export interface CryptoEngine {
  /** @throws {InvalidPublicKeyError} when the bytes are not a point on the curve. */
  importPublicKey(alg: JwtAlg, compressed: Uint8Array): PublicKeyVerifier
  /** `priv` has already been checked to be a scalar in [1, n-1]. */
  importPrivateKey(alg: JwtAlg, priv: Uint8Array): PrivateKeySigner
  randomBytes(length: number): Uint8Array
  sha256(data: Uint8Array): Uint8Array
  /** HMAC-SHA256 of the concatenation of `parts` under `key`. */
  hmacSha256Parts(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array
}
