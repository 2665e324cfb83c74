// Issue 17 D: the lexicon `cid` format and blob shapes are no laxer than @atproto/lexicon where the
// data model is clear. String CIDs are base32 CIDv1 with the `b` prefix; blobs are closed shapes.
import { Lexicons as AtprotoLexicons, jsonToLex } from '@atproto/lexicon'
import { parseCid } from '@rsky/dag-cbor'
import fc from 'fast-check'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { describe, expect, it } from 'vitest'
import { isLexCidString } from '../src/cid-string.ts'
import { Lexicons } from '../src/index.ts'

const NSID = 'com.example.strict'
const DOC = {
  lexicon: 1,
  id: NSID,
  defs: {
    main: {
      type: 'record',
      key: 'tid',
      record: {
        type: 'object',
        properties: {
          c: { type: 'string', format: 'cid' },
          b: { type: 'blob' },
          l: { type: 'cid-link' },
        },
      },
    },
  },
}
const ours = new Lexicons([DOC])
const theirs = new AtprotoLexicons([structuredClone(DOC)] as never[])

const oursAccepts = (v: Record<string, unknown>): boolean =>
  ours.validateRecord(NSID, { $type: NSID, ...v }).success
function theirsAccepts(v: Record<string, unknown>): boolean {
  try {
    theirs.assertValidRecord(NSID, jsonToLex({ $type: NSID, ...v }))
    return true
  } catch {
    return false
  }
}

/** A CIDv1 string (base32, `b`) of `codec` over a sha2-256 digest of `bytes`. */
const cidString = (codec: number, bytes: Uint8Array): string =>
  CID.createV1(codec, createDigest(0x12, bytes)).toString()
const arbCid = fc
  .tuple(fc.constantFrom(0x71, 0x55), fc.uint8Array({ minLength: 32, maxLength: 32 }))
  .map(([codec, bytes]) => cidString(codec, bytes))
const B32 = 'abcdefghijklmnopqrstuvwxyz234567'

/** A CID string changed in one way that may or may not leave a CID. */
const arbMutated = fc.oneof(
  arbCid,
  fc.tuple(arbCid, fc.constantFrom(...B32)).map(([s, c]) => s + c),
  fc.tuple(arbCid, fc.integer({ min: 1, max: 8 })).map(([s, n]) => s.slice(0, -n)),
  fc.tuple(arbCid, fc.nat(), fc.constantFrom(...B32)).map(([s, i, c]) => {
    const at = 1 + (i % (s.length - 1))
    return s.slice(0, at) + c + s.slice(at + 1)
  }),
  arbCid.map((s) => s.toUpperCase()),
  arbCid.map((s) => `B${s.slice(1)}`),
  arbCid.map((s) => CID.parse(s).toString(base58btc)),
  fc
    .tuple(fc.constantFrom(0x71, 0x55), fc.uint8Array({ minLength: 32, maxLength: 32 }))
    .map(([codec, bytes]) => {
      const z = CID.createV1(codec, createDigest(0x12, bytes))
      return `f${Buffer.from(z.bytes).toString('hex')}`
    }),
  fc
    .tuple(fc.constantFrom(0x71, 0x55), fc.uint8Array({ minLength: 1, maxLength: 40 }))
    .map(([codec, bytes]) => {
      // a multihash that claims 32 bytes but carries another number
      const head = new Uint8Array([0x01, codec, 0x12, 0x20])
      return `b${base32(new Uint8Array([...head, ...bytes]))}`
    }),
  fc.stringMatching(/^b[a-z2-7]{8,80}$/),
)

function base32(bytes: Uint8Array): string {
  let out = ''
  let buffer = 0
  let bits = 0
  for (const b of bytes) {
    buffer = (buffer << 8) | b
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += B32[(buffer >>> bits) & 31]
    }
  }
  if (bits > 0) out += B32[(buffer << (5 - bits)) & 31]
  return out
}

const VALID = 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm'
const RAW = 'bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity'

describe('the lexicon cid format', () => {
  it.each([
    ['an extra character', `${VALID}a`],
    ['a missing character', VALID.slice(0, -1)],
    ['a wrong digest length', `b${base32(new Uint8Array([0x01, 0x71, 0x12, 0x20, ...new Uint8Array(31)]))}`],
    ['a truncated base16 CID', `f01711220${'ab'.repeat(20)}`],
    ['a whole base16 CID', `f01711220${'ab'.repeat(32)}`],
    ['upper-case base32', VALID.toUpperCase()],
    ['upper-case base32 with a lower-case prefix', `b${VALID.slice(1).toUpperCase()}`],
    ['base58btc CIDv1', CID.parse(VALID).toString(base58btc)],
    ['a CIDv0', 'QmY7Yh4UquoXHLPFo2XbhXkhBvFoPwmQUSa92pxnxjQuPU'],
    ['CID syntax that decodes to nothing', 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpmaaa'],
  ])('refuses %s', (_name, s) => {
    expect(oursAccepts({ c: s })).toBe(false)
    expect(oursAccepts({ l: { $link: s } })).toBe(false)
  })

  it('the allocation-free check accepts exactly the b-prefixed strings parseCid (@rsky/dag-cbor) accepts', () => {
    const parses = (s: string) => {
      try {
        parseCid(s)
        return true
      } catch {
        return false
      }
    }
    fc.assert(
      fc.property(arbMutated, (s) => {
        expect(isLexCidString(s), s).toBe(s.startsWith('b') && parses(s))
      }),
      { seed: 7, numRuns: 1000 },
    )
    // codecs and digest lengths beyond the blessed forms decode too (identity hash, long varints)
    expect(isLexCidString(`b${base32(new Uint8Array([0x01, 0x71, 0x00, 0x03, 1, 2, 3]))}`)).toBe(true)
    expect(isLexCidString(`b${base32(new Uint8Array([0x01, 0x80, 0x01, 0x00, 0x00]))}`)).toBe(true)
    // a non-minimal varint does not
    expect(isLexCidString(`b${base32(new Uint8Array([0x01, 0xf1, 0x00, 0x00, 0x00]))}`)).toBe(false)
  })

  it('accepts base32 CIDv1 of dag-cbor and raw', () => {
    expect(oursAccepts({ c: VALID, l: { $link: RAW } })).toBe(true)
    expect(theirsAccepts({ c: VALID, l: { $link: RAW } })).toBe(true)
  })

  it('differential: never accepts a string @atproto/lexicon refuses; agrees on every b-prefixed lower-case string', () => {
    let accepted = 0
    let refused = 0
    fc.assert(
      fc.property(arbMutated, (s) => {
        const mine = oursAccepts({ c: s })
        const ref = theirsAccepts({ c: s })
        if (mine) {
          accepted++
          expect(ref, s).toBe(true)
        } else refused++
        if (s.startsWith('b') && s === s.toLowerCase()) expect(mine, s).toBe(ref)
      }),
      { seed: 17, numRuns: 600 },
    )
    expect(accepted).toBeGreaterThan(50)
    expect(refused).toBeGreaterThan(50)
  })
})

describe('blob shapes are closed', () => {
  const typed = { $type: 'blob', ref: { $link: RAW }, mimeType: 'image/png', size: 1234 }
  const legacy = { cid: RAW, mimeType: 'image/png' }

  it.each([
    ['a typed blob with an extra field', { ...typed, alt: 'x' }],
    ['a typed blob with a legacy cid too', { ...typed, cid: RAW }],
    ['a legacy blob with a size', { ...legacy, size: 1234 }],
    ['a legacy blob with an extra field', { ...legacy, extra: true }],
    ['a legacy blob whose cid is not a base32 CID', { ...legacy, cid: RAW.toUpperCase() }],
    ['a typed blob whose ref is not a CID', { ...typed, ref: { $link: `${RAW}a` } }],
  ])('refuses %s (and so does @atproto/lexicon)', (_name, b) => {
    expect(oursAccepts({ b })).toBe(false)
    expect(theirsAccepts({ b })).toBe(false)
  })

  it('accepts the two shapes exactly', () => {
    for (const b of [typed, legacy]) {
      expect(oursAccepts({ b })).toBe(true)
      expect(theirsAccepts({ b })).toBe(true)
    }
  })

  it('differential on blob-like objects: never accepts what @atproto/lexicon refuses', () => {
    const value = fc.oneof(
      fc.constant(RAW),
      fc.constant({ $link: RAW }),
      fc.constant('image/png'),
      fc.constant('blob'),
      fc.integer({ min: -2, max: 5000 }),
      fc.constant(null),
      fc.boolean(),
    )
    const arbBlob = fc.record(
      {
        $type: fc.oneof(fc.constant('blob'), value),
        ref: value,
        mimeType: value,
        size: value,
        cid: value,
        extra: value,
      },
      { requiredKeys: [] },
    )
    const shaped = fc.oneof(
      arbBlob,
      fc.record({ ...Object.fromEntries(Object.entries(typed).map(([k, v]) => [k, fc.constant(v)])) }),
      fc.record({ ...Object.fromEntries(Object.entries(legacy).map(([k, v]) => [k, fc.constant(v)])) }),
    )
    let accepted = 0
    fc.assert(
      fc.property(shaped, (b) => {
        const mine = oursAccepts({ b })
        if (mine) {
          accepted++
          expect(theirsAccepts({ b }), JSON.stringify(b)).toBe(true)
        }
      }),
      { seed: 17, numRuns: 600 },
    )
    expect(accepted).toBeGreaterThan(20)
  })
})
