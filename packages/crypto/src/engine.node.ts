// The Node backend: OpenSSL through node:crypto for sha256, ECDSA verify, and the scalar
// multiplication inside signing. Produces byte-identical results to the @noble backend.
import {
  createECDH,
  createPublicKey,
  ECDH,
  type KeyObject,
  randomBytes as nodeRandomBytes,
  verify,
} from 'node:crypto'
import { bigIntToBytes, bytesToBigInt } from './bytes.ts'
import type { JwtAlg } from './constants.ts'
import { NOBLE, nobleVerifyDigest, ORDER, pointFromBytes } from './curves.ts'
import type { CryptoEngine, PrivateKeySigner, PublicKeyVerifier } from './engine.ts'
import { InvalidPublicKeyError } from './errors.ts'
import { hmacSha256Parts } from './hmac.node.ts'
import { invertModPrime } from './invert.ts'
import { sha256 } from './sha256.node.ts'

// DER SubjectPublicKeyInfo header for a 65-byte uncompressed point. The key is decompressed once
// in OpenSSL (ECDH.convertKey, which also rejects points off the curve) and imported uncompressed:
// a key imported compressed is decompressed again on every verify (about 12 µs on P-256).
const spki = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'))
const SPKI_HEADER: Readonly<Record<JwtAlg, Uint8Array>> = {
  // SEQ(0x56) { SEQ(0x10) { OID ecPublicKey 1.2.840.10045.2.1, OID secp256k1 1.3.132.0.10 },
  //   BIT STRING(0x42) 0x00 <65 bytes> }
  ES256K: spki('3056' + '3010' + '06072a8648ce3d0201' + '06052b8104000a' + '034200'),
  // SEQ(0x59) { SEQ(0x13) { OID ecPublicKey, OID prime256v1 1.2.840.10045.3.1.7 },
  //   BIT STRING(0x42) 0x00 <65 bytes> }
  ES256: spki('3059' + '3013' + '06072a8648ce3d0201' + '06082a8648ce3d030107' + '034200'),
}

const ECDH_CURVE: Readonly<Record<JwtAlg, string>> = { ES256K: 'secp256k1', ES256: 'prime256v1' }

function importPublicKey(alg: JwtAlg, compressed: Uint8Array): PublicKeyVerifier {
  if (compressed.length !== 33 || (compressed[0] !== 0x02 && compressed[0] !== 0x03)) {
    throw new InvalidPublicKeyError(alg, compressed.length, 'expected a 33-byte compressed point')
  }
  let key: KeyObject
  try {
    const point = ECDH.convertKey(compressed, ECDH_CURVE[alg], undefined, undefined, 'uncompressed') as Buffer
    const header = SPKI_HEADER[alg]
    const der = Buffer.allocUnsafe(header.length + point.length)
    der.set(header)
    der.set(point, header.length)
    key = createPublicKey({ key: der, format: 'der', type: 'spki' })
  } catch (cause) {
    const err = new InvalidPublicKeyError(alg, compressed.length, 'not a point on the curve')
    err.cause = cause
    throw err
  }
  const keyInput = { key, dsaEncoding: 'ieee-p1363' as const }
  let point: ReturnType<typeof pointFromBytes> | undefined
  return {
    // OpenSSL accepts high-S; the caller has already applied the low-S rule.
    verifyData: (data, compact) => verify('sha256', data, keyInput, compact),
    // node:crypto cannot verify a prehashed message, so digests take the JS path.
    verifyDigest: (digest, compact) => {
      point ??= pointFromBytes(alg, compressed)
      return nobleVerifyDigest(alg, point, digest, compact)
    },
  }
}

const ecdhByAlg: Partial<Record<JwtAlg, ECDH>> = {}
const ecdhFor = (alg: JwtAlg): ECDH => {
  ecdhByAlg[alg] ??= createECDH(ECDH_CURVE[alg])
  return ecdhByAlg[alg]
}

const ZERO = Uint8Array.of(0)
const ONE = Uint8Array.of(1)

/**
 * Deterministic ECDSA (RFC 6979 nonce, low-S), the same bytes @noble/curves produces. OpenSSL
 * computes R = k·G (through ECDH key derivation, its constant-time fixed-base multiply), which
 * is the expensive step; the nonce and s = k⁻¹(h + r·d) are computed here. Like noble, the
 * inversion is blinded by a random b so its variable timing says nothing about k.
 */
function signDigest(alg: JwtAlg, priv: Uint8Array, d: bigint, digest: Uint8Array): Uint8Array {
  const n = ORDER[alg]
  const Fn = NOBLE[alg].Point.Fn
  let h = bytesToBigInt(digest)
  if (h >= n) h -= n
  const h1 = bigIntToBytes(h, 32)
  let v: Uint8Array = new Uint8Array(32).fill(1)
  let k: Uint8Array = new Uint8Array(32)
  k = hmacSha256Parts(k, [v, ZERO, priv, h1])
  v = hmacSha256Parts(k, [v])
  k = hmacSha256Parts(k, [v, ONE, priv, h1])
  v = hmacSha256Parts(k, [v])
  const ecdh = ecdhFor(alg)
  for (;;) {
    v = hmacSha256Parts(k, [v])
    const nonce = bytesToBigInt(v)
    if (nonce !== 0n && nonce < n) {
      ecdh.setPrivateKey(v)
      const R = ecdh.getPublicKey()
      const r = Fn.create(bytesToBigInt(R.subarray(1, 33)))
      if (r !== 0n) {
        const b = (bytesToBigInt(nodeRandomBytes(48)) % (n - 1n)) + 1n
        const bk = Fn.mul(b, nonce)
        const ibk = invertModPrime(bk, n) ?? Fn.inv(bk)
        let s = Fn.mul(ibk, Fn.create(Fn.mul(b, h) + Fn.mul(Fn.mul(b, d), r)))
        if (s !== 0n) {
          if (s > n >> 1n) s = n - s
          const out = new Uint8Array(64)
          out.set(bigIntToBytes(r, 32), 0)
          out.set(bigIntToBytes(s, 32), 32)
          return out
        }
      }
    }
    k = hmacSha256Parts(k, [v, ZERO])
    v = hmacSha256Parts(k, [v])
  }
}

function importPrivateKey(alg: JwtAlg, priv: Uint8Array): PrivateKeySigner {
  const ecdh = ecdhFor(alg)
  ecdh.setPrivateKey(priv)
  const pub = ecdh.getPublicKey(null, 'compressed')
  const d = bytesToBigInt(priv)
  return {
    publicKey: new Uint8Array(pub.buffer, pub.byteOffset, pub.byteLength).slice(),
    signData: (data) => signDigest(alg, priv, d, sha256(data)),
    signDigest: (digest) => signDigest(alg, priv, d, digest),
  }
}

function randomBytes(length: number): Uint8Array {
  const out = nodeRandomBytes(length)
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}

/** The node:crypto backend. */
export const nodeEngine: CryptoEngine = {
  importPublicKey,
  importPrivateKey,
  randomBytes,
  sha256,
  hmacSha256Parts,
}
