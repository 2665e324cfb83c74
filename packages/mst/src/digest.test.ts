import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as node from './digest.node.ts'
import * as js from './digest.ts'
import { leadingZerosOnHash } from './key.ts'

// The Node path (node:crypto) and the browser path (JavaScript sha256) give the same answers.
describe('#digest: Node and JavaScript paths agree', () => {
  it('digestInto and digestMatches at every padding boundary and on prefixes', () => {
    for (let len = 0; len <= 200; len++) {
      const data = new Uint8Array(len + 5).map((_, i) => (i * 31 + len) & 0xff)
      const want = nobleSha256(data.subarray(0, len))
      for (const impl of [js, node]) {
        const out = new Uint8Array(40)
        impl.digestInto(data, len, out, 3)
        expect(out.subarray(3, 35)).toEqual(want)
        const whole = data.subarray(0, len)
        const expected = new Uint8Array(36)
        expected.set(want, 4)
        expect(impl.digestMatches(whole, expected, 4)).toBe(true)
        expected[35] = (expected[35] as number) ^ 1
        expect(impl.digestMatches(whole, expected, 4)).toBe(false)
      }
    }
  })
  it('keyHeight matches leading zeros of sha256 for ASCII and non-ASCII strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 40 })),
        (key) => {
          const want = leadingZerosOnHash(nobleSha256(new TextEncoder().encode(key)))
          expect(js.keyHeight(key)).toBe(want)
          expect(node.keyHeight(key)).toBe(want)
        },
      ),
      { seed: 42, numRuns: 500 },
    )
    // Keys with known non-zero heights (atproto mst key_heights vectors).
    for (const [k, h] of [
      ['', 0],
      ['asdf', 0],
      ['blue', 1],
      ['2653ae71', 0],
      ['88bfafc7', 2],
      ['2a92d355', 4],
      ['884976f5', 6],
      ['app.bsky.feed.post/454397e440ec', 4],
      ['app.bsky.feed.post/9adeb165882c', 8],
    ] as const) {
      expect(js.keyHeight(k)).toBe(h)
      expect(node.keyHeight(k)).toBe(h)
    }
  })
})
