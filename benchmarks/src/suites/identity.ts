// Identity: DID documents parsed and validated, atproto data extracted, and cached DID lookups,
// @rsky/identity against @atproto/identity on the same 1,000 seeded PLC-shaped documents (real
// secp256k1 / P-256 keys, ~5% legacy key suites, ~10% with a map serviceEndpoint beside the PDS).
// @atproto/identity validates with its zod schema (`validateDidDoc`, the check its resolvers run on
// every fetched document); we run our hand-written schema check plus the same id check.
import * as atproto from '@atproto/identity'
import { p256 } from '@noble/curves/nist.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { formatDidKey } from '@rsky/crypto'
import { DidResolver, getAtprotoData, MemoryCache, parseDidDocument } from '@rsky/identity'
import { base58btc } from 'multiformats/bases/base58'
import type { BenchCase, BenchSuite, Rng } from '../harness.ts'
import { rng } from '../workloads.ts'

const B32 = 'abcdefghijklmnopqrstuvwxyz234567'
const COUNT = 1000

interface Key {
  multikey: string
  legacy: { type: string; multibase: string }
}

function keys(r: Rng): Key[] {
  const out: Key[] = []
  for (let i = 0; i < 16; i++) {
    const k256 = i % 2 === 0
    const curve = k256 ? secp256k1 : p256
    let priv = r.bytes(32)
    priv[0] = (priv[0]! % 0x7f) + 1
    const compressed = curve.getPublicKey(priv, true)
    const didKey = formatDidKey(k256 ? 'ES256K' : 'ES256', compressed)
    out.push({
      multikey: didKey.slice('did:key:'.length),
      legacy: {
        type: k256 ? 'EcdsaSecp256k1VerificationKey2019' : 'EcdsaSecp256r1VerificationKey2019',
        multibase: base58btc.encode(curve.getPublicKey(priv, false)),
      },
    })
    priv = new Uint8Array(0)
  }
  return out
}

function document(r: Rng, ks: Key[]): Record<string, unknown> {
  const did = `did:plc:${r.string(24, B32)}`
  const key = r.pick(ks)
  const legacy = r.next() < 0.05
  const service: unknown[] = [
    {
      id: '#atproto_pds',
      type: 'AtprotoPersonalDataServer',
      serviceEndpoint: `https://${r.string(8)}.host.bsky.network`,
    },
  ]
  if (r.next() < 0.1)
    service.unshift({
      id: '#bsky_chat',
      type: 'BskyChatService',
      serviceEndpoint: { origin: 'https://chat.test' },
    })
  return {
    '@context': [
      'https://www.w3.org/ns/did/v1',
      'https://w3id.org/security/multikey/v1',
      'https://w3id.org/security/suites/secp256k1-2019/v1',
    ],
    id: did,
    alsoKnownAs: [`at://${r.string(6 + r.int(10))}.bsky.social`],
    verificationMethod: [
      legacy
        ? { id: '#atproto', type: key.legacy.type, controller: did, publicKeyMultibase: key.legacy.multibase }
        : { id: `${did}#atproto`, type: 'Multikey', controller: did, publicKeyMultibase: key.multikey },
    ],
    service,
  }
}

const suite: BenchSuite = {
  name: 'identity',
  description: 'DID document validation, atproto data extraction and cached DID lookups vs @atproto/identity',
  cases(): BenchCase[] {
    const r = rng(6)
    const ks = keys(r)
    const docs = Array.from({ length: COUNT }, () => document(r, ks))
    const texts = docs.map((d) => JSON.stringify(d))
    const dids = docs.map((d) => d['id'] as string)
    const theirResolver = new atproto.DidResolver({ plcUrl: 'http://127.0.0.1:1', timeout: 1 })

    const ourValidate = (did: string, value: unknown): unknown => {
      const res = parseDidDocument(value)
      if (!res.success || res.value.id !== did) throw new Error('invalid')
      return res.value
    }
    const theirValidate = (did: string, value: unknown): unknown =>
      (theirResolver as unknown as { validateDidDoc(d: string, v: unknown): unknown }).validateDidDoc(
        did,
        value,
      )

    return [
      {
        name: 'validate 1,000 parsed DID documents',
        unit: 'document',
        perCall: COUNT,
        impls: {
          '@rsky/identity': () => () => {
            for (let i = 0; i < COUNT; i++) ourValidate(dids[i]!, docs[i])
          },
          '@atproto/identity': () => () => {
            for (let i = 0; i < COUNT; i++) theirValidate(dids[i]!, docs[i])
          },
        },
      },
      {
        name: 'JSON.parse + validate 1,000 DID documents',
        unit: 'document',
        perCall: COUNT,
        impls: {
          '@rsky/identity': () => () => {
            for (let i = 0; i < COUNT; i++) ourValidate(dids[i]!, JSON.parse(texts[i]!))
          },
          '@atproto/identity': () => () => {
            for (let i = 0; i < COUNT; i++) theirValidate(dids[i]!, JSON.parse(texts[i]!))
          },
        },
      },
      {
        name: 'extract handle, signing key, PDS from 1,000 documents',
        unit: 'document',
        perCall: COUNT,
        note: 'Both decode and curve-check the key. Ours returns a valid Multikey as the did:key body instead of re-encoding it, and also checks the controller and the handle syntax.',
        impls: {
          '@rsky/identity': () => () => {
            for (let i = 0; i < COUNT; i++) getAtprotoData(docs[i] as never)
          },
          '@atproto/identity': () => () => {
            for (let i = 0; i < COUNT; i++) atproto.ensureAtpDocument(docs[i] as never)
          },
        },
      },
      {
        name: 'cached DID lookups (1,000 DIDs, warm in-memory cache)',
        unit: 'lookup',
        perCall: COUNT,
        note: 'No network: every DID is in the default in-memory cache; measures the resolve() path.',
        impls: {
          '@rsky/identity': async () => {
            const cache = new MemoryCache()
            for (let i = 0; i < COUNT; i++) cache.set(dids[i]!, docs[i] as never)
            const resolver = new DidResolver({ cache, plcUrl: 'http://127.0.0.1:1' })
            return async () => {
              for (let i = 0; i < COUNT; i++) await resolver.resolve(dids[i]!)
            }
          },
          '@atproto/identity': async () => {
            const cache = new atproto.MemoryCache()
            for (let i = 0; i < COUNT; i++) await cache.cacheDid(dids[i]!, docs[i] as never)
            const resolver = new atproto.DidResolver({
              didCache: cache,
              plcUrl: 'http://127.0.0.1:1',
              timeout: 1,
            })
            return async () => {
              for (let i = 0; i < COUNT; i++) await resolver.resolve(dids[i]!)
            }
          },
        },
      },
      {
        name: 'resolveAtprotoKey on 1,000 cached DIDs',
        unit: 'lookup',
        perCall: COUNT,
        note: 'The relay hot path before each signature check. Ours remembers the key per cached document object, so the curve check runs once per fetch.',
        impls: {
          '@rsky/identity': async () => {
            const cache = new MemoryCache()
            for (let i = 0; i < COUNT; i++) cache.set(dids[i]!, docs[i] as never)
            const resolver = new DidResolver({ cache, plcUrl: 'http://127.0.0.1:1' })
            return async () => {
              for (let i = 0; i < COUNT; i++) await resolver.resolveAtprotoKey(dids[i]!)
            }
          },
          '@atproto/identity': async () => {
            const cache = new atproto.MemoryCache()
            for (let i = 0; i < COUNT; i++) await cache.cacheDid(dids[i]!, docs[i] as never)
            const resolver = new atproto.DidResolver({
              didCache: cache,
              plcUrl: 'http://127.0.0.1:1',
              timeout: 1,
            })
            return async () => {
              for (let i = 0; i < COUNT; i++) await resolver.resolveAtprotoKey(dids[i]!)
            }
          },
        },
      },
    ]
  },
}

export default suite
