// isValidDid uses a regular expression (faster in V8) while ensure/validate explain failures
// with the char-code scanner: both must accept exactly the same strings.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isValidAtIdentifier, isValidDid, validateAtIdentifier, validateDid } from '../src/index.ts'
import { didSeed, edgeString, handleSeed, nearMiss } from './near-miss.ts'

describe('DID fast path', () => {
  it('regex and scanner agree on near-miss strings', () => {
    let valid = 0
    fc.assert(
      fc.property(fc.oneof(nearMiss(didSeed), edgeString), (s) => {
        const fast = isValidDid(s)
        if (fast) valid++
        return fast === validateDid(s).success
      }),
      { seed: 42, numRuns: 1000 },
    )
    expect(valid).toBeGreaterThan(50)
  })

  it('at-identifier fast path and scanner agree', () => {
    fc.assert(
      fc.property(fc.oneof(nearMiss(didSeed), nearMiss(handleSeed)), (s) => {
        return isValidAtIdentifier(s) === validateAtIdentifier(s).success
      }),
      { seed: 42, numRuns: 600 },
    )
  })
})
