import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  createTidGenerator,
  dedashTid,
  InvalidS32Error,
  InvalidTidError,
  isValidTid,
  s32decode,
  s32encode,
  Tid,
} from '../src/index.ts'

const RUNS = { seed: 42, numRuns: 200 }

describe('Tid generation', () => {
  it('Tid.next is strictly increasing across many calls in one process', () => {
    let prev = Tid.next()
    for (let i = 0; i < 20_000; i++) {
      const next = Tid.next()
      expect(next.newerThan(prev)).toBe(true)
      expect(next.timestamp()).toBeGreaterThan(prev.timestamp())
      prev = next
    }
  })

  it('Tid.nextStr returns valid TIDs with one clock id per process', () => {
    const a = Tid.parse(Tid.nextStr())
    const b = Tid.parse(Tid.nextStr())
    expect(a.clockId()).toBe(b.clockId())
    expect(isValidTid(a.toString())).toBe(true)
  })

  it('timestamps are microseconds near the wall clock', () => {
    const micros = Tid.next().timestamp()
    expect(Math.abs(micros - Date.now() * 1000)).toBeLessThan(60_000_000)
  })

  it('stays strictly increasing when the clock stalls or jumps backwards', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 ** 52 }), { minLength: 1, maxLength: 50 }),
        (times) => {
          let i = 0
          const gen = createTidGenerator({ clockId: 7, clock: () => times[i++ % times.length] as number })
          let prev: Tid | undefined
          for (let k = 0; k < times.length; k++) {
            const t = gen.next()
            if (prev && !(t.str > prev.str)) return false
            if (t.clockId() !== 7) return false
            prev = t
          }
          return true
        },
      ),
      RUNS,
    )
  })

  it('next(prev) is after prev even when prev is from a faster clock', () => {
    const gen = createTidGenerator({ clockId: 1, clock: () => 1_000 })
    const future = Tid.fromTime(5_000_000, 1023)
    const t = gen.next(future)
    expect(t.newerThan(future)).toBe(true)
    expect(Tid.nextStr(future.toString()) > future.toString()).toBe(true)
  })

  it('rejects bad clock ids for generators', () => {
    expect(() => createTidGenerator({ clockId: 1024 })).toThrow(RangeError)
    expect(() => createTidGenerator({ clockId: -1 })).toThrow(RangeError)
    expect(() => createTidGenerator({ clockId: 1.5 })).toThrow(RangeError)
  })
})

describe('Tid values', () => {
  it('fromTime -> parse round-trips timestamp and clock id', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 0, max: 1023 }),
        (micros, clockId) => {
          const t = Tid.fromTime(micros, clockId)
          const back = Tid.parse(t.toString())
          return (
            t.toString().length === 13 &&
            isValidTid(t.toString()) &&
            back.timestamp() === micros &&
            back.clockId() === clockId &&
            back.equals(t)
          )
        },
      ),
      RUNS,
    )
  })

  it('string order is (timestamp, clock id) order', () => {
    const arb = fc.tuple(
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      fc.integer({ min: 0, max: 1023 }),
    )
    fc.assert(
      fc.property(arb, arb, ([ta, ca], [tb, cb]) => {
        const expected = ta !== tb ? Math.sign(ta - tb) : Math.sign(ca - cb)
        return Tid.compare(Tid.fromTime(ta, ca), Tid.fromTime(tb, cb)) === expected
      }),
      RUNS,
    )
  })

  it('known values', () => {
    expect(Tid.fromTime(0, 0).toString()).toBe('2222222222222')
    const t = Tid.parse('3jzfcijpj2z2a')
    expect(Tid.fromTime(t.timestamp(), t.clockId()).toString()).toBe('3jzfcijpj2z2a')
    expect(Tid.parse('bzzzzzzzzzzzz').timestamp()).toBe(Number.MAX_SAFE_INTEGER)
    const sorted = [Tid.fromTime(3, 0), Tid.fromTime(1, 0), Tid.fromTime(2, 0)].sort(Tid.oldestFirst)
    expect(sorted.map((x) => x.timestamp())).toEqual([1, 2, 3])
    expect(sorted.sort(Tid.newestFirst).map((x) => x.timestamp())).toEqual([3, 2, 1])
    expect(JSON.stringify({ t: Tid.fromTime(0, 0) })).toBe('{"t":"2222222222222"}')
  })

  it('malformed TIDs give InvalidTidError, never a crash', () => {
    const bad = [
      '',
      '3jzfcijpj2z2',
      '3jzfcijpj2z2aa',
      '3JZFCIJPJ2Z2A',
      '0000000000000',
      '1111111111111',
      'kjzfcijpj2z2a',
      '3jzf-cij-pj2z-2a',
      '3jzfcijpj2z2\u0000',
      '3jzfcijpj2z2é',
      '3jzfcijpj2z💩',
      'czzzzzzzzzzzz', // syntax allows it, but the top bit would be set
      'jzzzzzzzzzzzz',
    ]
    for (const s of bad) {
      let err: unknown
      try {
        Tid.parse(s)
      } catch (e) {
        err = e
      }
      expect(err, s).toBeInstanceOf(InvalidTidError)
      expect((err as InvalidTidError).code).toBe('INVALID_TID')
      expect((err as InvalidTidError).input).toBe(s)
    }
  })

  it('fromTime rejects out-of-range arguments with RangeError', () => {
    for (const [t, c] of [
      [-1, 0],
      [2 ** 53, 0],
      [1.5, 0],
      [Number.NaN, 0],
      [0, 1024],
      [0, -1],
      [0, 0.5],
    ] as const) {
      expect(() => Tid.fromTime(t, c)).toThrow(RangeError)
    }
  })

  it('dedashTid restores legacy dashed TIDs', () => {
    expect(dedashTid('3jzf-cij-pj2z-2a')).toBe('3jzfcijpj2z2a')
  })
})

describe('s32encode / s32decode', () => {
  it('round-trips every safe integer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => s32decode(s32encode(n)) === n),
      RUNS,
    )
    expect(s32encode(0)).toBe('2')
    expect(s32encode(1023)).toBe('zz')
  })

  it('hostile input gives InvalidS32Error or RangeError, never a crash or a wrong number', () => {
    for (const s of ['', '1', '0', 'A', '-', ' 2', 'zzzzzzzzzzzzz', '\u0000', '💩']) {
      expect(() => s32decode(s), s).toThrow(InvalidS32Error)
    }
    for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => s32encode(n)).toThrow(RangeError)
    }
    expect(() => s32decode(42 as unknown as string)).toThrow(TypeError)
  })
})
