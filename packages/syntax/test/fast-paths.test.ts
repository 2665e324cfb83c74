// The boolean fast paths (one-pass AT-URI scanner, DID range check without regex or slicing,
// CID string loop, URI length shortcut) against the scanners that explain failures, which are
// the reference behaviour. A fast path may only answer "valid" for what the scanner accepts,
// and the public isValid* functions must give exactly the scanner's answer.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { atUriProblem } from '../src/aturi.ts'
import { cidStringProblem } from '../src/cid-string.ts'
import { datetimeProblem, isDatetime } from '../src/datetime.ts'
import { didProblem, isDidRange } from '../src/did.ts'
import { isValidAtUri, isValidCidString, isValidDatetime, isValidDid, isValidUri } from '../src/index.ts'
import { isAtUri } from '../src/scan.ts'
import { uriProblem } from '../src/uri.ts'
import {
  atUriSeed,
  cidSeed,
  datetimeSeed,
  didSeed,
  edgeString,
  nearMiss,
  nsidSeed,
  rkeySeed,
  uriSeed,
} from './near-miss.ts'

const RUNS = { seed: 7, numRuns: 2000 }

// The shape the AT-URI fast path handles: a DID authority, then optionally a collection and record key.
const didAtUri = fc
  .tuple(didSeed, fc.option(nsidSeed, { nil: undefined }), fc.option(rkeySeed, { nil: undefined }))
  .map(([d, c, r]) => `at://${d}${c === undefined ? '' : `/${c}${r === undefined ? '' : `/${r}`}`}`)

describe('AT-URI fast path', () => {
  it('isValidAtUri equals the scanner; the fast path never accepts what the scanner rejects', () => {
    let fast = 0
    let valid = 0
    fc.assert(
      fc.property(fc.oneof(nearMiss(didAtUri), nearMiss(atUriSeed), edgeString), (s) => {
        const ref = atUriProblem(s) === undefined
        if (isAtUri(s)) {
          fast++
          if (!ref) return false
        }
        if (ref) valid++
        return isValidAtUri(s) === ref
      }),
      RUNS,
    )
    // isAtUri is the whole boolean check now (no fallback): it accepts every valid URI.
    expect(fast).toBeGreaterThan(200)
    expect(valid).toBe(fast)
  })

  it('takes the fast path for a typical strong-ref URI', () => {
    expect(isAtUri('at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3kznmn7xqxl22')).toBe(true)
    expect(isAtUri('at://did:web:example.com')).toBe(true)
    // Boundaries the fast path checks itself.
    expect(isValidAtUri(`at://did:plc:${'a'.repeat(2040)}`)).toBe(true)
    expect(isValidAtUri(`at://did:plc:${'a'.repeat(2041)}`)).toBe(false)
    expect(isValidAtUri('at://did:plc:abc/a.b.c/..')).toBe(false)
    expect(isValidAtUri('at://did:plc:abc/a.b.c-d/x')).toBe(false)
    expect(isValidAtUri('at://did:plc:abc/a.b-.c/x')).toBe(false)
    expect(isValidAtUri(`at://did:plc:abc/a.b.${'c'.repeat(63)}`)).toBe(true)
    expect(isValidAtUri(`at://did:plc:abc/a.b.${'c'.repeat(64)}`)).toBe(false)
    expect(isValidAtUri('at://did:plc:abc%/a.b.c')).toBe(false)
    expect(isValidAtUri('at://did:plc:abc:/a.b.c')).toBe(false)
    expect(isValidAtUri('at://did:plc:abc/1.b.c')).toBe(false)
    expect(isValidAtUri('at://did:plc:abc/a.b.1')).toBe(false)
  })
})

describe('DID fast path', () => {
  it('isValidDid equals the scanner', () => {
    fc.assert(
      fc.property(fc.oneof(nearMiss(didSeed), edgeString), (s) => {
        return isValidDid(s) === (didProblem(s) === undefined)
      }),
      RUNS,
    )
  })

  it('checks a range of a larger string without looking outside it', () => {
    fc.assert(
      fc.property(nearMiss(didSeed), edgeString, edgeString, (s, before, after) => {
        const whole = before + s + after
        const start = before.length
        const end = start + s.length
        return isDidRange(whole, start, end) === (didProblem(whole, start, end) === undefined)
      }),
      RUNS,
    )
  })
})

describe('CID string and URI fast paths', () => {
  it('isValidCidString equals the rule written as a regular expression', () => {
    // 8-256 characters of A-Za-z0-9+=, and not a CIDv0 (46 characters starting "Qm").
    const rule = (s: string) => /^[A-Za-z0-9+=]{8,256}$/.test(s) && !(s.length === 46 && s.startsWith('Qm'))
    fc.assert(
      fc.property(fc.oneof(nearMiss(cidSeed), edgeString), (s) => {
        const ref = rule(s)
        return isValidCidString(s) === ref && (cidStringProblem(s) === undefined) === ref
      }),
      RUNS,
    )
  })

  it('the URI byte limit is still enforced when UTF-8 is longer than UTF-16', () => {
    const near = `https://e.x/${'é'.repeat(4090)}` // 4102 units, 8192 bytes
    expect(new TextEncoder().encode(near).length).toBe(8192)
    expect(isValidUri(near)).toBe(true)
    expect(isValidUri(`${near}é`)).toBe(false)
    expect(uriProblem(`${near}a`)).toBeDefined()
    fc.assert(
      fc.property(
        fc.oneof(nearMiss(uriSeed), edgeString),
        (s) => isValidUri(s) === (uriProblem(s) === undefined),
      ),
      RUNS,
    )
  })
})

describe('datetime fast path', () => {
  // UTC datetimes with every field at and around its limits, then near-misses of those.
  const pad = (n: number, w: number) => String(n).padStart(w, '0')
  const utc = fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }),
      fc.integer({ min: 0, max: 13 }),
      fc.integer({ min: 0, max: 32 }),
      fc.integer({ min: 0, max: 24 }),
      fc.integer({ min: 0, max: 60 }),
      fc.integer({ min: 0, max: 60 }),
      fc.option(fc.stringMatching(/^[0-9]{0,12}$/), { nil: undefined }),
    )
    .map(
      ([y, mo, d, h, mi, s, frac]) =>
        `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${frac === undefined ? '' : `.${frac}`}Z`,
    )

  it('isValidDatetime equals the scanner', () => {
    let valid = 0
    fc.assert(
      fc.property(fc.oneof(utc, nearMiss(utc), nearMiss(datetimeSeed), edgeString), (s) => {
        const ref = datetimeProblem(s) === undefined
        if (ref) valid++
        return isDatetime(s) === ref && isValidDatetime(s) === ref
      }),
      RUNS,
    )
    expect(valid).toBeGreaterThan(200)
  })

  it('checks the calendar', () => {
    expect(isValidDatetime('2024-02-29T00:00:00Z')).toBe(true)
    expect(isValidDatetime('2023-02-29T00:00:00Z')).toBe(false)
    expect(isValidDatetime('2000-02-29T00:00:00.000Z')).toBe(true)
    expect(isValidDatetime('1900-02-29T00:00:00.000Z')).toBe(false)
    expect(isValidDatetime('2024-04-31T00:00:00Z')).toBe(false)
    expect(isValidDatetime('2024-04-30T23:59:59.Z')).toBe(false)
    expect(isValidDatetime('0000-01-01T00:00:00+01:00')).toBe(false)
    expect(isValidDatetime('2024-01-01T00:00:00-00:00')).toBe(false)
  })
})
