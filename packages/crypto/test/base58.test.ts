// The browser's base58Encode (one BigInt, base58-encode.browser.ts) against base58-encode.ts's digit
// array, which every other runtime uses: the same text for every input, leading zeros included.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { base58DecodeOrOffset } from '../src/base58.ts'
import { base58Encode as bigintEncode } from '../src/base58-encode.browser.ts'
import { base58Encode as digitsEncode } from '../src/base58-encode.ts'

describe('base58Encode: BigInt (browsers) and digit array (elsewhere)', () => {
  it('agree on edge cases: empty, zeros, one byte, all 0xff', () => {
    const cases = [
      new Uint8Array(0),
      new Uint8Array(1),
      new Uint8Array(5),
      Uint8Array.of(0, 0, 1),
      Uint8Array.of(57),
      Uint8Array.of(58),
      Uint8Array.of(255),
      new Uint8Array(40).fill(255),
    ]
    for (let b = 0; b < 256; b++) cases.push(Uint8Array.of(b), Uint8Array.of(0, b))
    for (const c of cases) expect(bigintEncode(c)).toBe(digitsEncode(c))
    expect(cases.length).toBeGreaterThan(500)
    expect(bigintEncode(Uint8Array.of(0, 0, 1))).toBe('112')
  })

  it('agree on random bytes and round-trip through the decoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat({ max: 4 }), (bytes, zeros) => {
        const input = new Uint8Array(zeros + bytes.length)
        input.set(bytes, zeros)
        const text = bigintEncode(input)
        expect(text).toBe(digitsEncode(input))
        expect(base58DecodeOrOffset(text)).toEqual(input)
      }),
      { seed: 42, numRuns: 2_000 },
    )
  })
})
