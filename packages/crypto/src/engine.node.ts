// The Node backend: secp256k1 ECDSA through libsecp256k1 compiled to WebAssembly (tiny-secp256k1,
// loaded synchronously at import), P-256 and sha256 through OpenSSL (node:crypto). Produces
// byte-identical results to the pure-JS backend.
import {
  createECDH,
  createPublicKey,
  ECDH,
  type KeyObject,
  randomBytes as nodeRandomBytes,
  verify,
} from 'node:crypto'
import * as libsecp256k1 from 'tiny-secp256k1'
import { bigIntToBytes, bytesToBigInt, compareBytes } from './bytes.ts'
import { COMPACT_SIGNATURE_LENGTH, type JwtAlg } from './constants.ts'
import { ORDER, pointFromBytes, verifyDigestJs } from './curves.ts'
import type { CryptoEngine, PrivateKeySigner, PublicKeyVerifier } from './engine.ts'
import { InvalidPublicKeyError } from './errors.ts'
import { hmacSha256Parts } from './hmac.node.ts'
import { invertModPrime } from './invert.ts'
import { CURVES } from './points.ts'
import { type EcdsaBackend, signDigestRfc6979 } from './rfc6979.ts'
import { sha256 } from './sha256.node.ts'
import { invert } from './weierstrass.ts'

// DER SubjectPublicKeyInfo header of a 65-byte uncompressed P-256 point. Keys of both curves are
// decompressed once in OpenSSL (ECDH.convertKey, which also rejects points off the curve); a P-256
// key imported into OpenSSL compressed is decompressed again on every verify (about 12 µs).
// SEQ(0x59) { SEQ(0x13) { OID ecPublicKey 1.2.840.10045.2.1, OID prime256v1 1.2.840.10045.3.1.7 },
//   BIT STRING(0x42) 0x00 <65 bytes> }
const P256_SPKI_HEADER = Uint8Array.from(
  Buffer.from('3059' + '3013' + '06072a8648ce3d0201' + '06082a8648ce3d030107' + '034200', 'hex'),
)

const ECDH_CURVE: Readonly<Record<JwtAlg, string>> = { ES256K: 'secp256k1', ES256: 'prime256v1' }

function importPublicKey(alg: JwtAlg, compressed: Uint8Array): PublicKeyVerifier {
  if (compressed.length !== 33 || (compressed[0] !== 0x02 && compressed[0] !== 0x03)) {
    throw new InvalidPublicKeyError(alg, compressed.length, 'expected a 33-byte compressed point')
  }
  let point: Buffer
  let key: KeyObject | undefined
  try {
    point = ECDH.convertKey(compressed, ECDH_CURVE[alg], undefined, undefined, 'uncompressed') as Buffer
    if (alg === 'ES256') {
      const header = P256_SPKI_HEADER
      const der = Buffer.allocUnsafe(header.length + point.length)
      der.set(header)
      der.set(point, header.length)
      key = createPublicKey({ key: der, format: 'der', type: 'spki' })
    }
  } catch (cause) {
    const err = new InvalidPublicKeyError(alg, compressed.length, 'not a point on the curve')
    err.cause = cause
    throw err
  }
  if (alg === 'ES256K') {
    // libsecp256k1 verifies about 1.6x faster than OpenSSL's generic-curve code, over a digest
    // as well as over data, so verifySignatureDigest needs no JS fallback either.
    const uncompressed = new Uint8Array(point.buffer, point.byteOffset, point.byteLength).slice()
    return {
      verifyData: (data, compact) => k256Verify(uncompressed, sha256(data), compact),
      verifyDigest: (digest, compact) => k256Verify(uncompressed, digest, compact),
    }
  }
  const keyInput = { key: key as KeyObject, dsaEncoding: 'ieee-p1363' as const }
  let table: ReturnType<typeof CURVES.ES256.keyTable> | undefined
  return {
    // OpenSSL accepts high-S; the caller has already applied the low-S rule.
    verifyData: (data, compact) => verify('sha256', data, keyInput, compact),
    // node:crypto cannot verify a prehashed message, so P-256 digests take the JS path.
    verifyDigest: (digest, compact) => {
      table ??= CURVES[alg].keyTable(pointFromBytes(alg, compressed))
      return verifyDigestJs(alg, table, digest, compact)
    },
  }
}

/**
 * The Node entry's did:key point check, about 3x faster than decompressing in JS: libsecp256k1's
 * public-key parser (which decompresses) for secp256k1, OpenSSL's for P-256 (ECDH.convertKey
 * rejects x >= p, an x with no point above it and any tag but 0x02 / 0x03 for 33 bytes).
 * @throws {InvalidPublicKeyError} with the message the pure-JS check gives.
 */
export function nodePointCheck(alg: JwtAlg, compressed: Uint8Array): void {
  const tag = compressed[0]
  let ok = compressed.length === 33 && (tag === 0x02 || tag === 0x03)
  let cause: unknown
  if (ok && alg === 'ES256K') {
    ok = libsecp256k1.isPoint(compressed)
  } else if (ok) {
    try {
      ECDH.convertKey(compressed, ECDH_CURVE[alg])
    } catch (err) {
      ok = false
      cause = err
    }
  }
  if (!ok) {
    const err = new InvalidPublicKeyError(alg, compressed.length, 'not a point on the curve')
    if (cause !== undefined) err.cause = cause
    throw err
  }
}

const K256_ORDER = bigIntToBytes(ORDER.ES256K, 32)
const ZERO_32 = new Uint8Array(32)

/**
 * libsecp256k1 ECDSA verify of a compact signature over a 32-byte digest. r and s are checked to
 * be in [1, n-1] here (tiny-secp256k1 throws on r or s >= n); high-S is accepted (non-strict
 * mode normalises it), as the caller has already applied the low-S rule.
 */
function k256Verify(uncompressed: Uint8Array, digest: Uint8Array, compact: Uint8Array): boolean {
  if (compact.length !== COMPACT_SIGNATURE_LENGTH || digest.length !== 32) return false
  const r = compact.subarray(0, 32)
  const s = compact.subarray(32, 64)
  if (compareBytes(r, K256_ORDER) >= 0 || compareBytes(s, K256_ORDER) >= 0) return false
  if (compareBytes(r, ZERO_32) === 0 || compareBytes(s, ZERO_32) === 0) return false
  return libsecp256k1.verify(digest, uncompressed, compact, false)
}

const ecdhByAlg: Partial<Record<JwtAlg, ECDH>> = {}
const ecdhFor = (alg: JwtAlg): ECDH => {
  ecdhByAlg[alg] ??= createECDH(ECDH_CURVE[alg])
  return ecdhByAlg[alg]
}

const backends: Partial<Record<JwtAlg, EcdsaBackend>> = {}

/**
 * Deterministic ECDSA (rfc6979.ts), the same bytes @noble/curves produces (P-256). OpenSSL computes
 * R = k·G through ECDH key derivation (its constant-time fixed-base multiply), which is the
 * expensive step; the nonce, the blinded inversion and s are computed in rfc6979.ts.
 */
function backendOf(alg: JwtAlg): EcdsaBackend {
  const n = ORDER[alg]
  const ecdh = ecdhFor(alg)
  backends[alg] ??= {
    n,
    hmac: hmacSha256Parts,
    rOf: (_k, kBytes) => {
      ecdh.setPrivateKey(kBytes)
      return bytesToBigInt(ecdh.getPublicKey().subarray(1, 33)) % n
    },
    random: randomBytes,
    invert: (a, m) => invertModPrime(a, m) ?? invert(a, m),
  }
  return backends[alg]
}

function importPrivateKey(alg: JwtAlg, priv: Uint8Array): PrivateKeySigner {
  if (alg === 'ES256K') {
    // libsecp256k1's signer: RFC 6979 nonce (digest reduced mod n, as RFC 6979 and @noble do),
    // constant-time k·G from its precomputed table, low-S output. `priv` is a valid scalar, so
    // the public key is never null.
    const publicKey = libsecp256k1.pointFromScalar(priv, true) as Uint8Array
    return {
      publicKey,
      signData: (data) => libsecp256k1.sign(sha256(data), priv),
      signDigest: (digest) => libsecp256k1.sign(digest, priv),
    }
  }
  const ecdh = ecdhFor(alg)
  ecdh.setPrivateKey(priv)
  const pub = ecdh.getPublicKey(null, 'compressed')
  const d = bytesToBigInt(priv)
  return {
    publicKey: new Uint8Array(pub.buffer, pub.byteOffset, pub.byteLength).slice(),
    signData: (data) => signDigestRfc6979(backendOf(alg), priv, d, sha256(data)),
    signDigest: (digest) => signDigestRfc6979(backendOf(alg), priv, d, digest),
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
