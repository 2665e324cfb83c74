// Rendering state as a DID document, as the directory serves it.
import {
  base58Encode,
  decompressPublicKey,
  type JwtAlg,
  P256_JWT_ALG,
  parseDidKey,
  SECP256K1_JWT_ALG,
} from '@rsky/crypto'
import type { DidService, DidVerificationMethod, DocumentData, PlcDidDocument } from './types.ts'

/** How verification methods are rendered. */
export type KeyFormat =
  /** `type: 'Multikey'`, key as multikey: what plc.directory serves today. */
  | 'multikey'
  /** `Ecdsa…VerificationKey2019` types, as `@did-plc/lib` 0.0.x and older directories render them. */
  | 'legacy'

/** Options of `formatDidDocument`. */
export interface FormatDocumentOptions {
  /** Default `'multikey'`. */
  readonly keyFormat?: KeyFormat
}

const DID_CONTEXT = 'https://www.w3.org/ns/did/v1'
const MULTIKEY_CONTEXT = 'https://w3id.org/security/multikey/v1'
const P256_CONTEXT = 'https://w3id.org/security/suites/ecdsa-2019/v1'
const K256_CONTEXT = 'https://w3id.org/security/suites/secp256k1-2019/v1'
const DID_KEY_PREFIX = 'did:key:'

function curveOf(didKey: string): JwtAlg | undefined {
  try {
    return parseDidKey(didKey).jwtAlg
  } catch {
    return undefined
  }
}

/**
 * The DID document for `data`: `@context`, `id`, `alsoKnownAs`, one verification method per
 * entry (`#id`) and one service per entry (`#id`), in the data's order.
 * @throws {TypeError} in `'legacy'` form for a key that is neither secp256k1 nor P-256.
 * @example formatDidDocument(data).verificationMethod[0].id // '#atproto'
 */
export function formatDidDocument(data: DocumentData, options?: FormatDocumentOptions): PlcDidDocument {
  const legacy = options?.keyFormat === 'legacy'
  const context = legacy ? [DID_CONTEXT] : [DID_CONTEXT, MULTIKEY_CONTEXT]
  const verificationMethod: DidVerificationMethod[] = []
  for (const [id, key] of Object.entries(data.verificationMethods)) {
    const alg = curveOf(key)
    const suite = alg === P256_JWT_ALG ? P256_CONTEXT : alg === SECP256K1_JWT_ALG ? K256_CONTEXT : undefined
    if (suite !== undefined && !context.includes(suite)) context.push(suite)
    if (legacy) {
      if (alg === undefined)
        throw new TypeError(`formatDidDocument: unsupported key for the legacy form; id=${id}`)
      const { keyBytes } = parseDidKey(key)
      verificationMethod.push({
        id: `#${id}`,
        type:
          alg === P256_JWT_ALG ? 'EcdsaSecp256r1VerificationKey2019' : 'EcdsaSecp256k1VerificationKey2019',
        controller: data.did,
        // The 2019 suites carry the uncompressed point, as @did-plc/lib renders it.
        publicKeyMultibase: `z${base58Encode(decompressPublicKey(alg, keyBytes))}`,
      })
    } else {
      verificationMethod.push({
        id: `#${id}`,
        type: 'Multikey',
        controller: data.did,
        publicKeyMultibase: key.startsWith(DID_KEY_PREFIX) ? key.slice(DID_KEY_PREFIX.length) : key,
      })
    }
  }
  const service: DidService[] = Object.entries(data.services).map(([id, s]) => ({
    id: `#${id}`,
    type: s.type,
    serviceEndpoint: s.endpoint,
  }))
  return {
    '@context': context,
    id: data.did,
    alsoKnownAs: [...data.alsoKnownAs],
    verificationMethod,
    service,
  }
}
