// The pieces the clients are built from: backoff, the per-key scheduler, the safe cursor.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { backoffDelay } from '../src/connection.ts'
import { CursorSaver, MemoryCursorStore, SafeCursor } from '../src/cursor.ts'
import { KeyedScheduler } from '../src/scheduler.ts'

describe('backoffDelay', () => {
  it('grows exponentially to the cap, with jitter between half and all of the step', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (n, r) => {
          const d = backoffDelay(n, { minDelayMs: 100, maxDelayMs: 10_000 }, () => r)
          const step = Math.min(10_000, 100 * 2 ** n)
          expect(d).toBeGreaterThanOrEqual(step / 2)
          expect(d).toBeLessThanOrEqual(step)
        },
      ),
    )
    expect(backoffDelay(0, {}, () => 0)).toBe(125)
    expect(backoffDelay(1000, {}, () => 0.999)).toBeLessThanOrEqual(30_000)
  })
})

describe('KeyedScheduler', () => {
  it('runs one key in order, different keys in parallel up to the cap; errors do not stop a key', async () => {
    const errors: unknown[] = []
    const s = new KeyedScheduler({ concurrency: 3, onError: (e) => errors.push(e) })
    const order = new Map<string, number[]>()
    let running = 0
    let maxRunning = 0
    const perKey = new Map<string, number>()
    const rand = fc.sample(fc.integer({ min: 0, max: 3 }), 600)
    for (let i = 0; i < 600; i++) {
      const key = `k${i % 7}`
      s.push(key, async () => {
        running++
        perKey.set(key, (perKey.get(key) ?? 0) + 1)
        expect(perKey.get(key)).toBe(1) // never two tasks of one key at once
        maxRunning = Math.max(maxRunning, running)
        await new Promise((r) => setTimeout(r, rand[i]))
        const list = order.get(key) ?? []
        list.push(i)
        order.set(key, list)
        perKey.set(key, (perKey.get(key) ?? 1) - 1)
        running--
        if (i % 50 === 0) throw new Error(`task ${i}`)
      })
    }
    expect(s.pending).toBe(600)
    await s.idle()
    expect(s.pending).toBe(0)
    expect(maxRunning).toBe(3)
    for (const list of order.values()) expect(list).toEqual([...list].sort((a, b) => a - b))
    expect([...order.values()].reduce((n, l) => n + l.length, 0)).toBe(600)
    expect(errors).toHaveLength(12)
    expect(() => new KeyedScheduler({ concurrency: 0, onError: () => {} })).toThrow(RangeError)
  })
})

describe('SafeCursor', () => {
  it('never passes an unfinished seq, whatever order events finish in (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 200 }),
        fc.infiniteStream(fc.nat()),
        (raw, picks) => {
          const seqs = [...raw].sort((a, b) => a - b)
          const c = new SafeCursor(0)
          for (const s of seqs) c.start(s)
          const open = new Set(seqs)
          const it = picks[Symbol.iterator]()
          while (open.size > 0) {
            const list = [...open]
            const s = list[(it.next().value as number) % list.length] as number
            open.delete(s)
            c.finish(s)
            const minOpen = Math.min(...open)
            const v = c.value as number
            if (open.size > 0) expect(v).toBeLessThan(minOpen)
            expect(seqs.filter((x) => x <= v).every((x) => !open.has(x))).toBe(true)
          }
          expect(c.value).toBe(seqs.at(-1))
          expect(c.inFlight).toBe(0)
        },
      ),
    )
    const c = new SafeCursor()
    c.start(5)
    expect(() => c.start(5)).toThrow(RangeError)
    expect(() => c.finish(6)).toThrow(RangeError)
  })

  it('CursorSaver writes the latest value, one write at a time', async () => {
    const writes: number[] = []
    let inFlight = 0
    const store = new MemoryCursorStore()
    const saver = new CursorSaver(
      {
        load: () => store.load(),
        save: async (c) => {
          inFlight++
          expect(inFlight).toBe(1)
          await new Promise((r) => setTimeout(r, 2))
          writes.push(c)
          store.save(c)
          inFlight--
        },
      },
      () => {},
    )
    for (let i = 1; i <= 50; i++) saver.save(i)
    await saver.flush()
    expect(store.cursor).toBe(50)
    expect(writes.length).toBeLessThan(5) // coalesced
  })
})
