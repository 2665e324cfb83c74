// @rsky/crypto, browser and reference entry (pure JS on @noble/*). Node resolves index.node.ts,
// which exports the same names bound to node:crypto.
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
} from './runtime.browser.ts'
export { sha256 } from './sha256.browser.ts'
export * from './shared-exports.ts'
