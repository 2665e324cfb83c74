// The CAR header reader (src/header.ts) reads the header section without the DAG-CBOR decoder;
// scan.ts's decodeCarHeader reads it with the decoder, for readers that ship one anyway.
// It must accept and reject exactly what the decoder followed by the header checks did (the
// reference below is that earlier code, kept here in behaviour but for the wording of a version
// that is not an unsigned integer): the same roots for
// every accepted header, the same reason for every rejected one, on generated headers, byte-level
// mutations of them, random bytes and hand-written hostile cases.
import {
  type Cid,
  cidForCbor,
  cidForRaw,
  DagCborDecodeError,
  DEFAULT_DECODE_MAX_DEPTH,
  DEFAULT_MAX_COLLECTION_LENGTH,
  DEFAULT_MAX_INPUT_LENGTH,
  decode,
  encode,
  isCid,
  type LexValue,
  parseCid,
} from '@rsky/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CarInvalidHeaderError } from '../src/errors.ts'
import { HEADER_CBOR_LIMITS, isStrictDagCbor, readCarHeader } from '../src/header.ts'
import { decodeCarHeader } from '../src/scan.ts'

type Result = { roots: string[] } | { reason: string }

/** The header check as it was, on the full decoder. */
function reference(bytes: Uint8Array): Result {
  let value: unknown
  try {
    value = decode(bytes)
  } catch (e) {
    if (!(e instanceof DagCborDecodeError)) throw e
    return { reason: 'not DAG-CBOR' }
  }
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    value instanceof Uint8Array ||
    isCid(value)
  )
    return { reason: 'not a map' }
  const map = value as Record<string, unknown>
  if (!Object.hasOwn(map, 'version')) return { reason: 'no version' }
  if (map.version !== 1) {
    // The reader names an unsigned integer version (CARv2 is `version: 2`), nothing else.
    const v = map.version
    return { reason: typeof v === 'number' && v >= 0 ? `bad version ${v}` : 'bad version' }
  }
  if (!Object.hasOwn(map, 'roots')) return { reason: 'no roots' }
  const roots = map.roots
  if (!Array.isArray(roots)) return { reason: 'roots not an array' }
  for (const root of roots) if (!isCid(root)) return { reason: 'root not a CID' }
  return { roots: (roots as Cid[]).map((c) => c.toString()) }
}

function run(read: typeof readCarHeader, bytes: Uint8Array): Result {
  try {
    return { roots: read(bytes, 7).roots.map((c) => c.toString()) }
  } catch (e) {
    if (!(e instanceof CarInvalidHeaderError)) throw e
    expect(e.offset).toBe(7)
    return { reason: e.reason }
  }
}

/** Both header readers (header.ts without the decoder, scan.ts with it), which must agree. */
function ours(bytes: Uint8Array): Result {
  const result = run(readCarHeader, bytes)
  expect(run(decodeCarHeader, bytes)).toEqual(result)
  return result
}

const CIDS: Cid[] = [
  cidForCbor(encode({ a: 1 })),
  cidForRaw(new Uint8Array([1, 2, 3])),
  parseCid('QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG'),
  parseCid('bafkqaaa'), // identity multihash, empty digest
]

const cid = fc.constantFrom(...CIDS)
const scalar: fc.Arbitrary<LexValue> = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom(
    0,
    1,
    2,
    23,
    24,
    255,
    256,
    65535,
    65536,
    2 ** 32,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
  ),
  fc.string({ maxLength: 6 }),
  fc.constantFrom('', '1', '\ufeff1', 'é', '💩', 'roots', 'version'),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 4 }),
  cid,
)
const value: fc.Arbitrary<LexValue> = fc.letrec<{ v: LexValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie('v'), { maxKeys: 3 }),
  ),
})).v

const header: fc.Arbitrary<Record<string, LexValue>> = fc
  .record(
    {
      version: fc.oneof(fc.constant(1), fc.constant(1), value),
      roots: fc.oneof(fc.array(cid, { maxLength: 3 }), fc.array(cid, { maxLength: 3 }), value),
      extra: fc.dictionary(fc.constantFrom('', 'a', 'rootz', 'versio', 'x', 'zzzzzzzz'), value, {
        maxKeys: 2,
      }),
    },
    { requiredKeys: [] },
  )
  .map(({ version, roots, extra }) => {
    const out: Record<string, LexValue> = { ...(extra ?? {}) }
    if (version !== undefined) out.version = version
    if (roots !== undefined) out.roots = roots
    return out
  })

type Edit = { at: number; op: 'flip' | 'insert' | 'delete' | 'cut'; byte: number }
const edits = fc.array(
  fc.record({
    at: fc.nat(),
    op: fc.constantFrom('flip', 'insert', 'delete', 'cut'),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  { maxLength: 3 },
) as fc.Arbitrary<Edit[]>

function mutate(bytes: Uint8Array, list: Edit[]): Uint8Array {
  let b = Array.from(bytes)
  for (const e of list) {
    const at = b.length === 0 ? 0 : e.at % (b.length + (e.op === 'insert' ? 1 : 0))
    if (e.op === 'flip') b[at] = e.byte
    else if (e.op === 'insert') b.splice(at, 0, e.byte)
    else if (e.op === 'delete') b.splice(at, 1)
    else b = b.slice(0, at)
  }
  return Uint8Array.from(b)
}

describe('CAR header reader equals decode + the header checks', () => {
  it("uses the decoder's default limits", () => {
    expect(HEADER_CBOR_LIMITS).toEqual([
      DEFAULT_DECODE_MAX_DEPTH,
      DEFAULT_MAX_COLLECTION_LENGTH,
      DEFAULT_MAX_INPUT_LENGTH,
    ])
  })

  it('on generated headers and their mutations', () => {
    let accepted = 0
    let mutatedAccepted = 0
    fc.assert(
      fc.property(header, edits, (h, list) => {
        const bytes = encode(h)
        const a = ours(bytes)
        expect(a).toEqual(reference(bytes))
        if ('roots' in a) accepted++
        const m = mutate(bytes, list)
        const b = ours(m)
        expect(b).toEqual(reference(m))
        if ('roots' in b && list.length > 0) mutatedAccepted++
      }),
      { seed: 18, numRuns: 1500 },
    )
    expect(accepted).toBeGreaterThan(100)
    expect(mutatedAccepted).toBeGreaterThan(5)
  })

  it('on hand-built maps with keys in any order, duplicated or not', () => {
    const entry = fc.tuple(
      fc.constantFrom('', 'a', 'b', 'aa', 'ab', 'ba', 'roots', 'version', 'é'),
      fc.oneof(fc.constant(1 as LexValue), fc.constant(CIDS as LexValue), value),
    )
    let accepted = 0
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 3 }),
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        (extra, i, j, both) => {
          // Usually a valid version and roots somewhere among the other entries.
          const entries = extra.slice()
          if (both) {
            entries.splice(i % (entries.length + 1), 0, ['roots', CIDS])
            entries.splice(j % (entries.length + 1), 0, ['version', 1])
          }
          const parts: number[] = [0xa0 + entries.length]
          for (const [k, v] of entries) {
            const key = new TextEncoder().encode(k)
            parts.push(0x60 + key.length, ...key, ...encode(v))
          }
          const bytes = Uint8Array.from(parts)
          const a = ours(bytes)
          if ('roots' in a) accepted++
          expect(a).toEqual(reference(bytes))
        },
      ),
      { seed: 21, numRuns: 1500 },
    )
    expect(accepted).toBeGreaterThan(20)
  })

  it('on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (bytes) => {
        expect(ours(bytes)).toEqual(reference(bytes))
      }),
      { seed: 19, numRuns: 1500 },
    )
  })

  it('isStrictDagCbor accepts exactly what decode accepts', () => {
    fc.assert(
      fc.property(value, edits, (v, list) => {
        const m = mutate(encode(v), list)
        let ok = true
        try {
          decode(m)
        } catch {
          ok = false
        }
        return isStrictDagCbor(m) === ok
      }),
      { seed: 20, numRuns: 1500 },
    )
  })

  const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((x) => Number.parseInt(x, 16)))
  const deep = (n: number) => new Uint8Array([...new Array(n).fill(0x81), 0x01])
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['float', hex('a1617afb3ff0000000000000')],
    ['undefined', hex('a1617af7')],
    ['simple value 1-byte', hex('a1617af820')],
    ['indefinite map', hex('bf617a01ff')],
    ['indefinite string', hex('a1617a7f6161ff')],
    ['non-minimal int', hex('a1617a1801')],
    ['non-minimal length', hex('a1781a617a01')],
    ['8-byte int at 2^53', hex('a1617a1b0020000000000000')],
    ['8-byte int below 2^32', hex('a1617a1b00000000ffffffff')],
    ['negative int at -(2^53)', hex('a1617a3b001fffffffffffff')],
    ['negative int at -(2^53-1)', hex('a1617a3b001ffffffffffffe')],
    ['tag 1', hex('a1617ac11a00000000')],
    ['tag 42 non-minimal', hex('a1617ad9002a4100')],
    ['tag 42 over an int', hex('a1617ad82a01')],
    ['tag 42 over an empty CID', hex('a1617ad82a4100')],
    ['tag 42 without 0x00 prefix', hex('a1617ad82a420101')],
    ['unsorted keys', hex('a2617a01616101')],
    ['length-first order broken by one', hex('a262616101616201')],
    ['length-first order broken by two', hex('a26361616101616201')],
    ['bytewise order broken, same length', hex('a26261620162616101')],
    ['length-first order kept', hex('a261620162616101')],
    ['duplicate keys', hex('a2617a01617a01')],
    ['key not a string', hex('a10101')],
    ['bytes key', hex('a1417a01')],
    ['overlong UTF-8 key', hex('a162c0af01')],
    ['surrogate in a string value', hex('a1617a63eda080')],
    ['BOM string version', hex('a26576657273696f6e64efbbbf31')],
    ['version as nested array', hex('a267766572736f6e01')],
    ['roots with a null', hex('a265726f6f747381f667766572736e696f6e01')],
    ['trailing byte', hex('a1617a0100')],
    ['collection longer than the input', hex('a1617a9a7fffffff')],
    ['nesting 511', new Uint8Array([0xa1, 0x61, 0x7a, ...deep(510)])],
    ['nesting 512', new Uint8Array([0xa1, 0x61, 0x7a, ...deep(511)])],
    ['nesting 513', new Uint8Array([0xa1, 0x61, 0x7a, ...deep(512)])],
    ['empty array at depth 512', new Uint8Array([0xa1, 0x61, 0x7a, ...new Array(511).fill(0x81), 0x80])],
    ['nesting 100,000', new Uint8Array([0xa1, 0x61, 0x7a, ...deep(100_000)])],
    ['version 2', encode({ version: 2, roots: [] })],
    ['version -1', encode({ version: -1, roots: [] })],
    ['version "1"', encode({ version: '1', roots: [] })],
    ['version null', encode({ version: null, roots: [] })],
    ['version [1, [2, null], true]', encode({ version: [1, [2, null], true], roots: [] })],
    ['version bytes', encode({ version: new Uint8Array([1, 2]), roots: [] })],
    ['version CID', encode({ version: CIDS[0]!, roots: [] })],
    ['version map', encode({ version: {}, roots: [] })],
    ['roots CIDs of every form', encode({ version: 1, roots: CIDS })],
    ['roots with a string', encode({ version: 1, roots: [CIDS[0]!, 'x'] })],
    ['extra keys', encode({ a: [1, { b: CIDS[1]! }], version: 1, roots: [CIDS[0]!], zzzzzz: null })],
    ['__proto__ key', encode({ ['__proto__']: 1, version: 1, roots: [] } as Record<string, LexValue>)],
  ]
  for (const [name, bytes] of cases) {
    it(`hostile: ${name}`, () => {
      expect(ours(bytes)).toEqual(reference(bytes))
    })
  }
})
