import * as lexCbor from '@atproto/lex-cbor'
import * as ipld from '@ipld/dag-cbor'
import { DagCborDecodeError, decode, encode, type LexValue } from '@rsky/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex, lexValueArb, normalize } from './helpers.ts'

const CID_HEX = `01711220${'ab'.repeat(32)}`

// [name, hex input, expected code, expected offset]
const TABLE: [string, string, string, number][] = [
  ['empty input', '', 'EMPTY_INPUT', 0],
  ['truncated header (1 byte arg)', '18', 'TRUNCATED', 0],
  ['truncated header (8 byte arg)', '1b000000', 'TRUNCATED', 0],
  ['truncated map', 'a1', 'TRUNCATED', 0],
  ['truncated map value', 'a16161', 'TRUNCATED', 3],
  ['truncated array element', '820118', 'TRUNCATED', 2],
  ['truncated string', '6461', 'TRUNCATED', 0],
  ['truncated bytes', '44010203', 'TRUNCATED', 0],
  ['byte string claiming 2^53-1 bytes', '5b001fffffffffffff00', 'TRUNCATED', 0],
  ['byte string claiming 2^64-1 bytes', '5bffffffffffffffff', 'TRUNCATED', 0],
  ['text string claiming 4 GiB', '7affffffff41', 'TRUNCATED', 0],
  ['array claiming 2^53-1 items', '9b001fffffffffffff00', 'TRUNCATED', 0],
  ['map claiming 2^32-1 entries', 'baffffffff616100', 'TRUNCATED', 0],
  ['array claiming 65536 items with 3 bytes', '9a00010000010203', 'TRUNCATED', 0],
  ['non-minimal 1-byte int', '1817', 'NON_MINIMAL_INTEGER', 0],
  ['non-minimal 2-byte int', '1900ff', 'NON_MINIMAL_INTEGER', 0],
  ['non-minimal 4-byte int', '1a0000ffff', 'NON_MINIMAL_INTEGER', 0],
  ['non-minimal 8-byte int', '1b00000000ffffffff', 'NON_MINIMAL_INTEGER', 0],
  ['non-minimal negative', '3800', 'NON_MINIMAL_INTEGER', 0],
  ['non-minimal string length', '780161', 'NON_MINIMAL_INTEGER', 0],
  ['non-minimal array length', '980100', 'NON_MINIMAL_INTEGER', 0],
  ['non-minimal map key length', 'a178016101', 'NON_MINIMAL_INTEGER', 1],
  ['integer 2^53', '1b0020000000000000', 'INTEGER_OUT_OF_RANGE', 0],
  ['integer 2^64-1', '1bffffffffffffffff', 'INTEGER_OUT_OF_RANGE', 0],
  ['integer -2^53', '3b001fffffffffffff', 'INTEGER_OUT_OF_RANGE', 0],
  ['integer -2^64', '3bffffffffffffffff', 'INTEGER_OUT_OF_RANGE', 0],
  ['half float', 'f93c00', 'FLOAT_NOT_ALLOWED', 0],
  ['single float', 'fa3fc00000', 'FLOAT_NOT_ALLOWED', 0],
  ['double float', 'fb3ff8000000000000', 'FLOAT_NOT_ALLOWED', 0],
  ['integral double', 'fb4000000000000000', 'FLOAT_NOT_ALLOWED', 0],
  ['NaN', 'fb7ff8000000000000', 'FLOAT_NOT_ALLOWED', 0],
  ['Infinity', 'fb7ff0000000000000', 'FLOAT_NOT_ALLOWED', 0],
  ['float inside a map', 'a16161fb3ff8000000000000', 'FLOAT_NOT_ALLOWED', 3],
  ['undefined', 'f7', 'UNSUPPORTED_SIMPLE_VALUE', 0],
  ['simple value 16', 'f0', 'UNSUPPORTED_SIMPLE_VALUE', 0],
  ['simple value 255 (two-byte)', 'f8ff', 'UNSUPPORTED_SIMPLE_VALUE', 0],
  ['reserved simple', 'fc', 'RESERVED_ADDITIONAL_INFO', 0],
  ['reserved additional info 28', '1c', 'RESERVED_ADDITIONAL_INFO', 0],
  ['additional info 31 on an int', '1f', 'RESERVED_ADDITIONAL_INFO', 0],
  ['indefinite bytes', '5f4101ff', 'INDEFINITE_LENGTH', 0],
  ['indefinite string', '7f6161ff', 'INDEFINITE_LENGTH', 0],
  ['indefinite array', '9f01ff', 'INDEFINITE_LENGTH', 0],
  ['indefinite map', 'bf616101ff', 'INDEFINITE_LENGTH', 0],
  ['indefinite map key', 'a17f6161ff01', 'INDEFINITE_LENGTH', 1],
  ['stray break', 'ff', 'INDEFINITE_LENGTH', 0],
  ['tag 0 (date string)', 'c06161', 'UNSUPPORTED_TAG', 0],
  ['tag 43', 'd82b4100', 'UNSUPPORTED_TAG', 0],
  ['tag 42 with a two-byte header', 'd9002a4100', 'NON_MINIMAL_INTEGER', 0],
  ['tag 42 truncated', 'd82a', 'TRUNCATED', 0],
  ['tag 42 on a string', 'd82a6161', 'INVALID_CID', 0],
  ['tag 42 on empty bytes', 'd82a40', 'INVALID_CID', 0],
  ['tag 42 without 0x00 prefix', `d82a5824${CID_HEX}`, 'INVALID_CID', 0],
  ['tag 42 with a short digest', `d82a582400${CID_HEX.slice(0, -2)}`, 'INVALID_CID', 0],
  ['tag 42 with CID version 2', `d82a582500${`02${CID_HEX.slice(2)}`}`, 'INVALID_CID', 0],
  ['tag 42 CID longer than its length', `d82a582200${CID_HEX.slice(0, -6)}`, 'INVALID_CID', 0],
  ['tag 42 truncated CID', `d82a582500${CID_HEX.slice(0, 20)}`, 'TRUNCATED', 0],
  ['tag 42 with 64-bit length', 'd82a5b0000000000000025', 'INVALID_CID', 0],
  ['duplicate map key', 'a2616101616102', 'DUPLICATE_MAP_KEY', 4],
  ['keys out of bytewise order', 'a2616201616101', 'MAP_KEYS_UNSORTED', 4],
  ['keys out of length order', 'a262616101616201', 'MAP_KEYS_UNSORTED', 5],
  ['integer map key', 'a10101', 'MAP_KEY_NOT_STRING', 1],
  ['bytes map key', 'a1410101', 'MAP_KEY_NOT_STRING', 1],
  ['array map key', 'a18001', 'MAP_KEY_NOT_STRING', 1],
  ['truncated map key', 'a16461', 'TRUNCATED', 1],
  ['invalid UTF-8 byte', '62c328', 'INVALID_UTF8', 0],
  ['overlong UTF-8', '62c0af', 'INVALID_UTF8', 0],
  ['UTF-8 surrogate', '63eda080', 'INVALID_UTF8', 0],
  ['UTF-8 past U+10FFFF', '64f4908080', 'INVALID_UTF8', 0],
  ['invalid UTF-8 in a long string', `7820${'61'.repeat(31)}ff`, 'INVALID_UTF8', 0],
  ['invalid UTF-8 in a key', 'a161ff01', 'INVALID_UTF8', 1],
  ['trailing byte', '0000', 'TRAILING_BYTES', 1],
  ['two items', 'a0a0', 'TRAILING_BYTES', 1],
  ['nesting past the default depth', `${'81'.repeat(600)}00`, 'MAX_DEPTH_EXCEEDED', 512],
]

describe('hostile input table', () => {
  it.each(TABLE)('%s', (_name, h, code, offset) => {
    try {
      decode(fromHex(h))
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(DagCborDecodeError)
      expect((e as DagCborDecodeError).name).toBe('DagCborDecodeError')
      expect((e as DagCborDecodeError).code).toBe(code)
      expect((e as DagCborDecodeError).offset).toBe(offset)
      expect((e as Error).message).toContain(`code=${code}`)
    }
  })

  it('100k levels of nesting fail cleanly by default and decode without recursion when allowed', () => {
    const deep = fromHex(`${'81'.repeat(100_000)}00`)
    expect(() => decode(deep)).toThrow(expect.objectContaining({ code: 'MAX_DEPTH_EXCEEDED' }))
    const value = decode(deep, { maxDepth: 200_000 })
    let d = 0
    let v: LexValue = value
    while (Array.isArray(v)) {
      v = v[0] as LexValue
      d++
    }
    expect(d).toBe(100_000)
    const maps = fromHex(`${'a16161'.repeat(100_000)}00`)
    expect(() => decode(maps)).toThrow(expect.objectContaining({ code: 'MAX_DEPTH_EXCEEDED' }))
    expect(() => decode(maps, { maxDepth: 200_000 })).not.toThrow()
  })

  it('enforces maxCollectionLength and maxInputLength', () => {
    expect(() => decode(fromHex('83010203'), { maxCollectionLength: 2 })).toThrow(
      expect.objectContaining({ code: 'MAX_LENGTH_EXCEEDED', offset: 0 }),
    )
    expect(decode(fromHex('83010203'), { maxCollectionLength: 3 })).toEqual([1, 2, 3])
    expect(() => decode(new Uint8Array(11), { maxInputLength: 10 })).toThrow(
      expect.objectContaining({ code: 'INPUT_TOO_LARGE' }),
    )
  })

  it('keeps __proto__ as data and never touches prototypes', () => {
    const v = decode(fromHex('a2616101695f5f70726f746f5f5fa1617801')) as Record<string, unknown>
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype)
    expect(Object.keys(v)).toEqual(['a', '__proto__'])
    expect(Object.getOwnPropertyDescriptor(v, '__proto__')?.value).toEqual({ x: 1 })
    expect(({} as Record<string, unknown>)['x']).toBeUndefined()
  })

  it('accepts a BOM and NUL inside strings and keeps them', () => {
    expect(decode(fromHex('63efbbbf'))).toBe('\uFEFF')
    expect(decode(fromHex(`7819efbbbf${'61'.repeat(22)}`))).toBe(`\uFEFF${'a'.repeat(22)}`)
    expect(decode(fromHex('6100'))).toBe('\0')
  })

  it('validates UTF-8 exactly as a fatal TextDecoder does, on short, cached and long strings', () => {
    const td = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc
        .array(
          fc.constantFrom(
            0x61,
            0xc3,
            0xa9,
            0xe2,
            0x82,
            0xac,
            0xf0,
            0x9f,
            0x98,
            0x80,
            0xed,
            0xa0,
            0xc0,
            0xf4,
            0x90,
            0xbf,
          ),
          {
            maxLength: 40,
          },
        )
        .map((a) => new Uint8Array(a)),
    )
    fc.assert(
      fc.property(bytesArb, (b) => {
        const header = b.length < 24 ? [0x60 | b.length] : [0x78, b.length]
        const input = new Uint8Array([...header, ...b])
        let expected: string | undefined
        try {
          expected = td.decode(b)
        } catch {
          expected = undefined
        }
        for (let round = 0; round < 2; round++) {
          // the second round goes through the string cache
          if (expected === undefined)
            expect(() => decode(input)).toThrow(expect.objectContaining({ code: 'INVALID_UTF8' }))
          else expect(decode(input)).toBe(expected)
        }
        // as a map key too
        const asKey = new Uint8Array([0xa1, ...header, ...b, 0xf6])
        if (expected === undefined)
          expect(() => decode(asKey)).toThrow(expect.objectContaining({ code: 'INVALID_UTF8' }))
        else expect(Object.keys(decode(asKey) as object)).toEqual([expected])
      }),
      { seed: 42, numRuns: 1000 },
    )
  })

  it('rejects non-Uint8Array input and bad limits as caller mistakes', () => {
    expect(() => decode('a0' as unknown as Uint8Array)).toThrow(TypeError)
    expect(() => decode(fromHex('a0'), { maxDepth: -1 })).toThrow(RangeError)
    expect(() => decode(fromHex('a0'), { maxCollectionLength: Number.NaN })).toThrow(RangeError)
    expect(() => encode({}, { maxDepth: 1.5 })).toThrow(RangeError)
  })

  it('never crashes, hangs or returns partial results on mutated and truncated blocks', () => {
    fc.assert(
      fc.property(
        lexValueArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        (v, flips, cut) => {
          const bytes = encode(v).slice()
          for (const [i, b] of flips) if (bytes.length > 0) bytes[i % bytes.length] = b
          const truncated = bytes.subarray(0, cut % (bytes.length + 1))
          for (const input of [bytes, truncated]) {
            try {
              const out = decode(input)
              // anything accepted must be canonical: it re-encodes to the same bytes
              expect(Buffer.from(encode(out)).equals(Buffer.from(input))).toBe(true)
            } catch (e) {
              expect(e).toBeInstanceOf(DagCborDecodeError)
            }
          }
        },
      ),
      { seed: 42, numRuns: 300 },
    )
  })
})

// Our codes that a peer may accept because it is looser than the data-model spec, and why.
const LOOSER_PEERS: Record<string, string> = {
  FLOAT_NOT_ALLOWED: 'the AT data model forbids floats; @ipld/dag-cbor and @atproto/lex-cbor decode float64',
  INTEGER_OUT_OF_RANGE: 'integers past ±(2^53-1) are not exact JS numbers; @ipld/dag-cbor returns a bigint',
  INVALID_UTF8: 'DAG-CBOR strings must be UTF-8; the peers substitute U+FFFD',
  MAP_KEYS_UNSORTED: 'DAG-CBOR requires canonical key order; the peers do not check order on decode',
  UNSUPPORTED_SIMPLE_VALUE:
    'undefined is not in the data model; the peers read it as null (it would re-encode differently)',
}

describe('accept/reject agreement with the peers on malformed CBOR', () => {
  it('whatever we accept, @ipld/dag-cbor and @atproto/lex-cbor accept with the same value; where they accept what we reject, the spec says why', () => {
    const seen = new Set<string>()
    fc.assert(
      fc.property(
        lexValueArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
        (v, flips) => {
          const bytes = encode(v).slice()
          for (const [i, b] of flips) bytes[i % bytes.length] = b
          let ours: LexValue | DagCborDecodeError
          try {
            ours = decode(bytes)
          } catch (e) {
            if (!(e instanceof DagCborDecodeError)) throw e
            ours = e
          }
          const peers: ((b: Uint8Array) => unknown)[] = [(b) => ipld.decode(b), (b) => lexCbor.decode(b)]
          for (const peer of peers) {
            let theirs: unknown
            let theirsFailed = false
            try {
              theirs = peer(bytes)
            } catch {
              theirsFailed = true
            }
            if (!(ours instanceof DagCborDecodeError)) {
              // a peer stricter than us would mean we accept something the spec rejects
              expect(theirsFailed).toBe(false)
              if (!Buffer.from(encode(ours)).toString('hex').includes('695f5f70726f746f5f5f')) {
                expect(normalize(theirs)).toEqual(normalize(ours))
              }
            } else if (!theirsFailed) {
              seen.add(ours.code)
              expect(Object.keys(LOOSER_PEERS)).toContain(ours.code)
            }
          }
        },
      ),
      { seed: 42, numRuns: 400 },
    )
    expect(seen.size).toBeGreaterThan(0)
  })

  it.each(Object.entries(LOOSER_PEERS))('%s: we reject, a peer accepts (%s)', (code) => {
    const sample: Record<string, string> = {
      FLOAT_NOT_ALLOWED: 'fb3ff8000000000000',
      INTEGER_OUT_OF_RANGE: '1b0020000000000000',
      INVALID_UTF8: '62c328',
      MAP_KEYS_UNSORTED: 'a2616201616101',
      UNSUPPORTED_SIMPLE_VALUE: 'a16161f7',
    }
    const bytes = fromHex(sample[code] as string)
    expect(() => decode(bytes)).toThrow(expect.objectContaining({ code }))
    expect(() => ipld.decode(bytes)).not.toThrow()
  })
})
