// Exports identical in both entries (no backend involved).
export { base58Encode } from './base58.ts'
export {
  BASE58_MULTIBASE_PREFIX,
  COMPACT_SIGNATURE_LENGTH,
  COMPRESSED_KEY_LENGTH,
  DID_KEY_PREFIX,
  type JwtAlg,
  P256_DID_PREFIX,
  P256_JWT_ALG,
  PRIVATE_KEY_LENGTH,
  SECP256K1_DID_PREFIX,
  SECP256K1_JWT_ALG,
  UNCOMPRESSED_KEY_LENGTH,
} from './constants.ts'
export { compressPublicKey, decompressPublicKey, isHighS, isJwtAlg, normalizeLowS } from './curves.ts'
export {
  didKeyFromVerificationMethod,
  formatDidKey,
  formatMultikey,
  multicodecPrefix,
  type ParsedDidKey,
  type VerificationMethodKey,
} from './did-key.ts'
export {
  CryptoError,
  type CryptoErrorCode,
  InvalidDidKeyError,
  InvalidMultibaseError,
  InvalidMultikeyError,
  InvalidPrivateKeyError,
  InvalidPublicKeyError,
  JwtAlgMismatchError,
  KeyBytesError,
  KeyNotExportableError,
  KeyStringError,
  type KeyStringIssue,
  UnsupportedKeyTypeError,
} from './errors.ts'
export { HKDF_SHA256_MAX_LENGTH } from './hkdf.ts'
export { EcKeypair, type ExportableKeypair, type Keypair, type KeypairOptions } from './keypair.ts'
export { type ByteEncoding, bytesToMultibase, encodeBytes, multibaseToBytes } from './multibase.ts'
export { DID_KEY_CACHE_SIZE, type VerifyOptions } from './verify.ts'
