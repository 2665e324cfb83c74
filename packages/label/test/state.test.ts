// LabelState (negation, expiry, newest wins) and self-labels.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { readSelfLabels } from '../src/self-labels.ts'
import { LabelState } from '../src/state.ts'
import type { Label } from '../src/types.ts'

const S = 'did:plc:labelerlabelerlabelerla'
const U = 'at://did:plc:zyxwvutsrqponmlkjihgfedc/app.bsky.feed.post/1'
const mk = (val: string, cts: string, extra: Partial<Label> = {}): Label => ({
  ver: 1,
  src: S,
  uri: U,
  val,
  cts,
  ...extra,
})

describe('LabelState', () => {
  it('issue, negate, re-issue and expire', () => {
    const st = new LabelState()
    st.apply(mk('spam', '2024-01-01T00:00:00Z'))
    st.apply(mk('rude', '2024-01-01T00:00:01Z', { exp: '2024-02-01T00:00:00Z' }))
    expect(st.current(U, { now: Date.parse('2024-01-15T00:00:00Z') }).map((l) => l.val)).toEqual([
      'rude',
      'spam',
    ])
    expect(st.current(U, { now: Date.parse('2024-03-01T00:00:00Z') }).map((l) => l.val)).toEqual(['spam'])
    st.apply(mk('spam', '2024-01-02T00:00:00Z', { neg: true }))
    expect(st.current(U, { now: Date.parse('2024-01-15T00:00:00Z') }).map((l) => l.val)).toEqual(['rude'])
    // an older label arriving late does not undo the negation
    expect(st.apply(mk('spam', '2023-12-31T00:00:00Z'))).toBe(false)
    expect(st.current(U, { now: Date.parse('2024-01-15T00:00:00Z') }).map((l) => l.val)).toEqual(['rude'])
    st.apply(mk('spam', '2024-01-03T00:00:00Z'))
    expect(st.current(U, { now: Date.parse('2024-01-15T00:00:00Z') }).map((l) => l.val)).toEqual([
      'rude',
      'spam',
    ])
    expect([...st.subjects()]).toEqual([U])
    expect(st.current('did:plc:nobody')).toEqual([])
  })

  it('the result does not depend on arrival order (distinct cts)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 1e6 }), fc.boolean()),
          {
            selector: (t) => t[1],
            maxLength: 30,
          },
        ),
        (ops) => {
          const labels = ops.map(([v, t, neg]) =>
            mk(v, new Date(1.7e12 + t * 1000).toISOString(), neg ? { neg } : {}),
          )
          const a = new LabelState()
          a.applyAll(labels)
          const b = new LabelState()
          b.applyAll([...labels].reverse())
          expect(a.current(U)).toEqual(b.current(U))
        },
      ),
      { seed: 3, numRuns: 100 },
    )
  })
})

describe('LabelState memory caps', () => {
  const at = (i: number) => `at://did:plc:zyxwvutsrqponmlkjihgfedc/app.bsky.feed.post/${i}`
  const on = (uri: string, val: string, cts = '2024-01-01T00:00:00Z', extra: Partial<Label> = {}): Label => ({
    ...mk(val, cts, extra),
    uri,
  })

  it('forgets the least recently used subject past maxSubjects (reads count as use)', () => {
    const evicted: { uri: string; labels: number }[] = []
    const st = new LabelState({ maxSubjects: 2, onEvict: (e) => evicted.push(e) })
    st.apply(on(at(1), 'spam'))
    st.apply(on(at(2), 'rude'))
    st.apply(on(at(2), 'porn'))
    expect(st.current(at(1)).map((l) => l.val)).toEqual(['spam']) // at(1) is now the most recent
    st.apply(on(at(3), 'gore'))
    expect(evicted).toEqual([{ uri: at(2), labels: 2 }])
    expect([...st.subjects()]).toEqual([at(1), at(3)])
    expect(st.current(at(2))).toEqual([]) // a forgotten subject reads as unlabelled
    expect(st.size).toBe(2)
    expect(st.subjectCount).toBe(2)
    expect(st.evictions).toBe(1)
  })

  it('drops the least recently applied key of a subject past maxLabelsPerSubject', () => {
    const evicted: { uri: string; labels: number }[] = []
    const st = new LabelState({ maxLabelsPerSubject: 2, onEvict: (e) => evicted.push(e) })
    st.apply(on(at(1), 'a'))
    st.apply(on(at(1), 'b'))
    st.apply(on(at(1), 'a', '2024-01-02T00:00:00Z')) // a re-applied: b is now the oldest
    st.apply(on(at(1), 'c'))
    expect(st.current(at(1)).map((l) => l.val)).toEqual(['a', 'c'])
    expect(evicted).toEqual([{ uri: at(1), labels: 1 }])
    expect(st.size).toBe(2)
  })

  it('stays within its caps over a long stream', () => {
    const st = new LabelState({ maxSubjects: 100, maxLabelsPerSubject: 3 })
    for (let i = 0; i < 20_000; i++) st.apply(on(at(i % 5_000), `v${i % 7}`))
    expect(st.subjectCount).toBe(100)
    expect(st.size).toBeLessThanOrEqual(300)
    let n = 0
    for (const uri of st.subjects()) n += st.current(uri).length
    expect(n).toBe(st.size)
  })

  it('matches a plain least-recently-used model on random operations', () => {
    type Op = { kind: 'apply'; s: number; v: string; t: number; neg: boolean } | { kind: 'read'; s: number }
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant('apply' as const),
        s: fc.integer({ min: 0, max: 6 }),
        v: fc.constantFrom('a', 'b', 'c', 'd'),
        t: fc.integer({ min: 0, max: 50 }),
        neg: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('read' as const), s: fc.integer({ min: 0, max: 6 }) }),
    )
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 60 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        (ops, maxSubjects, maxPer) => {
          const st = new LabelState({ maxSubjects, maxLabelsPerSubject: maxPer })
          // the model: subjects in an array (least recent first), each with its keys in an array
          const model: { uri: string; keys: { key: string; label: Label }[] }[] = []
          const touch = (uri: string) => {
            const i = model.findIndex((m) => m.uri === uri)
            if (i < 0) return undefined
            const [m] = model.splice(i, 1)
            model.push(m as (typeof model)[number])
            return m
          }
          for (const o of ops) {
            const uri = at(o.s)
            if (o.kind === 'read') {
              const m = touch(uri)
              const want = (m?.keys ?? [])
                .map((k) => k.label)
                .filter((l) => l.neg !== true)
                .map((l) => l.val)
                .sort()
              expect(st.current(uri).map((l) => l.val)).toEqual(want)
              continue
            }
            const label = on(
              uri,
              o.v,
              new Date(1.7e12 + o.t * 1000).toISOString(),
              o.neg ? { neg: true } : {},
            )
            let m = touch(uri)
            if (m === undefined) {
              if (model.length >= maxSubjects) model.shift()
              m = { uri, keys: [] }
              model.push(m)
            }
            const j = m.keys.findIndex((k) => k.key === o.v)
            const prior = m.keys[j]
            const accepted = prior === undefined || Date.parse(prior.label.cts) <= Date.parse(label.cts)
            if (accepted) {
              if (prior !== undefined) m.keys.splice(j, 1)
              else if (m.keys.length >= maxPer) m.keys.shift()
              m.keys.push({ key: o.v, label })
            }
            expect(st.apply(label)).toBe(accepted)
          }
          expect([...st.subjects()]).toEqual(model.map((m) => m.uri))
          expect(st.size).toBe(model.reduce((n, m) => n + m.keys.length, 0))
        },
      ),
      { seed: 11, numRuns: 200 },
    )
  })

  it('refuses caps that are not positive integers or Infinity', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => new LabelState({ maxSubjects: bad })).toThrow(RangeError)
      expect(() => new LabelState({ maxLabelsPerSubject: bad })).toThrow(RangeError)
    }
    expect(() => new LabelState({ maxSubjects: Number.POSITIVE_INFINITY })).not.toThrow()
  })
})

describe('readSelfLabels', () => {
  const rec = (labels: unknown) => ({ $type: 'app.bsky.feed.post', text: 'hi', labels })
  it('reads values, de-duplicated', () => {
    const r = readSelfLabels(
      rec({
        $type: 'com.atproto.label.defs#selfLabels',
        values: [{ val: 'porn' }, { val: 'porn' }, { val: 'nudity' }],
      }),
    )
    expect(r).toEqual({ success: true, values: ['porn', 'nudity'] })
    expect(readSelfLabels({ text: 'no labels' })).toEqual({ success: true, values: [] })
    expect(readSelfLabels(rec({ $type: 'other.union#thing' }))).toEqual({ success: true, values: [] })
  })
  it.each([
    ['labels not an object', rec('porn'), 'WRONG_TYPE'],
    ['values not an array', rec({ $type: 'com.atproto.label.defs#selfLabels', values: {} }), 'WRONG_TYPE'],
    [
      '11 values',
      rec({
        $type: 'com.atproto.label.defs#selfLabels',
        values: Array.from({ length: 11 }, (_, i) => ({ val: `v${i}` })),
      }),
      'TOO_LONG',
    ],
    [
      'val too long',
      rec({ $type: 'com.atproto.label.defs#selfLabels', values: [{ val: 'x'.repeat(129) }] }),
      'TOO_LONG',
    ],
    ['val missing', rec({ $type: 'com.atproto.label.defs#selfLabels', values: [{}] }), 'WRONG_TYPE'],
  ])('%s', (_n, record, code) => {
    const r = readSelfLabels(record)
    expect(r.success ? [] : r.issues.map((i) => i.code)).toContain(code)
  })
})
