// did:key and multikey: `did:key:` + `z` + base58btc(multicodec varint || compressed SEC1 key).
import { base58DecodeOrOffset, base58Encode } from './base58.ts'
import { abytes, astring, concat2, hasPrefix, toHex } from './bytes.ts'
import {
  BASE58_MULTIBASE_PREFIX,
  COMPRESSED_KEY_LENGTH,
  DID_KEY_PREFIX,
  type JwtAlg,
  P256_DID_PREFIX,
  P256_JWT_ALG,
  SECP256K1_DID_PREFIX,
  SECP256K1_JWT_ALG,
} from './constants.ts'
import { compressPublicKey, isJwtAlg, pointFromBytes } from './curves.ts'
import {
  InvalidDidKeyError,
  InvalidMultikeyError,
  InvalidPublicKeyError,
  type KeyStringIssue,
  UnsupportedKeyTypeError,
} from './errors.ts'
import { multibaseToBytes } from './multibase.ts'

/** A parsed did:key or multikey: the algorithm and the 33-byte compressed public key. */
export interface ParsedDidKey {
  readonly jwtAlg: JwtAlg
  readonly keyBytes: Uint8Array
}

// 'z' + base58 of 35 bytes is at most 49 characters (67 bytes, an uncompressed key, about 93).
// Anything longer is not a key, and base58 decoding is quadratic, so refuse before decoding.
const MAX_MULTIKEY_LENGTH = 128

const PREFIXES: ReadonlyArray<readonly [JwtAlg, Uint8Array]> = [
  [SECP256K1_JWT_ALG, SECP256K1_DID_PREFIX],
  [P256_JWT_ALG, P256_DID_PREFIX],
]

/** Multicodec prefix bytes of a JWT alg. */
export function multicodecPrefix(jwtAlg: JwtAlg): Uint8Array {
  return jwtAlg === SECP256K1_JWT_ALG ? SECP256K1_DID_PREFIX : P256_DID_PREFIX
}

/** The outcome of decoding a multikey's structure (no curve check yet). */
export type DecodedMultikey =
  | { ok: true; jwtAlg: JwtAlg; keyBytes: Uint8Array }
  | { ok: false; issue: KeyStringIssue; detail: string }

/**
 * Decodes the structure of a multikey (prefix, base58btc, multicodec, length) without checking
 * that the key is a curve point. Internal: both entries finish the check their own way.
 */
export function decodeMultikey(multikey: string): DecodedMultikey {
  if (!multikey.startsWith(BASE58_MULTIBASE_PREFIX)) {
    return { ok: false, issue: 'prefix', detail: 'expected base58btc multibase prefix "z"' }
  }
  if (multikey.length > MAX_MULTIKEY_LENGTH) {
    return { ok: false, issue: 'too-long', detail: `longer than ${MAX_MULTIKEY_LENGTH} characters` }
  }
  const bytes = base58DecodeOrOffset(multikey.slice(1))
  if (typeof bytes === 'number') {
    return { ok: false, issue: 'base58', detail: `character outside the base58btc alphabet at ${-bytes}` }
  }
  if (bytes.length < 2) {
    return {
      ok: false,
      issue: 'too-short',
      detail: `payload of ${bytes.length} bytes has no multicodec prefix`,
    }
  }
  for (const [jwtAlg, prefix] of PREFIXES) {
    if (!hasPrefix(bytes, prefix)) continue
    const keyBytes = bytes.subarray(prefix.length)
    if (keyBytes.length !== COMPRESSED_KEY_LENGTH) {
      return {
        ok: false,
        issue: 'length',
        detail: `expected a 33-byte compressed key, got ${keyBytes.length}`,
      }
    }
    return { ok: true, jwtAlg, keyBytes }
  }
  return {
    ok: false,
    issue: 'multicodec',
    detail: `unknown multicodec prefix 0x${toHex(bytes.subarray(0, 2))}`,
  }
}

type Fail = (issue: KeyStringIssue, detail: string, cause?: unknown) => Error

/**
 * Throws InvalidPublicKeyError unless `compressed` (33 bytes, any tag) is a point of the curve.
 * Each entry supplies its own: pure JS in browsers, libsecp256k1 / OpenSSL in Node.
 */
export type CompressedPointCheck = (jwtAlg: JwtAlg, compressed: Uint8Array) => void

/** The pure-JS point check (browser entry): decompresses in JS. */
export const jsPointCheck: CompressedPointCheck = (jwtAlg, compressed) => {
  pointFromBytes(jwtAlg, compressed)
}

/** parseDidKey and parseMultikey over one point check. */
export interface DidKeyParsers {
  readonly parseDidKey: (did: string) => ParsedDidKey
  readonly parseMultikey: (multikey: string) => ParsedDidKey
}

/**
 * The did:key and multikey parsers of an entry, bound to its point check. Everything but the
 * curve check is shared, so both entries throw the same errors with the same messages; the
 * `cause` of an off-curve key is an InvalidPublicKeyError on both.
 */
export function createDidKeyParsers(checkPoint: CompressedPointCheck): DidKeyParsers {
  const parseChecked = (multikey: string, fail: Fail): ParsedDidKey => {
    const decoded = decodeMultikey(multikey)
    if (!decoded.ok) throw fail(decoded.issue, decoded.detail)
    try {
      checkPoint(decoded.jwtAlg, decoded.keyBytes)
    } catch (cause) {
      throw fail('point', `not a ${decoded.jwtAlg} curve point`, cause)
    }
    return { jwtAlg: decoded.jwtAlg, keyBytes: decoded.keyBytes.slice() }
  }
  return {
    parseMultikey: (multikey) => {
      astring(multikey, 'multikey')
      return parseChecked(
        multikey,
        (issue, detail, cause) => new InvalidMultikeyError(multikey, issue, detail, { cause }),
      )
    },
    parseDidKey: (did) => {
      astring(did, 'did')
      if (!did.startsWith(DID_KEY_PREFIX)) throw new InvalidDidKeyError(did, 'prefix', 'expected "did:key:"')
      const fail: Fail = (issue, detail, cause) => new InvalidDidKeyError(did, issue, detail, { cause })
      return parseChecked(did.slice(DID_KEY_PREFIX.length), fail)
    },
  }
}

// The pure-JS parsers, used inside this package (DID-document suites) and by the browser entry.
const jsParsers = /* @__PURE__ */ createDidKeyParsers(jsPointCheck)

/**
 * Structure of a did:key (prefix, base58btc, multicodec, length) without the curve check; throws
 * the same errors as parseDidKey for everything but an off-curve point. Internal.
 */
export function decodeDidKey(did: string): ParsedDidKey {
  if (!did.startsWith(DID_KEY_PREFIX)) throw new InvalidDidKeyError(did, 'prefix', 'expected "did:key:"')
  const decoded = decodeMultikey(did.slice(DID_KEY_PREFIX.length))
  if (!decoded.ok) throw new InvalidDidKeyError(did, decoded.issue, decoded.detail)
  return { jwtAlg: decoded.jwtAlg, keyBytes: decoded.keyBytes }
}

/**
 * Multikey (`z...`) of a public key, given compressed (33) or uncompressed (65) bytes.
 * @throws {UnsupportedKeyTypeError} for an unknown jwtAlg.
 * @throws {InvalidPublicKeyError} when the bytes are not a point on the curve.
 * @example formatMultikey('ES256K', keypair.publicKeyBytes())
 */
export function formatMultikey(jwtAlg: string, keyBytes: Uint8Array): string {
  if (!isJwtAlg(jwtAlg)) throw new UnsupportedKeyTypeError(String(jwtAlg), 'jwtAlg')
  abytes(keyBytes, 'keyBytes')
  const compressed = compressPublicKey(jwtAlg, keyBytes)
  return BASE58_MULTIBASE_PREFIX + base58Encode(concat2(multicodecPrefix(jwtAlg), compressed))
}

/**
 * did:key of a public key, given compressed (33) or uncompressed (65) bytes.
 * @throws {UnsupportedKeyTypeError} for an unknown jwtAlg.
 * @throws {InvalidPublicKeyError} when the bytes are not a point on the curve.
 * @example formatDidKey('ES256', keypair.publicKeyBytes()) // 'did:key:zDnae...'
 */
export function formatDidKey(jwtAlg: string, keyBytes: Uint8Array): string {
  return DID_KEY_PREFIX + formatMultikey(jwtAlg, keyBytes)
}

/** A verification method entry of a DID document (the fields this package reads). */
export interface VerificationMethodKey {
  readonly type: string
  readonly publicKeyMultibase: string
}

const LEGACY_SUITES: Readonly<Record<string, JwtAlg>> = {
  EcdsaSecp256k1VerificationKey2019: SECP256K1_JWT_ALG,
  EcdsaSecp256r1VerificationKey2019: P256_JWT_ALG,
}

/**
 * did:key of a DID-document verification method: `Multikey`, or the legacy suites
 * `EcdsaSecp256k1VerificationKey2019` / `EcdsaSecp256r1VerificationKey2019` whose multibase holds
 * raw key bytes (compressed or uncompressed) without a multicodec.
 * @throws {UnsupportedKeyTypeError} for another `type`.
 * @throws {InvalidMultikeyError} for a bad `Multikey` value.
 * @throws {InvalidMultibaseError} / {InvalidPublicKeyError} for a bad legacy value.
 * @example didKeyFromVerificationMethod({ type: 'Multikey', publicKeyMultibase: 'zQ3sh...' })
 */
export function didKeyFromVerificationMethod(method: VerificationMethodKey): string {
  if (method === null || typeof method !== 'object') throw new TypeError('method must be an object')
  const { type, publicKeyMultibase } = method
  astring(type, 'method.type')
  astring(publicKeyMultibase, 'method.publicKeyMultibase')
  if (type === 'Multikey') {
    const parsed = jsParsers.parseMultikey(publicKeyMultibase)
    return formatDidKey(parsed.jwtAlg, parsed.keyBytes)
  }
  const alg = Object.hasOwn(LEGACY_SUITES, type) ? LEGACY_SUITES[type] : undefined
  if (alg === undefined) throw new UnsupportedKeyTypeError(type, 'type')
  const keyBytes = multibaseToBytes(publicKeyMultibase, { maxLength: 256 })
  if (keyBytes.length !== 33 && keyBytes.length !== 65) {
    throw new InvalidPublicKeyError(alg, keyBytes.length, 'expected 33 or 65 bytes')
  }
  return formatDidKey(alg, keyBytes)
}
