// The pure-JS backend (@noble/curves' point arithmetic, the package's own sha256, HMAC and RFC 6979
// signing): browsers, and the reference in Node tests.
import { bytesToBigInt } from './bytes.ts'
import type { JwtAlg } from './constants.ts'
import { nobleVerifyDigest, pointFromBytes } from './curves.ts'
import { signDigestJs } from './ecdsa-js.ts'
import type { CryptoEngine, PrivateKeySigner, PublicKeyVerifier } from './engine.ts'
import { hmacSha256Parts } from './hmac-js.ts'
import { POINTS } from './points.ts'
import { sha256 } from './sha256-js.ts'

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
    publicKey: POINTS[alg].BASE.multiply(bytesToBigInt(priv)).toBytes(true),
    signData: (data) => signDigestJs(alg, priv, sha256(data)),
    signDigest: (digest) => signDigestJs(alg, priv, digest),
  }
}

/** The platform CSPRNG (Web Crypto, in browsers and Node alike). */
function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length))
}

/** The pure-JS backend. */
export const browserEngine: CryptoEngine = {
  importPublicKey,
  importPrivateKey,
  randomBytes,
  sha256,
  hmacSha256Parts,
}
