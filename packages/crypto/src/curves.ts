// Curve operations shared by both entries: point parsing and compression, signature-form checks
// (low-S, DER), and the pure-JS ECDSA verify used by the browser entry (weierstrass.ts arithmetic).
import { bigIntToBytes, bytesToBigInt, compareBytes } from './bytes.ts'
import {
  COMPACT_SIGNATURE_LENGTH,
  COMPRESSED_KEY_LENGTH,
  type JwtAlg,
  P256_JWT_ALG,
  PRIVATE_KEY_LENGTH,
  SECP256K1_JWT_ALG,
  UNCOMPRESSED_KEY_LENGTH,
} from './constants.ts'
import { InvalidPrivateKeyError, InvalidPublicKeyError } from './errors.ts'
import { CURVES } from './points.ts'
import { type AffinePoint, invert, mod } from './weierstrass.ts'

/** Group order n of each curve. */
export const ORDER: Readonly<Record<JwtAlg, bigint>> = {
  ES256K: CURVES.ES256K.params.n,
  ES256: CURVES.ES256.params.n,
}

// floor(n / 2) as 32 big-endian bytes: s above this is "high-S".
const HALF_ORDER: Readonly<Record<JwtAlg, Uint8Array>> = {
  ES256K: bigIntToBytes(ORDER.ES256K >> 1n, 32),
  ES256: bigIntToBytes(ORDER.ES256 >> 1n, 32),
}

/** True when `alg` is one of the two supported JWT algs. */
export function isJwtAlg(alg: unknown): alg is JwtAlg {
  return alg === SECP256K1_JWT_ALG || alg === P256_JWT_ALG
}

/**
 * The curve point of SEC1 public key bytes (33 compressed or 65 uncompressed).
 * @throws {InvalidPublicKeyError} on a wrong length or tag, or a point not on the curve.
 */
export function pointFromBytes(alg: JwtAlg, bytes: Uint8Array): AffinePoint {
  if (bytes.length !== COMPRESSED_KEY_LENGTH && bytes.length !== UNCOMPRESSED_KEY_LENGTH) {
    throw new InvalidPublicKeyError(alg, bytes.length, 'expected 33 (compressed) or 65 (uncompressed) bytes')
  }
  const point = CURVES[alg].fromBytes(bytes)
  if (point === null) throw new InvalidPublicKeyError(alg, bytes.length, 'not a point on the curve')
  return point
}

/**
 * Compressed (33-byte) form of a public key given compressed or uncompressed.
 * @throws {InvalidPublicKeyError} when the bytes are not a point on the curve.
 */
export function compressPublicKey(alg: JwtAlg, bytes: Uint8Array): Uint8Array {
  return CURVES[alg].toBytes(pointFromBytes(alg, bytes), true)
}

/**
 * Uncompressed (65-byte, 0x04 prefix) form of a public key given compressed or uncompressed.
 * @throws {InvalidPublicKeyError} when the bytes are not a point on the curve.
 */
export function decompressPublicKey(alg: JwtAlg, bytes: Uint8Array): Uint8Array {
  return CURVES[alg].toBytes(pointFromBytes(alg, bytes), false)
}

/**
 * Checks that `priv` is a 32-byte scalar in [1, n-1] of the curve.
 * @throws {InvalidPrivateKeyError} otherwise.
 */
export function checkPrivateKey(alg: JwtAlg, priv: Uint8Array): void {
  if (priv.length !== PRIVATE_KEY_LENGTH) {
    throw new InvalidPrivateKeyError(alg, priv.length, 'expected 32 bytes')
  }
  const d = bytesToBigInt(priv)
  if (d === 0n || d >= ORDER[alg]) {
    throw new InvalidPrivateKeyError(alg, priv.length, 'scalar is zero or not below the curve order')
  }
}

/** True when the compact signature's s is in the upper half of the order (malleable form). */
export function isHighS(alg: JwtAlg, compact: Uint8Array): boolean {
  return compareBytes(compact.subarray(32, 64), HALF_ORDER[alg]) > 0
}

/** The low-S form of a compact signature (s replaced by n - s when high); returns the input otherwise. */
export function normalizeLowS(alg: JwtAlg, compact: Uint8Array): Uint8Array {
  if (!isHighS(alg, compact)) return compact
  const out = compact.slice()
  out.set(bigIntToBytes(ORDER[alg] - bytesToBigInt(compact.subarray(32, 64)), 32), 32)
  return out
}

/** End of the INTEGER last read by {@link derInteger}. */
let integerEnd = 0

/**
 * The positive DER INTEGER at `p` (short-form length 1-33, no sign bit, no unneeded leading
 * zero), or null. Sets `integerEnd`.
 */
function derInteger(b: Uint8Array, p: number, end: number): bigint | null {
  if (p + 2 > end || b[p] !== 0x02) return null
  const len = b[p + 1] as number
  const start = p + 2
  if (len < 1 || len > 33 || start + len > end) return null
  const first = b[start] as number
  if (first & 0x80 || (len > 1 && first === 0 && !((b[start + 1] as number) & 0x80))) return null
  integerEnd = start + len
  return bytesToBigInt(b.subarray(start, integerEnd))
}

/**
 * Compact r||s of a strict DER signature whose r and s are in [1, n-1]; null otherwise. What
 * noble's `Signature.fromBytes(der, 'der')` accepts (at most 80 bytes, so every length is in
 * the short form; INTEGERs of at most 33 bytes; nothing left over), without its DER module:
 * test/js-backend.test.ts compares the two on generated and mutated signatures.
 */
export function derToCompact(alg: JwtAlg, der: Uint8Array): Uint8Array | null {
  const len = der.length
  if (len < 2 || len > 80 || der[0] !== 0x30 || der[1] !== len - 2) return null
  const r = derInteger(der, 2, len)
  if (r === null) return null
  const s = derInteger(der, integerEnd, len)
  const n = ORDER[alg]
  if (s === null || integerEnd !== len || r >= n || s >= n || r === 0n || s === 0n) return null
  const out = new Uint8Array(64)
  out.set(bigIntToBytes(r, 32), 0)
  out.set(bigIntToBytes(s, 32), 32)
  return out
}

/**
 * Pure-JS ECDSA verify of a compact signature over a 32-byte digest, against a public key's window
 * table (`CURVES[alg].keyTable(point)`, built once per key).
 */
export function verifyDigestJs(
  alg: JwtAlg,
  keyTable: readonly AffinePoint[],
  digest: Uint8Array,
  compact: Uint8Array,
): boolean {
  if (compact.length !== COMPACT_SIGNATURE_LENGTH) return false
  const n = ORDER[alg]
  const r = bytesToBigInt(compact.subarray(0, 32))
  const s = bytesToBigInt(compact.subarray(32, 64))
  if (r === 0n || r >= n || s === 0n || s >= n) return false
  // sha256 output is exactly the order's bit length, so bits2int is the plain integer mod n.
  const h = mod(bytesToBigInt(digest), n)
  const is = invert(s, n)
  const x = CURVES[alg].mulAddX((h * is) % n, (r * is) % n, keyTable)
  return x !== null && mod(x, n) === r
}
