// The Node (OpenSSL) and browser (@noble) entries give identical results, and the hashes, MACs
// and encodings match their references (@noble/hashes, RFC vectors, multiformats, Buffer).
import * as atproto from '@atproto/crypto'
import { hkdf, expand as nobleExpand } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { base32 } from 'multiformats/bases/base32'
import { base58btc } from 'multiformats/bases/base58'
import { describe, expect, it } from 'vitest'
import * as node from '../src/index.node.ts'
import * as browser from '../src/index.ts'
import { ENTRIES, hex } from './entries.ts'

const SEED = { seed: 42 }
const h = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'))

describe('node and browser entries agree', () => {
  it('same deterministic signature bytes, same did:key, and each verifies the other (both curves)', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 500 }),
        (k256, seed, data) => {
          const priv = nobleSha256(seed) // uniformly spread scalars; out-of-range is 2^-128 likely
          const N = k256 ? node.Secp256k1Keypair.import(priv) : node.P256Keypair.import(priv)
          const B = k256 ? browser.Secp256k1Keypair.import(priv) : browser.P256Keypair.import(priv)
          expect(N.did()).toBe(B.did())
          expect(hex(N.publicKeyBytes())).toBe(hex(B.publicKeyBytes()))
          const sig = N.signSync(data)
          expect(hex(sig)).toBe(hex(B.signSync(data)))
          expect(hex(N.signDigest(node.sha256(data)))).toBe(hex(sig))
          expect(node.isHighS(N.jwtAlg, sig)).toBe(false)
          expect(browser.verifySignature(N.did(), data, sig)).toBe(true)
          expect(node.verifySignature(B.did(), data, sig)).toBe(true)
        },
      ),
      { ...SEED, numRuns: 120 },
    )
  })

  it('sha256 matches @noble/hashes for any input, including 1 MB', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
        expect(hex(node.sha256(data))).toBe(hex(nobleSha256(data)))
        expect(hex(browser.sha256(data))).toBe(hex(nobleSha256(data)))
      }),
      { ...SEED, numRuns: 200 },
    )
    const big = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff)
    expect(hex(node.sha256(big))).toBe(hex(nobleSha256(big)))
    expect(hex(node.sha256(big.subarray(7, 1000)))).toBe(hex(nobleSha256(big.subarray(7, 1000))))
  })

  it('hmacSha256 and hkdfSha256Expand match @noble/hashes (keys shorter and longer than a block)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 150 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 0, max: 600 }),
        (key, data, length) => {
          const short = key.subarray(0, key.length % 32)
          expect(hex(node.hmacSha256(short, data))).toBe(hex(hmac(nobleSha256, short, data)))
          const ref = hex(hmac(nobleSha256, key, data))
          expect(hex(node.hmacSha256(key, data))).toBe(ref)
          expect(hex(browser.hmacSha256(key, data))).toBe(ref)
          const okm = hex(nobleExpand(nobleSha256, key, data, length))
          expect(hex(node.hkdfSha256Expand(key, data, length))).toBe(okm)
          expect(hex(browser.hkdfSha256Expand(key, data, length))).toBe(okm)
        },
      ),
      { ...SEED, numRuns: 200 },
    )
    // The largest output works too.
    const prk = hkdf(nobleSha256, new Uint8Array(3), undefined, undefined, 32)
    expect(hex(node.hkdfSha256Expand(prk, new Uint8Array(0), 8160))).toBe(
      hex(nobleExpand(nobleSha256, prk, new Uint8Array(0), 8160)),
    )
  })
})

describe.each(ENTRIES)('known answers, %s entry', (_label, c) => {
  it('HMAC-SHA256: RFC 4231 test cases 1, 2 and 6', () => {
    expect(hex(c.hmacSha256(new Uint8Array(20).fill(0x0b), new TextEncoder().encode('Hi There')))).toBe(
      'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    )
    expect(
      hex(
        c.hmacSha256(
          new TextEncoder().encode('Jefe'),
          new TextEncoder().encode('what do ya want for nothing?'),
        ),
      ),
    ).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843')
    const msg = new TextEncoder().encode('Test Using Larger Than Block-Size Key - Hash Key First')
    expect(hex(c.hmacSha256(new Uint8Array(131).fill(0xaa), msg))).toBe(
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    )
  })

  it('HKDF-SHA256 expand: RFC 5869 test cases 1 and 3', () => {
    const prk1 = h('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5')
    expect(hex(c.hkdfSha256Expand(prk1, h('f0f1f2f3f4f5f6f7f8f9'), 42))).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    )
    const prk3 = h('19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04')
    expect(hex(c.hkdfSha256Expand(prk3, new Uint8Array(0), 42))).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    )
  })

  it('sha256: FIPS 180-2 "abc"', () => {
    expect(hex(c.sha256(new TextEncoder().encode('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
  })

  it('encodings match multiformats and Buffer; multibase round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const buf = Buffer.from(bytes)
        expect(c.encodeBytes(bytes, 'hex')).toBe(buf.toString('hex'))
        expect(c.encodeBytes(bytes, 'base16upper')).toBe(buf.toString('hex').toUpperCase())
        expect(c.encodeBytes(bytes, 'base64')).toBe(buf.toString('base64').replace(/=+$/, ''))
        expect(c.encodeBytes(bytes, 'base64pad')).toBe(buf.toString('base64'))
        expect(c.encodeBytes(bytes, 'base64url')).toBe(buf.toString('base64url'))
        expect(c.bytesToMultibase(bytes, 'base58btc')).toBe(base58btc.encode(bytes))
        expect(c.bytesToMultibase(bytes, 'base32')).toBe(base32.encode(bytes))
        for (const enc of [
          'base16',
          'base16upper',
          'base32',
          'base32upper',
          'base58btc',
          'base64',
          'base64pad',
          'base64url',
          'base64urlpad',
        ] as const) {
          expect(hex(c.multibaseToBytes(c.bytesToMultibase(bytes, enc)))).toBe(hex(bytes))
        }
      }),
      { ...SEED, numRuns: 200 },
    )
  })

  it('random helpers: lengths, encodings, and randomIntFromSeed as @atproto/crypto picks it', async () => {
    expect(c.randomBytes(0).length).toBe(0)
    expect(c.randomBytes(33).length).toBe(33)
    expect(hex(c.randomBytes(16))).not.toBe(hex(c.randomBytes(16)))
    expect(c.randomStr(16, 'hex')).toMatch(/^[0-9a-f]{32}$/)
    expect(c.randomStr(10, 'base32')).toMatch(/^[a-z2-7]{16}$/)
    for (const seed of ['', 'a', 'did:plc:abc', 'seed-42']) {
      expect(c.randomIntFromSeed(seed, 1000)).toBe(await atproto.randomIntFromSeed(seed, 1000))
      expect(c.randomIntFromSeed(seed, 50, 10)).toBe(await atproto.randomIntFromSeed(seed, 50, 10))
    }
  })

  it('keypairs: create gives distinct valid keys; export round-trips; sign is async and sync alike', async () => {
    for (const K of [c.Secp256k1Keypair, c.P256Keypair]) {
      const a = K.create({ exportable: true })
      const b = K.create()
      expect(a.did()).not.toBe(b.did())
      const again = K.import(a.export())
      expect(again.did()).toBe(a.did())
      const data = new TextEncoder().encode('async and sync')
      expect(hex(await a.sign(data))).toBe(hex(a.signSync(data)))
      expect(c.parseDidKey(a.did()).keyBytes).toEqual(a.publicKeyBytes())
      expect(a.publicKeyStr('base64pad')).toBe(Buffer.from(a.publicKeyBytes()).toString('base64'))
      await expect(a.sign('x' as never)).rejects.toThrow(TypeError)
    }
  })
})
