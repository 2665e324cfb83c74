// The two hash-check paths (node:crypto and @rsky/crypto's pure-JS sha256) agree.
import { sha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sha256Matches as nodeMatches } from '../src/digest.node.ts'
import { sha256Matches as jsMatches } from '../src/digest.ts'

describe('sha256Matches', () => {
  it('node and browser paths agree with @noble/hashes, for matching and altered digests', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.nat({ max: 31 }),
        fc.integer({ min: 1, max: 255 }),
        (data, at, x) => {
          const expected = new Uint8Array(40)
          expected.set(sha256(data), 5)
          expect(nodeMatches(data, expected, 5)).toBe(true)
          expect(jsMatches(data, expected, 5)).toBe(true)
          expected[5 + at]! ^= x
          expect(nodeMatches(data, expected, 5)).toBe(false)
          expect(jsMatches(data, expected, 5)).toBe(false)
        },
      ),
      { seed: 42, numRuns: 300 },
    )
  })
})
