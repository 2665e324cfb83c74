// Every validator against the same table of hostile inputs: each must answer false / throw its
// named error (TypeError for non-strings passed to ensure*), never crash, hang or return garbage.
import { describe, expect, it } from 'vitest'
import * as syntax from '../src/index.ts'

const KINDS = [
  'Did',
  'Handle',
  'Nsid',
  'RecordKey',
  'Tid',
  'Datetime',
  'AtUri',
  'AtIdentifier',
  'Language',
  'Uri',
  'CidString',
] as const

const MB = 1 << 20
const HOSTILE: readonly string[] = [
  '',
  ' ',
  '\u0000',
  '\ud800', // lone surrogate
  '\udfff\ud800',
  '💩'.repeat(1000),
  'a'.repeat(MB),
  `did:plc:${'a'.repeat(MB)}`,
  `at://did:plc:abc/${'a.'.repeat(MB / 2)}b`,
  `${'a.'.repeat(MB / 2)}com`,
  `https://example.com/${'x'.repeat(MB)}`,
  `en${'-a-bb'.repeat(1000)}`,
  `${'2'.repeat(13)}\u0000`,
  '__proto__',
  'constructor',
  'at://__proto__.test/app.bsky.feed.post/__proto__#/__proto__',
  '%'.repeat(5000),
  `at://did:plc:abc/app.bsky.feed.post/abc#/${'%'.repeat(3000)}`,
  '1985-04-12T23:20:50.123Z\u0000',
  `1985-04-12T23:20:50.${'1'.repeat(MB)}Z`,
]

type Validators = { is: (s: string) => boolean; ensure: (s: string) => void }

function validators(kind: (typeof KINDS)[number]): Validators {
  const table = syntax as unknown as Record<string, unknown>
  return {
    is: table[`isValid${kind}`] as Validators['is'],
    ensure: table[`ensureValid${kind}`] as Validators['ensure'],
  }
}

describe('hostile input table', () => {
  for (const kind of KINDS) {
    it(`${kind}: rejects hostile strings with a named error`, () => {
      const { is, ensure } = validators(kind)
      for (const s of HOSTILE) {
        const ok = is(s)
        expect(typeof ok).toBe('boolean')
        if (ok) continue // e.g. "__proto__" is a fine record key
        let err: unknown
        try {
          ensure(s)
        } catch (e) {
          err = e
        }
        expect(err, `${kind} ${s.slice(0, 40)}`).toBeInstanceOf(syntax.InvalidSyntaxError)
        expect((err as syntax.InvalidSyntaxError).message.length).toBeLessThan(400)
      }
    })

    it(`${kind}: non-strings are false for isValid and TypeError for ensure`, () => {
      const { is, ensure } = validators(kind)
      for (const v of [undefined, null, 42, {}, [], Symbol('x'), new String('did:plc:abc')]) {
        expect(is(v as unknown as string)).toBe(false)
        expect(() => ensure(v as unknown as string)).toThrow(TypeError)
      }
    })
  }

  it('validate* results carry code, message and path', () => {
    const r = syntax.validateNsid('com.exa💩ple.thing')
    expect(r).toEqual({
      success: false,
      issues: [
        { code: 'invalid_nsid', message: expect.stringMatching(/disallowed character/), path: [], offset: 7 },
      ],
    })
    expect(syntax.validateNsid('com.example.thing')).toEqual({ success: true, value: 'com.example.thing' })
  })
})
