import { readInteropJson, recordInteropCount } from '@rsky/test-vectors'
import { describe, expect, it } from 'vitest'
import { b64, ENTRIES } from './entries.ts'

const b16 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))

interface SignatureFixture {
  comment: string
  messageBase64: string
  algorithm: string
  didDocSuite: string
  publicKeyDid: string
  publicKeyMultibase: string
  signatureBase64: string
  validSignature: boolean
  tags: string[]
}
interface K256Vector {
  privateKeyBytesHex: string
  publicDidKey: string
}
interface P256Vector {
  privateKeyBytesBase58: string
  publicDidKey: string
}

const SIGS = 'crypto/signature-fixtures.json'
const K256 = 'crypto/w3c_didkey_K256.json'
const P256 = 'crypto/w3c_didkey_P256.json'

describe.each(ENTRIES)('interop vectors through the %s entry', (label, c) => {
  it(`${SIGS}: every case verifies as the fixture says`, () => {
    const fixtures = readInteropJson<SignatureFixture[]>('atproto-interop-tests', SIGS)
    let n = 0
    for (const f of fixtures) {
      const msg = b64(f.messageBase64)
      const sig = b64(f.signatureBase64)
      const why = `${f.comment} (${label})`
      expect(c.verifySignature(f.publicKeyDid, msg, sig), why).toBe(f.validSignature)
      expect(c.verifySignature(f.publicKeyDid, msg, sig, { jwtAlg: f.algorithm }), why).toBe(f.validSignature)
      expect(c.verifySignatureDigest(f.publicKeyDid, c.sha256(msg), sig), why).toBe(f.validSignature)
      // The malleable forms are genuine signatures: accepted once the low-S/compact rule is lifted.
      expect(c.verifySignature(f.publicKeyDid, msg, sig, { allowMalleableSig: true }), why).toBe(true)
      expect(
        c.verifySignatureDigest(f.publicKeyDid, c.sha256(msg), sig, { allowMalleableSig: true }),
        why,
      ).toBe(true)
      if (f.tags.includes('high-s')) expect(c.isHighS(f.algorithm as 'ES256', sig)).toBe(true)
      if (f.validSignature) expect(c.isHighS(f.algorithm as 'ES256', sig)).toBe(false)
      // A different message never verifies.
      const other = msg.slice()
      other[0]! ^= 1
      expect(c.verifySignature(f.publicKeyDid, other, sig, { allowMalleableSig: true }), why).toBe(false)
      // Keys: did:key parses to the fixture's algorithm, and the DID-document suite maps to it.
      const parsed = c.parseDidKey(f.publicKeyDid)
      expect(parsed.jwtAlg).toBe(f.algorithm)
      expect(parsed.keyBytes.length).toBe(33)
      expect(c.formatDidKey(parsed.jwtAlg, parsed.keyBytes)).toBe(f.publicKeyDid)
      expect(
        c.didKeyFromVerificationMethod({ type: f.didDocSuite, publicKeyMultibase: f.publicKeyMultibase }),
      ).toBe(f.publicKeyDid)
      const multikey = f.publicKeyDid.slice('did:key:'.length)
      expect(c.didKeyFromVerificationMethod({ type: 'Multikey', publicKeyMultibase: multikey })).toBe(
        f.publicKeyDid,
      )
      n++
    }
    recordInteropCount(`${SIGS} (${label})`, n)
  })

  // [file, alg, private key bytes of a vector]
  const DIDKEY_FILES = [
    [K256, 'ES256K', (v: K256Vector & P256Vector) => b16(v.privateKeyBytesHex)],
    [P256, 'ES256', (v: K256Vector & P256Vector) => c.multibaseToBytes(`z${v.privateKeyBytesBase58}`)],
  ] as const
  it.each(DIDKEY_FILES)('%s: private keys give the listed did:key', (file, alg, privOf) => {
    const vectors = readInteropJson<Array<K256Vector & P256Vector>>('atproto-interop-tests', file)
    const K = alg === 'ES256K' ? c.Secp256k1Keypair : c.P256Keypair
    let n = 0
    for (const v of vectors) {
      const priv = privOf(v)
      const kp = K.import(priv, { exportable: true })
      expect(kp.did()).toBe(v.publicDidKey)
      expect(kp.export()).toEqual(priv)
      if (alg === 'ES256K') expect(K.import(v.privateKeyBytesHex).did()).toBe(v.publicDidKey)
      const parsed = c.parseDidKey(v.publicDidKey)
      expect(parsed.jwtAlg).toBe(alg)
      expect(parsed.keyBytes).toEqual(kp.publicKeyBytes())
      expect(c.formatDidKey(alg, c.decompressPublicKey(alg, parsed.keyBytes))).toBe(v.publicDidKey)
      const data = new TextEncoder().encode(v.publicDidKey)
      expect(c.verifySignature(v.publicDidKey, data, kp.signSync(data))).toBe(true)
      n++
    }
    recordInteropCount(`${file} (${label})`, n)
  })
})
