import { p256 } from '@noble/curves/nist.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { invertModPrime } from './invert.ts'

describe('invertModPrime (Lehmer) agrees with @noble inversion', () => {
  for (const [name, Fn] of [
    ['secp256k1 n', secp256k1.Point.Fn],
    ['P-256 n', p256.Point.Fn],
    ['P-256 p', p256.Point.Fp],
  ] as const) {
    const m = Fn.ORDER
    it(`${name}: random values and the edges`, () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 1n, max: m - 1n }), (k) => {
          expect(invertModPrime(k, m)).toBe(Fn.inv(k))
        }),
        { seed: 7, numRuns: 2000 },
      )
      const edges = [
        1n,
        2n,
        3n,
        m - 1n,
        m - 2n,
        m >> 1n,
        (m >> 1n) + 1n,
        1n << 200n,
        (1n << 255n) % m,
        0xffffffffn,
      ]
      for (const k of edges) expect(invertModPrime(k, m)).toBe(Fn.inv(k))
      // Small and near-power-of-two values exercise the full-precision steps.
      for (let i = 1n; i < 300n; i++) expect(invertModPrime(i, m)).toBe(Fn.inv(i))
    })
  }
})
