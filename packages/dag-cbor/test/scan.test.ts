// The validating scan against the decoder as the reference: on any input both accept, or both
// reject with the same code at the same offset.
import {
  cidForCbor,
  DagCborDecodeError,
  type DagCborKind,
  type DecodeOptions,
  decode,
  encode,
  ensureValidDagCbor,
  isCid,
  jsonToLex,
  type LexValue,
  validateDagCbor,
} from '@rsky/dag-cbor'
import { readInteropJson, recordInteropCount } from '@rsky/test-vectors'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex, lexValueArb } from './helpers.ts'

type Outcome = { ok: true; kind: DagCborKind } | { ok: false; code: string; offset: number }

function kindOf(v: LexValue): DagCborKind {
  if (v === null) return 'null'
  if (typeof v === 'boolean') return 'boolean'
  if (typeof v === 'number') return 'integer'
  if (typeof v === 'string') return 'string'
  if (v instanceof Uint8Array) return 'bytes'
  if (isCid(v)) return 'cid'
  return Array.isArray(v) ? 'array' : 'map'
}

function viaDecode(bytes: Uint8Array, opts?: DecodeOptions): Outcome {
  try {
    return { ok: true, kind: kindOf(decode(bytes, opts)) }
  } catch (e) {
    if (!(e instanceof DagCborDecodeError)) throw e
    return { ok: false, code: e.code, offset: e.offset }
  }
}

function viaScan(bytes: Uint8Array, opts?: DecodeOptions): Outcome {
  try {
    return { ok: true, kind: ensureValidDagCbor(bytes, opts) }
  } catch (e) {
    if (!(e instanceof DagCborDecodeError)) throw e
    return { ok: false, code: e.code, offset: e.offset }
  }
}

function agree(bytes: Uint8Array, opts?: DecodeOptions): Outcome {
  const expected = viaDecode(bytes, opts)
  expect(viaScan(bytes, opts)).toEqual(expected)
  return expected
}

const CID_HEX = `01711220${'ab'.repeat(32)}`
const HOSTILE: [string, string][] = [
  ['empty', ''],
  ['truncated 8-byte header', '1b000000'],
  ['truncated map value', 'a16161'],
  ['byte string claiming 2^64-1 bytes', '5bffffffffffffffff'],
  ['map claiming 2^32-1 entries', 'baffffffff616100'],
  ['non-minimal map key length', 'a178016101'],
  ['integer 2^53', '1b0020000000000000'],
  ['integer -2^64', '3bffffffffffffffff'],
  ['float inside a map', 'a16161fb3ff8000000000000'],
  ['undefined', 'f7'],
  ['simple value 255', 'f8ff'],
  ['reserved additional info', '1c'],
  ['indefinite map key', 'a17f6161ff01'],
  ['stray break', 'ff'],
  ['tag 43', 'd82b4100'],
  ['tag 42 with a two-byte header', 'd9002a4100'],
  ['tag 42 on a string', 'd82a6161'],
  ['tag 42 with a non-minimal length', `d82a590025${'00'}${CID_HEX}`],
  ['tag 42 with an indefinite length', 'd82a5f'],
  ['tag 42 without 0x00 prefix', `d82a5824${CID_HEX}`],
  ['tag 42 with CID version 2', `d82a582500${`02${CID_HEX.slice(2)}`}`],
  ['tag 42 truncated CID', `d82a582500${CID_HEX.slice(0, 20)}`],
  ['tag 42 with 64-bit length', 'd82a5b0000000000000025'],
  ['CIDv0 in tag 42', `d82a582300${`1220${'cd'.repeat(32)}`}`],
  ['raw-codec CID', `d82a582500${`01551220${'cd'.repeat(32)}`}`],
  ['two-byte codec CID', `d82a582600${`01a0021220${'cd'.repeat(32)}`}`],
  ['duplicate map key', 'a2616101616102'],
  ['keys out of length order', 'a262616101616201'],
  ['bytes map key', 'a1410101'],
  ['overlong UTF-8', '62c0af'],
  ['UTF-8 surrogate', '63eda080'],
  ['UTF-8 past U+10FFFF', '64f4908080'],
  ['overlong 4-byte UTF-8', '64f08f8080'],
  ['invalid UTF-8 in a long string', `7820${'61'.repeat(31)}ff`],
  ['invalid UTF-8 in a map key', 'a162c32801'],
  ['valid 4-byte UTF-8', '64f09f9880'],
  ['trailing bytes', 'a0a0'],
  ['nested empty containers', 'a161618080'],
  ['array of maps', '82a161610aa1616201'],
]

describe('ensureValidDagCbor agrees with decode', () => {
  it.each(HOSTILE)('%s', (_name, hex) => {
    agree(fromHex(hex))
  })

  it('returns the top-level kind of any data-model value', () => {
    fc.assert(
      fc.property(lexValueArb, (value) => {
        const bytes = encode(value)
        expect(ensureValidDagCbor(bytes)).toBe(kindOf(value))
        expect(validateDagCbor(bytes)).toEqual({ success: true, value: kindOf(value) })
      }),
      { seed: 42, numRuns: 300 },
    )
  })

  it('on mutated encodings (flips, cuts, insertions)', () => {
    const mutation = fc.tuple(fc.nat(), fc.nat(255), fc.constantFrom('flip', 'set', 'cut', 'insert', 'drop'))
    fc.assert(
      fc.property(lexValueArb, fc.array(mutation, { minLength: 1, maxLength: 3 }), (value, muts) => {
        let bytes = encode(value).slice()
        for (const [at, byte, kind] of muts) {
          if (bytes.length === 0) break
          const i = at % bytes.length
          if (kind === 'flip') bytes[i] = (bytes[i] as number) ^ (1 << (byte & 7))
          else if (kind === 'set') bytes[i] = byte
          else if (kind === 'cut') bytes = bytes.subarray(0, i)
          else if (kind === 'drop') bytes = Uint8Array.of(...bytes.subarray(0, i), ...bytes.subarray(i + 1))
          else bytes = Uint8Array.of(...bytes.subarray(0, i), byte, ...bytes.subarray(i))
        }
        agree(bytes)
      }),
      { seed: 42, numRuns: 1000 },
    )
  })

  it('on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        agree(bytes)
      }),
      { seed: 42, numRuns: 2000 },
    )
  })

  it('on text strings and map keys of random bytes, short and long', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (raw, asKey) => {
        const head = raw.length < 24 ? [0x60 | raw.length] : [0x78, raw.length]
        const str = Uint8Array.of(...head, ...raw)
        agree(asKey ? Uint8Array.of(0xa1, ...str, 0xf6) : str)
      }),
      { seed: 42, numRuns: 2000 },
    )
  })

  it('on mostly-ASCII text with a few arbitrary bytes anywhere (the four-byte ASCII runs)', () => {
    const ascii = fc.uint8Array({ maxLength: 120 }).map((b) => b.map((x) => x & 0x7f))
    const poke = fc.tuple(fc.nat(), fc.integer({ min: 0x80, max: 0xff }))
    fc.assert(
      fc.property(ascii, fc.array(poke, { maxLength: 3 }), fc.boolean(), (raw, pokes, asKey) => {
        for (const [at, byte] of pokes) if (raw.length > 0) raw[at % raw.length] = byte
        const head = raw.length < 24 ? [0x60 | raw.length] : [0x78, raw.length]
        const str = Uint8Array.of(...head, ...raw)
        const outcome = agree(asKey ? Uint8Array.of(0xa1, ...str, 0xf6) : str)
        let utf8 = true
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(raw)
        } catch {
          utf8 = false
        }
        expect(outcome.ok).toBe(utf8)
      }),
      { seed: 42, numRuns: 2000 },
    )
  })

  it('honours maxDepth, maxCollectionLength and maxInputLength the same way', () => {
    const nested = encode({ a: [[[[1, 2, 3]]]], b: { c: { d: 'x' } } })
    for (const maxDepth of [0, 1, 2, 3, 4, 5, 6]) agree(nested, { maxDepth })
    for (const maxCollectionLength of [0, 1, 2, 3]) agree(nested, { maxCollectionLength })
    for (const maxInputLength of [0, 5, nested.length - 1, nested.length]) agree(nested, { maxInputLength })
    expect(() => ensureValidDagCbor(nested, { maxDepth: -1 })).toThrow(RangeError)
    expect(() => ensureValidDagCbor('a0' as never)).toThrow(TypeError)
  })

  it('walks deep nesting without recursion', () => {
    const depth = 100_000
    const bytes = new Uint8Array(depth + 1).fill(0x81)
    bytes[depth] = 0xf6
    expect(ensureValidDagCbor(bytes, { maxDepth: depth })).toBe('array')
    expect(viaScan(bytes)).toEqual({ ok: false, code: 'MAX_DEPTH_EXCEEDED', offset: 512 })
  })

  it('reports problems as a result object', () => {
    const r = validateDagCbor(fromHex('a2616101616102'))
    expect(r).toMatchObject({ success: false, issues: [{ code: 'DUPLICATE_MAP_KEY', offset: 4 }] })
  })

  it('accepts every interop data-model fixture', () => {
    const fixtures = readInteropJson<Array<{ json: unknown; cbor_base64: string; cid: string }>>(
      'atproto-interop-tests',
      'data-model/data-model-fixtures.json',
    )
    recordInteropCount('data-model/data-model-fixtures.json (scan)', fixtures.length)
    for (const f of fixtures) {
      const bytes = new Uint8Array(Buffer.from(f.cbor_base64, 'base64'))
      expect(cidForCbor(bytes).toString()).toBe(f.cid)
      expect(ensureValidDagCbor(bytes)).toBe(kindOf(jsonToLex(f.json)))
    }
  })
})
