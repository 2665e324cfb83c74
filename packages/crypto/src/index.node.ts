// @rsky/crypto, Node entry: the same API as index.ts with native OpenSSL on the hot paths.
export {
  hkdfSha256Expand,
  hmacSha256,
  P256Keypair,
  randomBytes,
  randomIntFromSeed,
  randomStr,
  Secp256k1Keypair,
  verifySignature,
  verifySignatureDigest,
} from './runtime.node.ts'
export { sha256 } from './sha256.node.ts'
export * from './shared-exports.ts'
