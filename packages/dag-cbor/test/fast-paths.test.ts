// Differential tests for the encoder's fast paths (JS UTF-8 for short strings, the ASCII pass,
// the loop for short byte strings, CID copies) against @ipld/dag-cbor as the reference.
import * as ipld from '@ipld/dag-cbor'
import { type Cid, cidForCbor, DagCborEncodeError, decode, encode, type LexValue } from '@rsky/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isWellFormedByRegExp } from '../src/utf8.ts'
import { hex } from './helpers.ts'

// Code units chosen to hit every UTF-8 width: ASCII, 2-byte, 3-byte and surrogate pairs (4-byte).
const unitArb = fc.oneof(
  { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), weight: 6 },
  { arbitrary: fc.constantFrom('é', 'ß', 'ÿ', 'ж', '\u07ff'), weight: 1 },
  { arbitrary: fc.constantFrom('\u0800', '€', 'あ', '漢', '\ufffd', '\uffff'), weight: 1 },
  { arbitrary: fc.constantFrom('🙂', '𝄞', '\u{10000}', '\u{10ffff}'), weight: 1 },
)

// An ASCII prefix of any length (so the ASCII pass stops anywhere), then mixed units; lengths
// straddle the 24-byte and 256-byte header bounds and the JS/native cut-over.
const textArb = fc
  .tuple(fc.string({ unit: 'grapheme-ascii', maxLength: 70 }), fc.array(unitArb, { maxLength: 40 }))
  .map(([a, units]) => a + units.join(''))

const loneArb = fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff')

describe('string fast paths', () => {
  it('encode strings byte for byte like @ipld/dag-cbor, alone, as values and as map keys', () => {
    fc.assert(
      fc.property(textArb, (s) => {
        expect(hex(encode(s))).toBe(hex(ipld.encode(s)))
        const v = { [s]: s, a: [s, 1], text: s }
        expect(hex(encode(v))).toBe(hex(ipld.encode(v)))
        expect(decode(encode(v))).toEqual(v)
      }),
      { seed: 7, numRuns: 600 },
    )
  })

  it('encode every length around the header and cut-over bounds', () => {
    for (let n = 0; n <= 300; n++) {
      for (const s of ['x'.repeat(n), `${'x'.repeat(n)}é`, `${'é'.repeat(n)}`, `${'x'.repeat(n)}🙂`]) {
        expect(hex(encode(s))).toBe(hex(ipld.encode(s)))
      }
    }
  })

  it('reject a lone surrogate anywhere, with the path, and leave the encoder usable', () => {
    fc.assert(
      fc.property(textArb, loneArb, textArb, (a, lone, b) => {
        // a high surrogate directly before a low one would pair up: keep it lone
        const tail = lone <= '\udbff' && /^[\udc00-\udfff]/.test(b) ? `x${b}` : b
        const head = lone >= '\udc00' && /[\ud800-\udbff]$/.test(a) ? `${a}x` : a
        const s = head + lone + tail
        let err: unknown
        try {
          encode({ list: [1, s] })
        } catch (e) {
          err = e
        }
        expect(err).toBeInstanceOf(DagCborEncodeError)
        expect((err as DagCborEncodeError).code).toBe('INVALID_STRING')
        expect((err as DagCborEncodeError).path).toBe('$.list[1]')
        expect(hex(encode({ ok: head }))).toBe(hex(ipld.encode({ ok: head })))
      }),
      { seed: 11, numRuns: 300 },
    )
  })
  it('the isWellFormed fallback for older engines agrees with String.prototype.isWellFormed', () => {
    const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c))
    const piece = fc.oneof(unitArb, surrogate)
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const s = pieces.join('')
        expect(isWellFormedByRegExp(s)).toBe((s as unknown as { isWellFormed(): boolean }).isWellFormed())
      }),
      { seed: 11, numRuns: 2000 },
    )
  })

  it('reject surrogate sequences that are not a high then a low surrogate', () => {
    const bad = ['\udc00\udc00', '\udc00\udfff', '\ud800\ud800', 'ab\ud800', '\udfff\ud800', 'é\udc00\udc00x']
    for (const s of bad) {
      for (const v of [s, `${'x'.repeat(60)}${s}`]) {
        expect(() => encode(v)).toThrow(DagCborEncodeError)
      }
    }
    expect(hex(encode('é\ud800\udc00'))).toBe(hex(ipld.encode('é\ud800\udc00')))
  })
})

describe('byte string and CID copies', () => {
  it('encode byte strings of every small length like @ipld/dag-cbor', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(8), (bytes, off) => {
        // a view at an offset into a larger buffer, as decoded byte strings are
        const big = new Uint8Array(off + bytes.length + 3)
        big.set(bytes, off)
        const view = big.subarray(off, off + bytes.length)
        const v = { k: view, e: [bytes] }
        expect(hex(encode(v))).toBe(hex(ipld.encode(v)))
      }),
      { seed: 5, numRuns: 400 },
    )
  })

  it('encode CIDs built by hashing, decoded from blocks, and encoded again, like @ipld/dag-cbor', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 6 }),
        (seeds) => {
          const cids: Cid[] = seeds.map((s) => cidForCbor(s))
          const node = { l: cids[0] as Cid, e: cids.map((c, i) => ({ k: seeds[i] as Uint8Array, v: c })) }
          const first = hex(encode(node as LexValue))
          expect(first).toBe(hex(ipld.encode(node)))
          // decoded CIDs view the block at an offset; the second encode copies from materialized bytes
          const block = encode(node as LexValue).slice()
          const decoded = decode(block)
          expect(hex(encode(decoded))).toBe(first)
          expect(hex(encode(decoded))).toBe(first)
        },
      ),
      { seed: 3, numRuns: 200 },
    )
  })
})

describe('UTF-8 decoding (JS loop up to 16 bytes, cache up to 32, TextDecoder past that)', () => {
  const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
  const junkArb = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 3 }),
    // overlong forms, surrogates, past U+10FFFF, truncated sequences, a stray continuation, a BOM
    fc.constantFrom(
      ...[
        [0xc0, 0x80],
        [0xc1, 0xbf],
        [0xe0, 0x80, 0x80],
        [0xe0, 0x9f, 0xbf],
        [0xed, 0xa0, 0x80],
        [0xed, 0xbf, 0xbf],
        [0xf0, 0x8f, 0xbf, 0xbf],
        [0xf4, 0x90, 0x80, 0x80],
        [0xf5, 0x80, 0x80, 0x80],
        [0xe2, 0x82],
        [0xf0, 0x9f, 0x99],
        [0x80],
        [0xef, 0xbb, 0xbf],
      ].map((a) => Uint8Array.from(a)),
    ),
  )
  // mostly valid UTF-8 with some random or malformed bytes spliced in, so both outcomes are common
  const bytesArb = fc.oneof(
    textArb.map((s) => new TextEncoder().encode(s)),
    fc.uint8Array({ maxLength: 40 }),
    fc.tuple(textArb, junkArb, fc.nat(60)).map(([s, junk, at]) => {
      const b = new TextEncoder().encode(s)
      const i = Math.min(at, b.length)
      return Uint8Array.from([...b.subarray(0, i), ...junk, ...b.subarray(i)])
    }),
  )
  it('accept exactly what a fatal TextDecoder accepts, with the same string, on a miss and a hit', () => {
    fc.assert(
      fc.property(bytesArb, (b) => {
        const n = b.length
        const head = n < 24 ? [0x60 | n] : n < 256 ? [0x78, n] : [0x79, n >> 8, n & 0xff]
        const block = Uint8Array.from([0xa1, 0x61, 0x73, ...head, ...b])
        let expected: string | undefined
        try {
          expected = fatal.decode(b)
        } catch {
          expected = undefined
        }
        for (let round = 0; round < 2; round++) {
          if (expected === undefined) expect(() => decode(block)).toThrow(/INVALID_UTF8/)
          else expect(decode(block)).toEqual({ s: expected })
        }
      }),
      { seed: 9, numRuns: 1000 },
    )
  })
})

describe('map-key cache (hashes length and three sampled bytes)', () => {
  it('tells apart keys that share length, first, middle and last byte', () => {
    // keys like "a?b?c": same hash, so every lookup must fall back to the byte comparison
    const keyArb = fc
      .tuple(
        fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
      )
      .map(([x, y]) => `a${x}b${y}c`)
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { minLength: 1, maxLength: 12 }), fc.nat(), (keys, n) => {
        const v: Record<string, number> = {}
        keys.forEach((k, i) => {
          v[k] = n + i
        })
        const bytes = ipld.encode(v)
        expect(decode(bytes)).toEqual(ipld.decode(bytes))
        expect(decode(bytes)).toEqual(v)
      }),
      { seed: 13, numRuns: 300 },
    )
  })
})

describe('one-byte map keys (table lookup instead of the cache)', () => {
  it('accept exactly the canonical key sequences and name the fault otherwise', () => {
    // short keys in any order, with repeats: empty, one byte (incl. non-ASCII bytes) and two bytes
    const keyArb = fc.oneof(
      fc.constant(Uint8Array.of()),
      fc.integer({ min: 0, max: 0xff }).map((b) => Uint8Array.of(b)),
      fc
        .string({ unit: 'grapheme-ascii', minLength: 2, maxLength: 2 })
        .map((s) => new TextEncoder().encode(s)),
    )
    const cmp = (a: Uint8Array, b: Uint8Array): number => {
      if (a.length !== b.length) return a.length - b.length
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number)
      return 0
    }
    fc.assert(
      fc.property(fc.array(keyArb, { minLength: 1, maxLength: 8 }), (keys) => {
        const body = keys.flatMap((k) => [0x60 | k.length, ...k, 0x01])
        const block = Uint8Array.from([0xa0 | keys.length, ...body])
        let expected = ''
        for (let i = 0; i < keys.length && expected === ''; i++) {
          const k = keys[i] as Uint8Array
          // order is checked before the bytes are decoded, as in the general path
          if (i > 0) {
            const c = cmp(keys[i - 1] as Uint8Array, k)
            if (c === 0) expected = 'DUPLICATE_MAP_KEY'
            else if (c > 0) expected = 'MAP_KEYS_UNSORTED'
          }
          if (expected === '' && k.length === 1 && (k[0] as number) >= 0x80) expected = 'INVALID_UTF8'
        }
        if (expected === '') {
          const want = Object.fromEntries(keys.map((k) => [new TextDecoder().decode(k), 1]))
          expect(decode(block)).toEqual(want)
        } else {
          expect(() => decode(block)).toThrow(expected)
        }
      }),
      { seed: 17, numRuns: 3000 },
    )
  })
})
