// The `isValid*` checks run the message-free scanners of src/scan.ts (and two regular
// expressions), kept apart from the `*Problem` scanners so a browser bundle that only asks
// "is this valid?" carries none of the error text. Here every one of them must give exactly the
// answer of the scanner that explains failures, on near-miss and edge inputs, whole and as a
// part of a larger string (the AT-URI walks its parts without slicing).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { atUriProblem } from '../src/aturi.ts'
import { datetimeProblem, isDatetime } from '../src/datetime.ts'
import { didProblem } from '../src/did.ts'
import { handleProblem } from '../src/handle.ts'
import {
  isValidAtUri,
  isValidDatetime,
  isValidDid,
  isValidHandle,
  isValidNsid,
  isValidRecordKey,
  isValidTid,
} from '../src/index.ts'
import { nsidProblem } from '../src/nsid.ts'
import { recordKeyProblem } from '../src/record-key.ts'
import { didEnd, handleEnd, isAtUri, nsidEnd, rkeyEnd } from '../src/scan.ts'
import { tidProblem } from '../src/tid.ts'
import {
  atUriSeed,
  datetimeSeed,
  didSeed,
  edgeString,
  handleSeed,
  nearMiss,
  nsidSeed,
  rkeySeed,
  tidSeed,
} from './near-miss.ts'

const RUNS = { seed: 11, numRuns: 1500 }

type Problem = (s: string, start?: number, end?: number) => unknown
type End = (s: string, start: number, len: number) => number

const KINDS: [string, (s: string) => boolean, Problem, fc.Arbitrary<string>][] = [
  ['DID', isValidDid, didProblem, didSeed],
  ['handle', isValidHandle, handleProblem, handleSeed],
  ['NSID', isValidNsid, nsidProblem, nsidSeed],
  ['record key', isValidRecordKey, recordKeyProblem, rkeySeed],
  ['TID', isValidTid, tidProblem, tidSeed],
  ['datetime', isValidDatetime, datetimeProblem, datetimeSeed],
  ['AT-URI', isValidAtUri, atUriProblem, atUriSeed],
]

describe('isValid* equals the scanner that explains failures', () => {
  for (const [kind, is, problem, seed] of KINDS) {
    it(kind, () => {
      let valid = 0
      fc.assert(
        fc.property(fc.oneof(seed, nearMiss(seed), edgeString), (s) => {
          const ref = problem(s) === undefined
          if (ref) valid++
          return is(s) === ref
        }),
        RUNS,
      )
      expect(valid).toBeGreaterThan(50)
    })
  }

  it('non-strings are invalid, never a crash', () => {
    for (const [, is] of KINDS) {
      for (const v of [undefined, null, 1, {}, [], new String('did:plc:abc')]) {
        expect(is(v as unknown as string)).toBe(false)
      }
    }
  })
})

// A component scanner stops at the first character its grammar does not allow: in an AT-URI that
// is the "/", "#" or "?" after the part. Followed by a delimiter, it must accept exactly the
// parts the scanner accepts on that range.
const PARTS: [string, End, Problem, fc.Arbitrary<string>][] = [
  ['DID', didEnd, didProblem, didSeed],
  ['handle', handleEnd, handleProblem, handleSeed],
  ['NSID', nsidEnd, nsidProblem, nsidSeed],
  ['record key', rkeyEnd, recordKeyProblem, rkeySeed],
]

describe('component scanners inside a larger string', () => {
  for (const [kind, end, problem, seed] of PARTS) {
    it(kind, () => {
      fc.assert(
        fc.property(
          fc.string({ maxLength: 4 }),
          fc.oneof(seed, nearMiss(seed)),
          fc.constantFrom('', '/', '#', '?', '/x', '#/y'),
          (before, part, after) => {
            const whole = before + part + after
            const start = before.length
            const stop = start + part.length
            const ref = problem(whole, start, stop) === undefined
            const got = end(whole, start, whole.length)
            // Valid and stopped at the delimiter, or invalid; stopping elsewhere means "not this part".
            return ref ? got === stop : got !== stop
          },
        ),
        { seed: 12, numRuns: 1000 },
      )
    })
  }
})

describe('boundaries', () => {
  it('AT-URI', () => {
    const ok = (s: string) => expect([s, isAtUri(s)]).toEqual([s, atUriProblem(s) === undefined])
    for (const s of [
      'at://did:plc:abc',
      'at://did:plc:abc/a.b.c',
      'at://did:plc:abc/a.b.c/self',
      'at://did:plc:abc/a.b.c/self#/x',
      'at://alice.test#/a%20b',
      'at://alice.test#/a%2',
      'at://alice.test#a',
      'at://alice.test#',
      'at://alice.test/',
      'at://alice.test/a.b.c/',
      'at://alice.test/a.b.c/k/',
      'at://alice.test/a.b.c/k/x',
      'at://alice.test?q',
      'at://alice.test/a.b.c?q',
      'at://did:/a.b.c',
      'at://did:plc:/a.b.c',
      'at://did',
      'at://',
      'at:/',
      `at://did:plc:${'a'.repeat(2040)}`,
      `at://did:plc:${'a'.repeat(2041)}`,
      `at://alice.test/a.b.c/${'k'.repeat(512)}`,
      `at://alice.test/a.b.c/${'k'.repeat(513)}`,
      `at://alice.test/a.b.c#/${'x'.repeat(8200)}`,
    ]) {
      ok(s)
    }
  })

  it('datetime', () => {
    for (const s of [
      '0000-01-01T00:00:00+01:00',
      '0000-01-01T01:00:00+01:00',
      '0000-01-01T00:59:59+01:00',
      '9999-12-31T23:59:59-01:00',
      '9999-12-31T22:59:59-01:00',
      '2024-01-01T00:00:00-00:00',
      '2024-01-01T00:00:00+00:00',
      '20x4-01-01T00:00:00Z',
      '2x24-01-01T00:00:00Z',
      '2024-01-01T00:00:00.Z',
      '2024-01-01T00:00:00.1234567890123456789012345678901234567890123Z',
      '2024-01-01T00:00:00.123+24:00',
      '2024-01-01T00:00:00.123+23:60',
      '2024-01-01T00:00:00.123+2300',
      '2024-02-29T00:00:00Z',
      '2023-02-29T00:00:00Z',
    ]) {
      expect([s, isDatetime(s)]).toEqual([s, datetimeProblem(s) === undefined])
    }
  })
})
