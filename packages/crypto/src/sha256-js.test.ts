import { createHash } from 'node:crypto'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sha256, sha256Into, sha256LeadingZeroPairs } from './sha256-js.ts'

const nodeSha256 = (data: Uint8Array): Uint8Array =>
  new Uint8Array(createHash('sha256').update(data).digest())

/** Leading zero bits of a hash, halved (the MST layer), counted bit by bit. */
function leadingZerosOnHash(hash: Uint8Array): number {
  let zeros = 0
  for (const byte of hash) {
    if (byte === 0) {
      zeros += 8
      continue
    }
    zeros += Math.clz32(byte) - 24
    break
  }
  return zeros >>> 1
}

describe('allocation-free sha256', () => {
  it('matches @rsky/crypto and @noble/hashes at every padding boundary', () => {
    for (let len = 0; len <= 200; len++) {
      const data = new Uint8Array(len).map((_, i) => (i * 31 + len) & 0xff)
      const out = new Uint8Array(40)
      sha256Into(data, len, out, 3)
      expect(out.subarray(3, 35)).toEqual(nodeSha256(data))
      expect(sha256(data)).toEqual(nodeSha256(data))
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
