/** JWT `alg` of secp256k1 (k256) keys. */
export const SECP256K1_JWT_ALG = 'ES256K'
/** JWT `alg` of NIST P-256 (p256, secp256r1) keys. */
export const P256_JWT_ALG = 'ES256'

/** The two key algorithms atproto supports. */
export type JwtAlg = typeof SECP256K1_JWT_ALG | typeof P256_JWT_ALG

/** `did:key:` prefix of every did:key string. */
export const DID_KEY_PREFIX = 'did:key:'
/** Multibase prefix of base58btc, the only multibase a multikey may use. */
export const BASE58_MULTIBASE_PREFIX = 'z'

/** Varint multicodec of `secp256k1-pub` (0xe7). Do not mutate. */
export const SECP256K1_DID_PREFIX: Uint8Array = Uint8Array.of(0xe7, 0x01)
/** Varint multicodec of `p256-pub` (0x1200). Do not mutate. */
export const P256_DID_PREFIX: Uint8Array = Uint8Array.of(0x80, 0x24)

/** Byte length of a compressed public key (SEC1, 0x02/0x03 prefix). */
export const COMPRESSED_KEY_LENGTH = 33
/** Byte length of an uncompressed public key (SEC1, 0x04 prefix). */
export const UNCOMPRESSED_KEY_LENGTH = 65
/** Byte length of a private scalar. */
export const PRIVATE_KEY_LENGTH = 32
/** Byte length of a compact (r || s) signature. */
export const COMPACT_SIGNATURE_LENGTH = 64
