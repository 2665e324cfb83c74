import { blake3 } from '@noble/hashes/blake3.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FAST_XOF_MAX_INPUT, foldXof2048 } from '../src/blake3-xof.ts'
import { LtHash } from '../src/index.ts'

const IS_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** The fast path's expansion as bytes: folding into a zero state yields the XOF itself. */
function fastXof(input: Uint8Array): Uint8Array {
  const state = new Uint32Array(512)
  foldXof2048(input, input.length, state, false)
  return new Uint8Array(state.buffer)
}

describe.runIf(IS_LE)('hand-written BLAKE3 XOF (differential: @noble/hashes)', () => {
  it('matches at every length 0..1024 (block and chunk boundaries)', () => {
    const data = Uint8Array.from({ length: FAST_XOF_MAX_INPUT }, (_, i) => (i * 31 + 7) & 0xff)
    for (let len = 0; len <= FAST_XOF_MAX_INPUT; len++) {
      const input = data.subarray(0, len)
      const got = fastXof(input)
      const want = blake3(input, { dkLen: 2048 })
      if (Buffer.compare(Buffer.from(got), Buffer.from(want)) !== 0) throw new Error(`mismatch at len=${len}`)
    }
  })

  it('matches on random inputs, and subtract undoes add', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: FAST_XOF_MAX_INPUT }),
        fc.uint32Array({ minLength: 512, maxLength: 512 }),
        (input, start) => {
          expect(fastXof(input)).toEqual(blake3(input, { dkLen: 2048 }))
          const state = start.slice()
          foldXof2048(input, input.length, state, false)
          foldXof2048(input, input.length, state, true)
          expect(state).toEqual(start)
        },
      ),
      { seed: 42, numRuns: 200 },
    )
  })

  it('LtHash takes the noble path past one chunk and agrees with the fast path below it', () => {
    for (const len of [1023, 1024, 1025, 2048, 5000]) {
      const el = 'x'.repeat(len)
      const h = new LtHash().add(el)
      const lanes = blake3(new TextEncoder().encode(el), { dkLen: 2048 })
      expect(h.state()).toEqual(lanes)
      expect(h.remove(el).isEmpty()).toBe(true)
    }
  })
})
