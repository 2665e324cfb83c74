/** Stable codes carried by {@link CryptoError}. */
export type CryptoErrorCode =
  | 'INVALID_DID_KEY'
  | 'INVALID_MULTIKEY'
  | 'UNSUPPORTED_KEY_TYPE'
  | 'INVALID_PUBLIC_KEY'
  | 'INVALID_PRIVATE_KEY'
  | 'INVALID_MULTIBASE'
  | 'JWT_ALG_MISMATCH'
  | 'KEY_NOT_EXPORTABLE'

/** Base class of every error this package raises for bad keys or identifiers. */
export class CryptoError extends Error {
  override name = 'CryptoError'
  readonly code: CryptoErrorCode
  constructor(code: CryptoErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

// Untrusted strings may be huge; keep messages bounded.
const clip = (s: string): string => (s.length > 80 ? `${s.slice(0, 77)}...` : s)

/** Why a did:key or multikey was rejected (stable; safe to switch on). */
export type KeyStringIssue =
  | 'prefix' // not `did:key:` / not the `z` (base58btc) multibase prefix
  | 'too-long' // longer than any key this package supports
  | 'base58' // a character outside the base58btc alphabet
  | 'too-short' // the payload is shorter than a multicodec prefix
  | 'multicodec' // an unknown multicodec prefix
  | 'length' // the key after the prefix is not 33 bytes (compressed)
  | 'point' // the key is not a point on the named curve

/** A did:key or multikey string that was rejected: the base of the two errors below. */
export class KeyStringError extends CryptoError {
  override name = 'KeyStringError'
  /** The string as given. */
  readonly input: string
  readonly issue: KeyStringIssue
  constructor(
    code: 'INVALID_DID_KEY' | 'INVALID_MULTIKEY',
    input: string,
    issue: KeyStringIssue,
    detail: string,
    options?: { cause?: unknown },
  ) {
    const what = code === 'INVALID_DID_KEY' ? 'did:key' : 'multikey'
    super(code, `invalid ${what}: ${detail}; issue=${issue} input=${clip(input)}`)
    if (options?.cause !== undefined) this.cause = options.cause
    this.input = input
    this.issue = issue
  }
}

/** A did:key string that is not `did:key:z<base58btc multikey>` or carries a bad key. */
export class InvalidDidKeyError extends KeyStringError {
  override name = 'InvalidDidKeyError'
  constructor(input: string, issue: KeyStringIssue, detail: string, options?: { cause?: unknown }) {
    super('INVALID_DID_KEY', input, issue, detail, options)
  }
}

/** A multikey string that does not decode to a known multicodec and a valid key. */
export class InvalidMultikeyError extends KeyStringError {
  override name = 'InvalidMultikeyError'
  constructor(input: string, issue: KeyStringIssue, detail: string, options?: { cause?: unknown }) {
    super('INVALID_MULTIKEY', input, issue, detail, options)
  }
}

/** A multicodec prefix, JWT alg or DID-document suite this package does not support. */
export class UnsupportedKeyTypeError extends CryptoError {
  override name = 'UnsupportedKeyTypeError'
  /** What was seen: hex of the prefix bytes, the jwtAlg, or the suite name. */
  readonly keyType: string
  constructor(keyType: string, context: string) {
    super('UNSUPPORTED_KEY_TYPE', `unsupported key type; ${context}=${clip(keyType)}`)
    this.keyType = keyType
  }
}

/** Key bytes of the wrong length or value: the base of the two errors below. */
export class KeyBytesError extends CryptoError {
  override name = 'KeyBytesError'
  readonly jwtAlg: string
  readonly length: number
  constructor(
    code: 'INVALID_PUBLIC_KEY' | 'INVALID_PRIVATE_KEY',
    jwtAlg: string,
    length: number,
    reason: string,
  ) {
    const what = code === 'INVALID_PUBLIC_KEY' ? 'public' : 'private'
    super(code, `invalid ${what} key: ${reason}; jwtAlg=${jwtAlg} length=${length}`)
    this.jwtAlg = jwtAlg
    this.length = length
  }
}

/** Public key bytes that are not a point on the named curve (or have the wrong length). */
export class InvalidPublicKeyError extends KeyBytesError {
  override name = 'InvalidPublicKeyError'
  constructor(jwtAlg: string, length: number, reason: string) {
    super('INVALID_PUBLIC_KEY', jwtAlg, length, reason)
  }
}

/** Private key bytes that are not a scalar in [1, n-1] of the curve, or not 32 bytes. */
export class InvalidPrivateKeyError extends KeyBytesError {
  override name = 'InvalidPrivateKeyError'
  constructor(jwtAlg: string, length: number, reason: string) {
    super('INVALID_PRIVATE_KEY', jwtAlg, length, reason)
  }
}

/** A multibase string with an unknown prefix or characters outside its alphabet. */
export class InvalidMultibaseError extends CryptoError {
  override name = 'InvalidMultibaseError'
  readonly input: string
  /** Character offset of the first bad character, or -1 when the prefix is the problem. */
  readonly offset: number
  constructor(input: string, offset: number, reason: string) {
    super('INVALID_MULTIBASE', `invalid multibase: ${reason}; offset=${offset} input=${clip(input)}`)
    this.input = input
    this.offset = offset
  }
}

/** `verifySignature` was asked for one algorithm and the did:key holds another. */
export class JwtAlgMismatchError extends CryptoError {
  override name = 'JwtAlgMismatchError'
  readonly expected: string
  readonly actual: string
  constructor(expected: string, actual: string) {
    super('JWT_ALG_MISMATCH', `did:key algorithm does not match; expected=${expected} actual=${actual}`)
    this.expected = expected
    this.actual = actual
  }
}

/** `export()` on a keypair created without `exportable: true`. */
export class KeyNotExportableError extends CryptoError {
  override name = 'KeyNotExportableError'
  constructor() {
    super('KEY_NOT_EXPORTABLE', 'private key is not exportable; exportable=false')
  }
}
