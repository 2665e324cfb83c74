// isValidX, validateX and ensureValidX must accept exactly the same strings. This matters most
// for DIDs, where isValidDid uses a regular expression (faster in V8) while validate/ensure
// explain failures with the char-code scanner.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as syntax from '../src/index.ts'
import {
  atUriSeed,
  cidSeed,
  datetimeSeed,
  didSeed,
  edgeString,
  handleSeed,
  languageSeed,
  nearMiss,
  nsidSeed,
  rkeySeed,
  tidSeed,
  uriSeed,
} from './near-miss.ts'

const SEEDS: Record<string, fc.Arbitrary<string>> = {
  Did: didSeed,
  Handle: handleSeed,
  Nsid: nsidSeed,
  RecordKey: rkeySeed,
  Tid: tidSeed,
  Datetime: datetimeSeed,
  AtUri: atUriSeed,
  AtIdentifier: fc.oneof(didSeed, handleSeed),
  Language: languageSeed,
  Uri: uriSeed,
  CidString: cidSeed,
}

describe('isValid / validate / ensure agree', () => {
  for (const [kind, seeds] of Object.entries(SEEDS)) {
    it(kind, () => {
      const table = syntax as unknown as Record<string, (s: string) => unknown>
      const is = table[`isValid${kind}`] as (s: string) => boolean
      const validate = table[`validate${kind}`] as (s: string) => syntax.ValidationResult<string>
      const ensure = table[`ensureValid${kind}`] as (s: string) => void
      let valid = 0
      fc.assert(
        fc.property(fc.oneof(nearMiss(seeds), edgeString), (s) => {
          const a = is(s)
          const r = validate(s)
          let threw = false
          try {
            ensure(s)
          } catch (e) {
            threw = e instanceof syntax.InvalidSyntaxError
          }
          if (a) valid++
          return a === r.success && a === !threw && (r.success || r.issues.length === 1)
        }),
        { seed: 42, numRuns: 300 },
      )
      expect(valid).toBeGreaterThan(10)
    })
  }
})
