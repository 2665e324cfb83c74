import { compressPublicKey, decompressPublicKey, formatDidKey, sha256, verifySignature } from '@rsky/crypto'
import { base64urlDecode, base64urlEncode, utf8 } from './bytes.ts'

/** A public P-256 key as a JWK (RFC 7517), the only kind a DPoP proof or ES256 attestation uses here. */
export interface EcPublicJwk {
  readonly kty: 'EC'
  readonly crv: 'P-256'
  /** base64url x coordinate (32 bytes). */
  readonly x: string
  /** base64url y coordinate (32 bytes). */
  readonly y: string
  readonly kid?: string
}

/** A JWK set (`jwks` in client metadata). */
export interface JwkSet {
  readonly keys: readonly unknown[]
}

/**
 * Uncompressed coordinates of a P-256 public key given compressed (33 bytes) or uncompressed
 * (65 bytes) SEC1. Returns undefined when the bytes are not a point on the curve.
 */
export function p256Coordinates(key: Uint8Array): { x: Uint8Array; y: Uint8Array } | undefined {
  let full: Uint8Array
  try {
    full = decompressPublicKey('ES256', key)
  } catch {
    return undefined
  }
  return { x: full.slice(1, 33), y: full.slice(33, 65) }
}

/**
 * The public JWK of a P-256 key (compressed or uncompressed SEC1 bytes).
 * @throws {RangeError} when the bytes are not a P-256 point
 */
export function p256PublicJwk(publicKey: Uint8Array): EcPublicJwk {
  const c = p256Coordinates(publicKey)
  if (!c) throw new RangeError('not a P-256 public key')
  return { kty: 'EC', crv: 'P-256', x: base64urlEncode(c.x), y: base64urlEncode(c.y) }
}

/**
 * Checks that `value` is a public P-256 JWK with 32-byte coordinates on the curve, and returns
 * the compressed SEC1 key. Private members (`d`) are refused: a proof must never carry one.
 */
export function parseP256Jwk(
  value: unknown,
): { success: true; value: EcPublicJwk; compressed: Uint8Array } | { success: false; message: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { success: false, message: 'jwk must be an object' }
  }
  const j = value as Record<string, unknown>
  if (j.kty !== 'EC') return { success: false, message: `unsupported kty; kty=${String(j.kty)}` }
  if (j.crv !== 'P-256') return { success: false, message: `unsupported crv; crv=${String(j.crv)}` }
  if ('d' in j) return { success: false, message: 'jwk carries a private key' }
  if (typeof j.x !== 'string' || typeof j.y !== 'string')
    return { success: false, message: 'jwk x and y must be strings' }
  const x = base64urlDecode(j.x)
  const y = base64urlDecode(j.y)
  if (!x || !y) return { success: false, message: 'jwk x or y is not base64url' }
  if (x.length !== 32 || y.length !== 32) return { success: false, message: 'jwk x and y must be 32 bytes' }
  const uncompressed = new Uint8Array(65)
  uncompressed[0] = 0x04
  uncompressed.set(x, 1)
  uncompressed.set(y, 33)
  let compressed: Uint8Array
  try {
    compressed = compressPublicKey('ES256', uncompressed)
  } catch {
    return { success: false, message: 'jwk is not a point on P-256' }
  }
  const jwk: EcPublicJwk = {
    kty: 'EC',
    crv: 'P-256',
    x: j.x,
    y: j.y,
    ...(typeof j.kid === 'string' ? { kid: j.kid } : {}),
  }
  return { success: true, value: jwk, compressed }
}

/** The RFC 7638 SHA-256 thumbprint of a public EC JWK, base64url (the `jkt` of a DPoP binding). */
export function jwkThumbprint(jwk: Pick<EcPublicJwk, 'crv' | 'kty' | 'x' | 'y'>): string {
  // Required members only, in lexicographic order, no whitespace (RFC 7638 §3).
  const canonical = `{"crv":${JSON.stringify(jwk.crv)},"kty":${JSON.stringify(jwk.kty)},"x":${JSON.stringify(jwk.x)},"y":${JSON.stringify(jwk.y)}}`
  return base64urlEncode(sha256(utf8(canonical)))
}

/** The did:key of a P-256 JWK, so the crypto package can verify with it. @throws {RangeError} for a bad JWK */
export function didKeyForJwk(jwk: unknown): string {
  const parsed = parseP256Jwk(jwk)
  if (!parsed.success) throw new RangeError(parsed.message)
  return formatDidKey('ES256', parsed.compressed)
}

/**
 * Verifies an ES256 signature (compact r||s over sha256 of `data`) against a P-256 JWK. High-S
 * signatures are accepted, as JOSE allows them; any other length than 64 bytes (a DER-encoded
 * signature, RFC 7518 section 3.4) is refused. Returns false for a bad signature or a bad key.
 */
export function verifyEs256WithJwk(jwk: unknown, data: Uint8Array, sig: Uint8Array): boolean {
  if (!(sig instanceof Uint8Array) || sig.length !== ES256_SIGNATURE_BYTES) return false
  const parsed = parseP256Jwk(jwk)
  if (!parsed.success) return false
  try {
    return verifySignature(formatDidKey('ES256', parsed.compressed), data, sig, { allowMalleableSig: true })
  } catch {
    return false
  }
}

/** A JWS ES256 signature is R||S, 32 bytes each (RFC 7518 section 3.4); never DER. */
const ES256_SIGNATURE_BYTES = 64

/** The key with `kid` in a JWK set, if it is a valid public P-256 JWK. */
export function findJwk(set: JwkSet, kid: string): EcPublicJwk | undefined {
  if (!set || !Array.isArray(set.keys)) return undefined
  for (const k of set.keys) {
    if (k && typeof k === 'object' && (k as { kid?: unknown }).kid === kid) {
      const parsed = parseP256Jwk(k)
      return parsed.success ? parsed.value : undefined
    }
  }
  return undefined
}
