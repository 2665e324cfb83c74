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
