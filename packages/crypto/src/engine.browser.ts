// The pure-JS backend (the package's own point arithmetic, sha256, HMAC and RFC 6979 signing):
// browsers, and the reference in Node tests.
import { bytesToBigInt } from './bytes.ts'
import type { JwtAlg } from './constants.ts'
import { pointFromBytes, verifyDigestJs } from './curves.ts'
import { signDigestJs } from './ecdsa-js.ts'
import type { CryptoEngine, PrivateKeySigner, PublicKeyVerifier } from './engine.ts'
import { hmacSha256Parts } from './hmac-js.ts'
import { CURVES } from './points.ts'
import { sha256 } from './sha256-js.ts'

function importPublicKey(alg: JwtAlg, compressed: Uint8Array): PublicKeyVerifier {
  // Parsed once per did:key (the caller caches this object), so no decompression per verify; the
  // key's window table is built on its first verify.
  const point = pointFromBytes(alg, compressed)
  let table: ReturnType<typeof CURVES.ES256.keyTable> | undefined
  const verifyDigest = (digest: Uint8Array, compact: Uint8Array): boolean => {
    table ??= CURVES[alg].keyTable(point)
    return verifyDigestJs(alg, table, digest, compact)
  }
  return { verifyData: (data, compact) => verifyDigest(sha256(data), compact), verifyDigest }
}

function importPrivateKey(alg: JwtAlg, priv: Uint8Array): PrivateKeySigner {
  return {
    publicKey: CURVES[alg].toBytes(CURVES[alg].multiplyBase(bytesToBigInt(priv)), true),
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
