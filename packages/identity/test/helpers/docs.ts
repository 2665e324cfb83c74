// Deterministic keys and DID documents of every shape the resolvers must read. Keys come from
// @atproto/crypto and @noble/curves (the peers), so fixtures do not depend on the code under test.
import * as atcrypto from '@atproto/crypto'
import { p256 } from '@noble/curves/nist.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { base58btc } from 'multiformats/bases/base58'

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((b) => Number.parseInt(b, 16)))

export const K256_PRIV: Uint8Array = hex('9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c')
export const K256_PRIV_2: Uint8Array = hex('1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020101')
export const P256_PRIV: Uint8Array = hex('0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9')

export async function k256Keypair(priv: Uint8Array = K256_PRIV): Promise<atcrypto.Secp256k1Keypair> {
  return atcrypto.Secp256k1Keypair.import(priv)
}
export async function p256Keypair(): Promise<atcrypto.P256Keypair> {
  return atcrypto.P256Keypair.import(P256_PRIV)
}

export function multikeyOf(didKey: string): string {
  return didKey.slice('did:key:'.length)
}

/** Legacy encoding: base58btc of the uncompressed key, no multicodec. */
export function legacyMultibase(curve: 'k256' | 'p256', priv: Uint8Array): string {
  const pub = curve === 'k256' ? secp256k1.getPublicKey(priv, false) : p256.getPublicKey(priv, false)
  return base58btc.encode(pub)
}

export interface DocOptions {
  readonly did: string
  readonly handle?: string | null
  readonly pds?: string
  readonly multikey?: string
  readonly context?: unknown
  readonly absoluteIds?: boolean
}

export function plcDoc(o: DocOptions): Record<string, unknown> {
  const prefix = o.absoluteIds ? o.did : ''
  const doc: Record<string, unknown> = {
    '@context':
      o.context === undefined
        ? ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1']
        : o.context,
    id: o.did,
    alsoKnownAs: o.handle === null ? [] : [`at://${o.handle ?? 'alice.test'}`],
    verificationMethod: [
      {
        id: `${prefix || o.did}#atproto`,
        type: 'Multikey',
        controller: o.did,
        publicKeyMultibase: o.multikey,
      },
    ],
    service: [
      {
        id: `${prefix}#atproto_pds`,
        type: 'AtprotoPersonalDataServer',
        serviceEndpoint: o.pds ?? 'https://pds.example.com',
      },
    ],
  }
  if (o.context === null) delete doc['@context']
  return doc
}
