// The browser's isValidTid (one pattern, tid-check.browser.ts) against the table of tid-check.ts,
// which every other runtime uses: the same answer for every input.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isValidTid, Tid } from '../src/tid.ts'
import { isValidTid as patternCheck } from '../src/tid-check.browser.ts'
import { isValidTid as tableCheck } from '../src/tid-check.ts'

const S32 = '234567abcdefghijklmnopqrstuvwxyz'
// Near the alphabet on purpose: its neighbours, upper case, digits 0, 1, 8, 9, non-ASCII.
const NEAR = `${S32}0189ABJKZ{|\`/:@ éÿ\u0100\u{1F600}`

describe('isValidTid: pattern (browsers) and table (elsewhere)', () => {
  it('agree on every first character and every character after it', () => {
    let cases = 0
    for (let c = 0; c < 0x300; c++) {
      const ch = String.fromCharCode(c)
      for (const s of [ch + '2'.repeat(12), `3${ch}${'2'.repeat(11)}`, `3${'2'.repeat(11)}${ch}`]) {
        expect(patternCheck(s), JSON.stringify(s)).toBe(tableCheck(s))
        cases++
      }
    }
    expect(cases).toBeGreaterThan(0)
  })

  it('agree on strings near TID syntax and on any value', () => {
    const near = fc.string({ unit: fc.constantFrom(...NEAR), minLength: 11, maxLength: 15 })
    fc.assert(
      fc.property(near, (s) => patternCheck(s) === tableCheck(s)),
      { seed: 42, numRuns: 5_000 },
    )
    fc.assert(
      fc.property(fc.anything(), (v) => patternCheck(v as string) === tableCheck(v as string)),
      { seed: 42, numRuns: 1_000 },
    )
    for (const s of [
      '3jzfcijpj2z2a',
      '2222222222222',
      'jzzzzzzzzzzzz',
      'kzzzzzzzzzzzz',
      '3jzfcijpj2z2a\n',
      '',
    ]) {
      expect(patternCheck(s)).toBe(tableCheck(s))
    }
    expect(patternCheck('3jzfcijpj2z2a')).toBe(true)
    expect(patternCheck('kzzzzzzzzzzzz')).toBe(false)
    expect(patternCheck('3jzfcijpj2z2a\n')).toBe(false)
    // what the package exports (the table here, in Node) and Tid.isValid, built on it
    expect([isValidTid('3jzfcijpj2z2a'), Tid.isValid('3jzfcijpj2z2a'), Tid.isValid('kzzzzzzzzzzzz')]).toEqual(
      [true, true, false],
    )
  })
})
