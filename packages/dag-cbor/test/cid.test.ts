import * as ipld from '@ipld/dag-cbor'
import {
  asCid,
  Cid,
  cidForCbor,
  cidForRaw,
  cidKey,
  createCid,
  DAG_CBOR_CODEC,
  DAG_PB_CODEC,
  decodeCid,
  decodeCidPrefix,
  decodeCidView,
  fromMultiformatsCid,
  InvalidCidError,
  isCid,
  isDaslCid,
  parseCid,
  RAW_CODEC,
  SHA2_256_CODE,
} from '@rsky/dag-cbor'
import { toMultiformatsCid } from '@rsky/dag-cbor/multiformats'
import fc from 'fast-check'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { sha256 as mfSha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { fromBase32 } from '../src/base32.ts'
import { toBase32 as browserBase32 } from '../src/to-base32.browser.ts'
import { toBase32 as unrolledBase32 } from '../src/to-base32.ts'
import { cidArb, hex } from './helpers.ts'

const CBOR_CID = 'bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a'
const RAW_CID = 'bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity'
const V0 = 'QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n'

describe('Cid', () => {
  it('parses and formats the blessed v1 forms', () => {
    const a = parseCid(CBOR_CID)
    expect(a.version).toBe(1)
    expect(a.code).toBe(DAG_CBOR_CODEC)
    expect(a.multihash.code).toBe(SHA2_256_CODE)
    expect(a.multihash.size).toBe(32)
    expect(a.multihash.digest.length).toBe(32)
    expect(a.bytes.length).toBe(36)
    expect(a.toString()).toBe(CBOR_CID)
    expect(String(a)).toBe(CBOR_CID)
    expect(JSON.stringify({ a })).toBe(`{"a":{"$link":"${CBOR_CID}"}}`)
    expect(parseCid(RAW_CID).code).toBe(RAW_CODEC)
    expect(isDaslCid(a)).toBe(true)
    expect(isCid(a)).toBe(true)
    expect(isCid({ $link: CBOR_CID })).toBe(false)
  })

  it('computes the known empty-input raw CID and matches multiformats on dag-cbor bytes', async () => {
    expect(cidForRaw(new Uint8Array()).toString()).toBe(
      'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku',
    )
    const bytes = ipld.encode({ hello: 'world' })
    const expected = CID.create(1, 0x71, await mfSha256.digest(bytes))
    expect(cidForCbor(bytes).toString()).toBe(expected.toString())
  })

  it('parses CIDv0 (base58btc) and other multibases as values, and flags them as not blessed', () => {
    const v0 = parseCid(V0)
    expect(v0.version).toBe(0)
    expect(v0.code).toBe(DAG_PB_CODEC)
    expect(v0.toString()).toBe(V0)
    expect(v0.bytes.length).toBe(34)
    expect(isDaslCid(v0)).toBe(false)
    const z = CID.parse(CBOR_CID).toString(base58btc)
    expect(z.startsWith('z')).toBe(true)
    expect(parseCid(z).toString()).toBe(CBOR_CID)
    const sha512 = CID.create(1, 0x71, createDigest(0x13, new Uint8Array(64).fill(7)))
    const parsed = parseCid(sha512.toString())
    expect(parsed.multihash.code).toBe(0x13)
    expect(parsed.multihash.size).toBe(64)
    expect(isDaslCid(parsed)).toBe(false)
    expect(parsed.toString()).toBe(sha512.toString())
  })

  it('round-trips binary forms, with and without trailing data', () => {
    const a = parseCid(CBOR_CID)
    const b = decodeCid(a.bytes)
    expect(b.equals(a)).toBe(true)
    const withTail = new Uint8Array([...a.bytes, 1, 2, 3])
    const { cid, length } = decodeCidPrefix(withTail)
    expect(length).toBe(36)
    expect(cid.toString()).toBe(CBOR_CID)
    expect(() => decodeCid(withTail)).toThrow(InvalidCidError)
  })

  it.each([
    ['empty', ''],
    ['just the prefix', 'b'],
    ['bad base32 character', `${CBOR_CID.slice(0, -1)}1`],
    ['uppercase in lowercase base32', CBOR_CID.toUpperCase().replace(/^B/, 'b')],
    ['truncated', CBOR_CID.slice(0, -2)],
    ['unknown multibase', `!${CBOR_CID.slice(1)}`],
    ['CIDv0 in base32', `b${'ciqa'.repeat(10)}`],
    ['too long', `b${'a'.repeat(300)}`],
    ['dot', '.'],
  ])('rejects a malformed CID string: %s', (_name, s) => {
    expect(() => parseCid(s)).toThrow(InvalidCidError)
  })

  it('decodeCidView parses in place: the same CIDs and errors as decodeCid, no copy', () => {
    fc.assert(
      fc.property(cidArb, fc.nat(8), fc.nat(8), (cid, before, after) => {
        const block = new Uint8Array(before + cid.bytes.length + after).fill(0xee)
        block.set(cid.bytes, before)
        const view = decodeCidView(block, before, before + cid.bytes.length)
        expect(view.equals(cid)).toBe(true)
        expect(view.toString()).toBe(cid.toString())
        expect(view.bytes.buffer).toBe(block.buffer)
        expect(decodeCidView(cid.bytes).equals(cid)).toBe(true)
      }),
      { seed: 42, numRuns: 300 },
    )
    for (const h of ['', '02711220', `01711220${'00'.repeat(31)}`, 'ffffffffffffffffffff']) {
      const bytes = Uint8Array.of(9, ...Buffer.from(h, 'hex'), 9)
      expect(() => decodeCidView(bytes, 1, bytes.length - 1)).toThrow(InvalidCidError)
    }
    const ok = parseCid(CBOR_CID).bytes
    expect(() => decodeCidView(ok, 0, 37)).toThrow(RangeError)
    expect(() => decodeCidView(ok, 2, 1)).toThrow(RangeError)
    expect(() => decodeCidView(ok, -1)).toThrow(RangeError)
    expect(() => decodeCidView([1] as never)).toThrow(TypeError)
  })

  it.each([
    ['empty', ''],
    ['version 2', '02711220'],
    ['version 0 explicit', '00711220'],
    ['digest shorter than declared', `01711220${'00'.repeat(31)}`],
    ['digest longer than declared', `01711220${'00'.repeat(33)}`],
    ['non-minimal varint', `0181007112${'20'}${'00'.repeat(32)}`],
    ['unterminated varint', 'ffffffffffffffffffff'],
  ])('rejects malformed binary CIDs: %s', (_name, h) => {
    expect(() => decodeCid(new Uint8Array(Buffer.from(h, 'hex')))).toThrow(InvalidCidError)
  })

  it('is accepted by multiformats CID.asCID and by @ipld/dag-cbor, and converts both ways', () => {
    const a = parseCid(CBOR_CID)
    const mf = CID.asCID(a)
    expect(mf).not.toBeNull()
    expect(mf?.toString()).toBe(CBOR_CID)
    expect(toMultiformatsCid(a).equals(CID.parse(CBOR_CID))).toBe(true)
    expect(fromMultiformatsCid(CID.parse(CBOR_CID)).equals(a)).toBe(true)
    expect(asCid(CID.parse(CBOR_CID))?.toString()).toBe(CBOR_CID)
    expect(asCid({ bytes: a.bytes })).toBeNull()
    expect(hex(ipld.encode({ a }))).toBe(hex(ipld.encode({ a: CID.parse(CBOR_CID) })))
    expect(a.equals(CID.parse(CBOR_CID))).toBe(true)
    expect(a.equals(parseCid(RAW_CID))).toBe(false)
    expect(a.equals('nope')).toBe(false)
  })

  it('cidKey is stable and distinguishes CIDs', () => {
    const a = parseCid(CBOR_CID)
    expect(cidKey(a)).toBe(cidKey(decodeCid(a.bytes)))
    expect(cidKey(a)).not.toBe(cidKey(parseCid(RAW_CID)))
  })

  it('createCid checks its arguments', () => {
    expect(() => createCid(DAG_CBOR_CODEC, new Uint8Array(31))).toThrow(RangeError)
    expect(() => createCid(-1, new Uint8Array(32))).toThrow(RangeError)
    expect(createCid(0x300, new Uint8Array(32)).code).toBe(0x300)
  })

  it('agrees with multiformats on strings, bytes and multihash for generated CIDs (differential)', () => {
    fc.assert(
      fc.property(cidArb, (cid) => {
        const mf = CID.create(1, cid.code, createDigest(SHA2_256_CODE, cid.multihash.digest))
        expect(cid.toString()).toBe(mf.toString())
        expect(hex(cid.bytes)).toBe(hex(mf.bytes))
        expect(hex(cid.multihash.bytes)).toBe(hex(mf.multihash.bytes))
        const back = parseCid(mf.toString())
        expect(back.equals(cid)).toBe(true)
        expect(back).toBeInstanceOf(Cid)
      }),
      { seed: 42, numRuns: 300 },
    )
  })
})

describe('base32 formatting: the browsers’ loop (to-base32.browser.ts) equals the unrolled one', () => {
  it('on every length up to 80 bytes, random bytes, and what fromBase32 reads back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const text = browserBase32(bytes)
        expect(text).toBe(unrolledBase32(bytes))
        expect(fromBase32(text)).toEqual(bytes)
      }),
      { numRuns: 3000 },
    )
    for (let n = 0; n <= 80; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n) & 255)
      expect(browserBase32(bytes)).toBe(unrolledBase32(bytes))
    }
  })
})
