// decodeNode validates each key from its new suffix bytes (the shared prefix is the previous,
// already valid key); mstKeyProblem, the reference rule, only names the problem. They agree.
import { encode } from '@rsky/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { countPrefixLen, decodeNode, InvalidMstNodeError } from '../src/index.ts'
import { mstKeyProblem } from '../src/key.ts'
import { valueCid } from './helpers.ts'

const CHARS = 'ab/.-_~:Z9 é\u0000'.split('')
const arbLooseKey = fc.oneof(
  fc.string({ unit: fc.constantFrom(...CHARS), maxLength: 12 }),
  fc
    .tuple(
      fc.constantFrom('app.bsky.feed.post', 'a', ''),
      fc.string({ unit: fc.constantFrom(...CHARS), maxLength: 8 }),
    )
    .map(([c, r]) => `${c}/${r}`),
  fc.constant(`a/${'b'.repeat(1023)}`),
  fc.constant(`a/${'b'.repeat(1022)}`),
)

function nodeBytes(keys: string[]): Uint8Array {
  let prev = ''
  const v = valueCid(1)
  const e = keys.map((k) => {
    const p = countPrefixLen(prev, k)
    prev = k
    return { k: Uint8Array.from(k.slice(p), (ch) => ch.charCodeAt(0) & 0xff), p, t: null, v }
  })
  return encode({ e, l: null })
}

describe('node key validation', () => {
  it('rejects exactly the keys mstKeyProblem rejects, naming the same problem', () => {
    fc.assert(
      fc.property(fc.uniqueArray(arbLooseKey, { minLength: 1, maxLength: 8 }), (raw) => {
        // One byte per character, as stored (é becomes its low byte, still not allowed).
        const keys = raw.map((k) =>
          Array.from(k, (ch) => String.fromCharCode(ch.charCodeAt(0) & 0xff)).join(''),
        )
        const sorted = [...new Set(keys)].sort()
        const firstBad = sorted.findIndex((k) => mstKeyProblem(k) !== null)
        let err: unknown = null
        try {
          decodeNode(nodeBytes(sorted), undefined)
        } catch (e) {
          err = e
        }
        if (firstBad === -1) {
          if (err !== null) expect((err as InvalidMstNodeError).code).not.toBe('MST_NODE_KEY')
          return
        }
        expect(err).toBeInstanceOf(InvalidMstNodeError)
        const bad = sorted[firstBad] as string
        expect((err as InvalidMstNodeError).code).toBe('MST_NODE_KEY')
        expect((err as Error).message).toContain(`${mstKeyProblem(bad)}; key=${bad}`)
      }),
      { seed: 3, numRuns: 2000 },
    )
  })
})
