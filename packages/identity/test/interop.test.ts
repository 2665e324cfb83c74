// Shared interop vectors read in place: did:key vectors (as Multikey and as legacy uncompressed
// verification methods in a DID document) and the handle syntax files (as `at://` aliases and as
// handles to resolve).
import { p256 } from '@noble/curves/nist.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { readInteropJson, readSyntaxLines, recordInteropCount } from '@rsky/test-vectors'
import { base58btc } from 'multiformats/bases/base58'
import { describe, expect, it } from 'vitest'
import {
  type DidDocument,
  didDocumentUrl,
  didMethod,
  getHandle,
  getSigningKey,
  HandleResolver,
  normalizeResolvableHandle,
  PoorlyFormattedDidError,
  UnsupportedDidMethodError,
} from '../src/index.ts'

const DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'
const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((b) => Number.parseInt(b, 16)))
const docWith = (vm: Record<string, unknown>): DidDocument => ({
  id: DID,
  verificationMethod: [{ id: '#atproto', controller: DID, ...vm } as never],
})

describe.each([
  ['K256', 'EcdsaSecp256k1VerificationKey2019', secp256k1],
  ['P256', 'EcdsaSecp256r1VerificationKey2019', p256],
] as const)('crypto/w3c_didkey_%s.json', (curveName, legacyType, curve) => {
  // K256 vectors carry the private key in hex, P256 ones in base58 (no multibase prefix).
  const vectors = readInteropJson<
    { privateKeyBytesHex?: string; privateKeyBytesBase58?: string; publicDidKey: string }[]
  >('atproto-interop-tests', `crypto/w3c_didkey_${curveName}.json`)
  it('Multikey and legacy verification methods give the vector did:key', () => {
    for (const v of vectors) {
      const multikey = v.publicDidKey.slice('did:key:'.length)
      expect(getSigningKey(docWith({ type: 'Multikey', publicKeyMultibase: multikey }))).toBe(v.publicDidKey)
      const priv = v.privateKeyBytesHex
        ? hex(v.privateKeyBytesHex)
        : base58btc.baseDecode(v.privateKeyBytesBase58!)
      const uncompressed = curve.getPublicKey(priv, false)
      const legacy = docWith({ type: legacyType, publicKeyMultibase: base58btc.encode(uncompressed) })
      expect(getSigningKey(legacy)).toBe(v.publicDidKey)
      // The legacy encoding under the wrong suite must not decode to a key of the other curve.
      const wrongType = legacyType.includes('k1')
        ? 'EcdsaSecp256r1VerificationKey2019'
        : 'EcdsaSecp256k1VerificationKey2019'
      expect(
        getSigningKey(docWith({ type: wrongType, publicKeyMultibase: base58btc.encode(uncompressed) })),
      ).not.toBe(v.publicDidKey)
    }
    recordInteropCount(`identity crypto/w3c_didkey_${curveName}.json`, vectors.length)
  })
})

const DISALLOWED_TLDS = [
  '.local',
  '.arpa',
  '.invalid',
  '.localhost',
  '.internal',
  '.example',
  '.alt',
  '.onion',
]

describe('syntax/handle_syntax_*.txt', () => {
  const valid = readSyntaxLines('handle_syntax_valid.txt')
  const invalid = readSyntaxLines('handle_syntax_invalid.txt')

  it('valid handles: claimed from alsoKnownAs (lower-cased); resolvable unless the TLD is disallowed', () => {
    for (const h of valid) {
      expect(getHandle({ id: DID, alsoKnownAs: [`at://${h}`] })).toBe(h.toLowerCase())
      const disallowed = DISALLOWED_TLDS.some((t) => h.toLowerCase().endsWith(t))
      expect(normalizeResolvableHandle(h)).toBe(disallowed ? undefined : h.toLowerCase())
    }
    recordInteropCount('identity syntax/handle_syntax_valid.txt', valid.length)
  })

  it('invalid handles: never claimed, never resolved, no request made', async () => {
    let calls = 0
    const resolver = new HandleResolver({
      dnsQuery: async () => {
        calls++
        return []
      },
      fetch: async () => {
        calls++
        return new Response('')
      },
    })
    for (const h of invalid) {
      expect(getHandle({ id: DID, alsoKnownAs: [`at://${h}`] })).toBeUndefined()
      expect(await resolver.resolve(h)).toBeUndefined()
    }
    expect(calls).toBe(0)
    recordInteropCount('identity syntax/handle_syntax_invalid.txt', invalid.length)
  })
})

describe('syntax/did_syntax_*.txt', () => {
  it('invalid DIDs are refused before any request', () => {
    const invalid = readSyntaxLines('did_syntax_invalid.txt')
    for (const d of invalid) expect(() => didDocumentUrl(d)).toThrow(PoorlyFormattedDidError)
    recordInteropCount('identity syntax/did_syntax_invalid.txt', invalid.length)
  })
  it('valid DIDs get a URL (plc, web) or a named refusal (other methods, did:web rules)', () => {
    const valid = readSyntaxLines('did_syntax_valid.txt')
    for (const d of valid) {
      try {
        const url = didDocumentUrl(d)
        expect(didMethod(d) === 'plc' || didMethod(d) === 'web').toBe(true)
        expect(url.startsWith('https://')).toBe(true)
      } catch (err) {
        expect(err).toBeInstanceOf(
          didMethod(d) === 'web' ? PoorlyFormattedDidError : UnsupportedDidMethodError,
        )
      }
    }
    recordInteropCount('identity syntax/did_syntax_valid.txt', valid.length)
  })
})
