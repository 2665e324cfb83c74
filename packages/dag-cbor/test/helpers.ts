// Shared arbitraries and helpers for the dag-cbor tests (not a test file itself).
import { asCid, Cid, createCid, DAG_CBOR_CODEC, isLexMap, type LexValue, RAW_CODEC } from '@rsky/dag-cbor'
import fc from 'fast-check'
import { expect } from 'vitest'

// Cid keeps its bytes behind private fields, so structural equality must go through `equals`.
expect.addEqualityTesters([
  (a: unknown, b: unknown) => (a instanceof Cid && b instanceof Cid ? a.equals(b) : undefined),
])

export const cidArb: fc.Arbitrary<Cid> = fc
  .tuple(fc.constantFrom(DAG_CBOR_CODEC, RAW_CODEC), fc.uint8Array({ minLength: 32, maxLength: 32 }))
  .map(([codec, digest]) => createCid(codec, digest))

export const keyArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('$type', 'text', 'a', 'b', 'aa', 'é', '\u{1F600}', '\uFFFF', '__proto__', 'constructor'),
)

/** Values of the AT data model (integers only, well-formed strings, our Cids). */
export const lexValueArb: fc.Arbitrary<LexValue> = fc.letrec<{ value: LexValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'grapheme-ascii', minLength: 20, maxLength: 300 }),
    fc.uint8Array({ maxLength: 40 }),
    cidArb,
    fc.array(tie('value'), { maxLength: 6 }),
    fc.dictionary(keyArb, tie('value'), { maxKeys: 6, noNullPrototype: false }),
  ),
})).value

/** Replaces foreign CIDs (multiformats) by ours and bigint by number, recursively, for comparisons. */
export function normalize(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? Number(v) : v
  const cid = asCid(v)
  if (cid !== null) return cid
  if (v instanceof Uint8Array) return new Uint8Array(v)
  if (Array.isArray(v)) return v.map(normalize)
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v)) {
    Object.defineProperty(out, k, {
      value: normalize(x),
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return out
}

/** Shuffles key insertion order of every map, deterministically from `seed`. */
export function shuffleKeys(v: LexValue, seed: number): LexValue {
  let s = seed >>> 0 || 1
  const rand = () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 0x100000000
  }
  const walk = (x: LexValue): LexValue => {
    if (Array.isArray(x)) return x.map(walk)
    if (!isLexMap(x)) return x
    const keys = Object.keys(x)
    for (let i = keys.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1))
      ;[keys[i], keys[j]] = [keys[j] as string, keys[i] as string]
    }
    const out: Record<string, LexValue> = {}
    for (const k of keys) {
      Object.defineProperty(out, k, {
        value: walk(x[k] as LexValue),
        enumerable: true,
        writable: true,
        configurable: true,
      })
    }
    return out
  }
  return walk(v)
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
export const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'))
