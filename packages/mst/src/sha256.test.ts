import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { sha256 } from '@rsky/crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { leadingZerosOnHash } from './key.ts'
import { sha256Into, sha256LeadingZeroPairs } from './sha256.ts'

describe('allocation-free sha256', () => {
  it('matches @rsky/crypto and @noble/hashes at every padding boundary', () => {
    for (let len = 0; len <= 200; len++) {
      const data = new Uint8Array(len).map((_, i) => (i * 31 + len) & 0xff)
      const out = new Uint8Array(40)
      sha256Into(data, len, out, 3)
      expect(out.subarray(3, 35)).toEqual(new Uint8Array(sha256(data)))
      expect(out.subarray(3, 35)).toEqual(nobleSha256(data))
      expect(sha256LeadingZeroPairs(data, len)).toBe(leadingZerosOnHash(nobleSha256(data)))
    }
  })
  it('matches on random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
        const out = new Uint8Array(32)
        sha256Into(data, data.length, out, 0)
        expect(out).toEqual(nobleSha256(data))
      }),
      { seed: 42, numRuns: 300 },
    )
  })
})
