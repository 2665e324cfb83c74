import { blake3 } from '@noble/hashes/blake3.js'
import { sha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LTHASH_STATE_BYTES, LtHash } from '../src/index.ts'
import { combineLanesPortable } from '../src/lthash.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const ZEROS = new Uint8Array(LTHASH_STATE_BYTES)

/** The construction written out plainly from the proposal, as a second implementation. */
function referenceState(add: string[], remove: string[] = []): Uint8Array {
  const lanes = new Array<number>(1024).fill(0)
  const fold = (el: string, sign: number): void => {
    const x = blake3(new TextEncoder().encode(el), { dkLen: 2048 })
    for (let i = 0; i < 1024; i++)
      lanes[i] = (lanes[i]! + sign * (x[2 * i]! | (x[2 * i + 1]! << 8)) + 0x10000) & 0xffff
  }
  for (const el of add) fold(el, 1)
  for (const el of remove) fold(el, -1)
  const out = new Uint8Array(2048)
  lanes.forEach((v, i) => {
    out[2 * i] = v & 0xff
    out[2 * i + 1] = v >>> 8
  })
  return out
}

describe('LtHash pinned vectors (atproto permissioned-data tests)', () => {
  it('sha256 of the empty state', () => {
    const h = new LtHash()
    expect(h.state()).toEqual(ZEROS)
    expect(h.isEmpty()).toBe(true)
    expect(hex(h.digest())).toBe('e5a00aa9991ac8a5ee3109844d84a55583bd20572ad3ffcd42792f3c36b183ad')
  })

  it("add('one').add('two')", () => {
    const h = new LtHash().add('one').add('two')
    expect(hex(h.digest())).toBe('ae05cb6d224379d9710c290c8529945c5b0e0fde9ead30b9699057ce701c63e7')
    expect(hex(sha256(referenceState(['one', 'two'])))).toBe(hex(h.digest()))
  })
})

describe('LtHash behaviour', () => {
  it('add then remove returns to zero; double add does not cancel', () => {
    const h = new LtHash().add('a')
    expect(h.isEmpty()).toBe(false)
    h.remove('a')
    expect(h.isEmpty()).toBe(true)
    const twice = new LtHash().add('a').add('a')
    expect(twice.isEmpty()).toBe(false)
    expect(twice.remove('a').equals(new LtHash().add('a'))).toBe(true)
  })

  it('state round-trips and is never aliased', () => {
    const a = new LtHash().add('x').add('y')
    const state = a.state()
    const b = new LtHash(state)
    expect(b.equals(a)).toBe(true)
    state[0] = (state[0]! + 1) & 0xff
    expect(b.equals(a)).toBe(true)
    expect(LtHash.fromState(null).isEmpty()).toBe(true)
    expect(LtHash.fromState(undefined).isEmpty()).toBe(true)
    const c = a.clone().add('z')
    expect(c.equals(a)).toBe(false)
  })

  it('rejects a state of the wrong size or type', () => {
    expect(() => new LtHash(new Uint8Array(32))).toThrow(RangeError)
    expect(() => new LtHash(new Uint8Array(2049))).toThrow(/2048 bytes; length=2049/)
    expect(() => new LtHash('x' as unknown as Uint8Array)).toThrow(TypeError)
  })

  it('hashes strings as UTF-8 and bytes as given', () => {
    const s = 'coll.ection/ключ/😀'
    expect(new LtHash().add(s).equals(new LtHash().add(new TextEncoder().encode(s)))).toBe(true)
    expect(new LtHash().add(s).state()).toEqual(referenceState([s]))
  })

  it('addHash sums two multisets', () => {
    const a = new LtHash().add('a')
    const b = new LtHash().add('b').add('c')
    expect(a.clone().addHash(b).equals(new LtHash().add('a').add('b').add('c'))).toBe(true)
  })
})

describe('LtHash properties', () => {
  const elements = fc.array(fc.string({ maxLength: 40 }), { maxLength: 12 })

  it('matches the plain construction (differential against @noble/hashes blake3)', () => {
    fc.assert(
      fc.property(elements, elements, (add, remove) => {
        const h = new LtHash()
        for (const e of add) h.add(e)
        for (const e of remove) h.remove(e)
        expect(h.state()).toEqual(referenceState(add, remove))
      }),
      { seed: 42, numRuns: 100 },
    )
  })

  it('add and remove commute: any permutation of ops gives the same digest', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.string({ maxLength: 20 })), { maxLength: 16 }),
        fc.infiniteStream(fc.nat()),
        (ops, rand) => {
          const shuffled = [...ops]
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = rand.next().value % (i + 1)
            ;[shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]
          }
          const run = (list: typeof ops): LtHash => {
            const h = new LtHash()
            for (const [add, e] of list) add ? h.add(e) : h.remove(e)
            return h
          }
          expect(hex(run(shuffled).digest())).toBe(hex(run(ops).digest()))
        },
      ),
      { seed: 42, numRuns: 150 },
    )
  })

  it('remove cancels add whatever came between', () => {
    fc.assert(
      fc.property(elements, fc.string(), (others, e) => {
        const base = new LtHash()
        for (const o of others) base.add(o)
        const h = base.clone().add(e)
        for (const o of others) h.add(o).remove(o)
        expect(h.remove(e).equals(base)).toBe(true)
      }),
      { seed: 42, numRuns: 100 },
    )
  })

  it('the big-endian fallback lane arithmetic equals the Uint16Array path', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 2048, maxLength: 2048 }),
        fc.string(),
        fc.boolean(),
        (state, e, sub) => {
          const viaPortable = state.slice()
          combineLanesPortable(viaPortable, blake3(new TextEncoder().encode(e), { dkLen: 2048 }), sub)
          const h = new LtHash(state)
          sub ? h.remove(e) : h.add(e)
          expect(h.state()).toEqual(viaPortable)
        },
      ),
      { seed: 42, numRuns: 100 },
    )
  })
})
