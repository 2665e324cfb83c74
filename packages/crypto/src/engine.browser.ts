// The pure-JS backend (@noble/curves, @noble/hashes): browsers, and the reference in Node tests.
import { randomBytes } from '@noble/hashes/utils.js'
import type { JwtAlg } from './constants.ts'
import { NOBLE, nobleSignDigest, nobleVerifyDigest, pointFromBytes } from './curves.ts'
import type { CryptoEngine, PrivateKeySigner, PublicKeyVerifier } from './engine.ts'
import { hmacSha256Parts } from './hmac.browser.ts'
import { sha256 } from './sha256.browser.ts'

function importPublicKey(alg: JwtAlg, compressed: Uint8Array): PublicKeyVerifier {
  // Parsed once per did:key (the caller caches this object), so no decompression per verify.
  const point = pointFromBytes(alg, compressed)
  return {
    verifyData: (data, compact) => nobleVerifyDigest(alg, point, sha256(data), compact),
    verifyDigest: (digest, compact) => nobleVerifyDigest(alg, point, digest, compact),
  }
}

function importPrivateKey(alg: JwtAlg, priv: Uint8Array): PrivateKeySigner {
  return {
    publicKey: NOBLE[alg].getPublicKey(priv, true),
    signData: (data) => nobleSignDigest(alg, priv, sha256(data)),
    signDigest: (digest) => nobleSignDigest(alg, priv, digest),
  }
}

/** The @noble backend. */
export const browserEngine: CryptoEngine = {
  importPublicKey,
  importPrivateKey,
  randomBytes,
  sha256,
  hmacSha256Parts,
}
