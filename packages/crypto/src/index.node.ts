// @rsky/crypto, Node entry: the API of index.ts (documented there) with native code (OpenSSL,
// libsecp256k1) on the hot paths, did:key parsing included. The published types are index.ts's; each export here is typed by its twin there.

import { SECP256K1_JWT_ALG as K256, P256_JWT_ALG as P256 } from './constants.ts'
import { createDidKeyParsers } from './did-key.ts'
import { nodeEngine, nodePointCheck } from './engine.node.ts'
import type * as api from './index.ts'
import { EcKeypair, type KeypairOptions, randomPrivateKey } from './keypair.ts'
import { bindFunctions } from './runtime.ts'

export { sha256 } from './sha256.node.ts'
export * from './shared-exports.ts'

const engine = nodeEngine
const bound = bindFunctions(engine)

export const verifySignature: typeof api.verifySignature = bound.verifySignature
export const verifySignatureDigest: typeof api.verifySignatureDigest = bound.verifySignatureDigest
export const hmacSha256: typeof api.hmacSha256 = bound.hmacSha256
export const hkdfSha256Expand: typeof api.hkdfSha256Expand = bound.hkdfSha256Expand
export const randomBytes: typeof api.randomBytes = bound.randomBytes
export const randomStr: typeof api.randomStr = bound.randomStr
export const randomIntFromSeed: typeof api.randomIntFromSeed = bound.randomIntFromSeed

const parsers = createDidKeyParsers(nodePointCheck)
export const parseDidKey: typeof api.parseDidKey = parsers.parseDidKey
export const parseMultikey: typeof api.parseMultikey = parsers.parseMultikey

export class Secp256k1Keypair extends EcKeypair {
  static create(opts?: KeypairOptions): Secp256k1Keypair {
    return new Secp256k1Keypair(engine, K256, randomPrivateKey(engine, K256), opts)
  }

  static import(privKey: Uint8Array | string, opts?: KeypairOptions): Secp256k1Keypair {
    return new Secp256k1Keypair(engine, K256, privKey, opts)
  }
}

export class P256Keypair extends EcKeypair {
  static create(opts?: KeypairOptions): P256Keypair {
    return new P256Keypair(engine, P256, randomPrivateKey(engine, P256), opts)
  }

  static import(privKey: Uint8Array | string, opts?: KeypairOptions): P256Keypair {
    return new P256Keypair(engine, P256, privKey, opts)
  }
}
