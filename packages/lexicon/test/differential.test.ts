// Differential test against @atproto/lexicon: records generated from the real lexicons (valid ones,
// and each mutated in one place) must get the same verdict from both validators, except where the
// reference departs from the spec (each such case is classified and counted below).
import { Lexicons as AtprotoLexicons, jsonToLex } from '@atproto/lexicon'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Lexicons, type ValidationIssue } from '../src/index.ts'
import { DataArbitraries, mutate, mutationPaths, REPLACEMENTS } from './arbitrary.ts'
import { loadRealLexicons } from './real-lexicons.ts'

const docs = loadRealLexicons().map((f) => f.doc)
const ours = new Lexicons(docs)
const theirs = new AtprotoLexicons(structuredClone(docs) as never[])
const arbs = new DataArbitraries(ours)

const RECORDS = [...ours]
  .filter((d) => d.defs['main']?.type === 'record')
  .map((d) => d.id)
  // com.atproto.lexicon.schema is the meta-schema; its generated values are uninteresting.
  .filter((id) => id !== 'com.atproto.lexicon.schema')

function atprotoVerdict(nsid: string, value: unknown): boolean {
  try {
    theirs.assertValidRecord(nsid, jsonToLex(value))
    return true
  } catch {
    return false
  }
}

/**
 * Where @atproto/lexicon accepts what the spec (and the interop vectors) reject. Returns the
 * category, or undefined when our rejection is not explained by a known departure.
 */
function knownDeparture(issues: readonly ValidationIssue[]): string | undefined {
  const kinds = new Set(
    issues.map((i) => {
      if (i.code === 'blob_mime' || i.code === 'blob_size')
        return 'reference does not check blob accept/maxSize'
      if (i.code === 'invalid_data') return 'reference does not check data-model rules inside unknown'
      if (i.code === 'invalid_type' && i.message.startsWith('unknown must be an object')) {
        return 'reference accepts non-objects (arrays) for unknown'
      }
      if (
        i.code === 'invalid_type' &&
        i.message.endsWith('got=array') &&
        i.message.startsWith('expected an object')
      ) {
        return 'reference accepts an array where an object is expected'
      }
      if (i.code === 'format' && i.message.endsWith('datetime')) return 'reference datetime check is lenient'
      return 'unexplained'
    }),
  )
  return kinds.size === 1 && !kinds.has('unexplained') ? [...kinds][0] : undefined
}

describe('differential vs @atproto/lexicon on real record schemas', () => {
  it('has record types to test', () => {
    expect(RECORDS.length).toBeGreaterThan(15)
  })

  const departures = new Map<string, number>()
  let compared = 0
  let bothValid = 0
  let unmutatedValid = 0
  let unmutated = 0

  it.each(RECORDS)('%s: generated records get the same verdict', (nsid) => {
    const arb = arbs.record(nsid).chain((value) => {
      const paths = mutationPaths(value)
      return fc.tuple(
        fc.constant(value),
        paths.length === 0 ? fc.constant(undefined) : fc.constantFrom(...paths),
        fc.constantFrom(...REPLACEMENTS),
      )
    })
    fc.assert(
      fc.property(arb, ([value, path, replacement]) => {
        const candidates = path === undefined ? [value] : [value, mutate(value, path, replacement)]
        for (const candidate of candidates) {
          const mine = ours.validateRecord(nsid, candidate)
          const ref = atprotoVerdict(nsid, candidate)
          compared++
          if (candidate === value) {
            unmutated++
            if (mine.success) unmutatedValid++
          }
          if (mine.success && ref) bothValid++
          if (mine.success === ref) continue
          const why = mine.success ? undefined : knownDeparture(mine.issues)
          if (why === undefined) {
            throw new Error(
              `verdicts differ; nsid=${nsid}; ours=${mine.success}; atproto=${ref}; value=${JSON.stringify(candidate).slice(0, 400)}; issues=${JSON.stringify(mine.success ? [] : mine.issues)}`,
            )
          }
          departures.set(why, (departures.get(why) ?? 0) + 1)
        }
      }),
      { seed: 42, numRuns: 150 },
    )
  })

  it('summary', () => {
    expect(compared).toBeGreaterThan(1000)
    // The generator must mostly produce valid records, or the test says little.
    expect(unmutatedValid / unmutated).toBeGreaterThan(0.9)
    expect(compared - bothValid).toBeGreaterThan(compared / 5)
    console.log(
      `differential: ${compared} comparisons, ${unmutatedValid}/${unmutated} generated records valid, ${bothValid} valid by both; departures of the reference from the spec:`,
      Object.fromEntries(departures),
    )
  })
})

describe('where @atproto/lexicon departs from the spec on the interop vectors', () => {
  it('the reference accepts the two blob-constraint cases (no accept/maxSize checks); we reject every case', async () => {
    const { listInteropFiles, readInteropJson } = await import('@rsky/test-vectors')
    const catalog = listInteropFiles('atproto-interop-tests', 'lexicon/catalog', '.json').map((f) =>
      readInteropJson('atproto-interop-tests', f),
    )
    const ref = new AtprotoLexicons(structuredClone(catalog) as never[])
    const mine = new Lexicons(catalog)
    const cases = readInteropJson<{ name: string; data: unknown }[]>(
      'atproto-interop-tests',
      'lexicon/record-data-invalid.json',
    )
    const acceptedByReference = cases
      .filter((c) => {
        try {
          ref.assertValidRecord('example.lexicon.record', jsonToLex(c.data))
          return true
        } catch {
          return false
        }
      })
      .map((c) => c.name)
    for (const c of cases) expect(mine.validateRecord('example.lexicon.record', c.data).success).toBe(false)
    // Documented in README "Differences from @atproto/lexicon".
    expect(acceptedByReference).toEqual(['blob too large', 'blob wrong type'])
  })
})
