// The package's own point arithmetic (src/weierstrass.ts) against @noble/curves on both curves:
// fixed-base and double-scalar multiplication (including sums that hit the identity or need a
// doubling), ECDSA verification on honest, tampered and random signatures, point decoding at the
// edges of the field, and modular inversion.
import { p256 } from '@noble/curves/nist.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { JwtAlg } from '../src/constants.ts'
import { verifyDigestJs } from '../src/curves.ts'
import { CURVES } from '../src/points.ts'
import { invert } from '../src/weierstrass.ts'

const NOBLE = { ES256K: secp256k1, ES256: p256 } as const
const ALGS: JwtAlg[] = ['ES256K', 'ES256']

const big = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`)
const bytes32 = (v: bigint) => Uint8Array.from(Buffer.from(v.toString(16).padStart(64, '0'), 'hex'))

describe.each(ALGS)('%s', (alg) => {
  const noble = NOBLE[alg]
  const curve = CURVES[alg]
  const { n, p } = curve.params
  const N = noble.Point
  /** A scalar in [0, n), biased towards the edges. */
  const scalar = fc.oneof(
    fc.bigInt({ min: 0n, max: n - 1n }),
    fc.constantFrom(0n, 1n, 2n, 15n, 16n, n - 1n, n - 2n, n - 16n, n >> 1n),
  )
  const nonzero = scalar.filter((k) => k !== 0n)

  it('multiplies the base point as noble does', () => {
    fc.assert(
      fc.property(nonzero, (k) => {
        expect(curve.toBytes(curve.multiplyBase(k), false)).toEqual(N.BASE.multiply(k).toBytes(false))
        expect(curve.baseX(k)).toBe(N.BASE.multiply(k).toAffine().x)
      }),
      { seed: 41, numRuns: 120 },
    )
    expect(() => curve.multiplyBase(0n)).toThrow(RangeError)
    expect(() => curve.multiplyBase(n)).toThrow(RangeError)
  })

  it('computes u1·G + u2·Q as noble does, identity and doubling included', () => {
    fc.assert(
      fc.property(
        nonzero,
        scalar,
        scalar,
        fc.constantFrom('random', 'identity', 'double'),
        (q, u1, u2, mode) => {
          const Q = N.BASE.multiply(q)
          // identity: u1 = -u2·q, so the sum is the identity; double: u1·G = u2·Q (the sum needs a doubling).
          if (mode === 'identity') u1 = (((n - u2) % n) * q) % n
          if (mode === 'double') u1 = (u2 * q) % n
          const table = curve.keyTable(curve.fromBytes(Q.toBytes(true)) as { x: bigint; y: bigint })
          const sum = N.BASE.multiplyUnsafe(u1).add(Q.multiplyUnsafe(u2))
          expect(curve.mulAddX(u1, u2, table)).toBe(sum.is0() ? null : sum.toAffine().x)
        },
      ),
      { seed: 42, numRuns: 150 },
    )
  })

  it('verifies exactly the signatures noble verifies (high-S allowed at this layer)', () => {
    let valid = 0
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 48, maxLength: 48 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.constantFrom('honest', 'high-s', 'flip', 'random', 'wrong-key'),
        fc.nat(511),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (seed, digest, mode, bit, random) => {
          const priv = noble.utils.randomSecretKey(seed)
          let pub = noble.getPublicKey(priv, true)
          let sig = noble.sign(digest, priv, { prehash: false, lowS: true, format: 'compact' })
          if (mode === 'high-s') sig.set(bytes32(n - big(sig.subarray(32))), 32)
          if (mode === 'flip') sig[bit >> 3] = (sig[bit >> 3] as number) ^ (1 << (bit & 7))
          if (mode === 'random') sig = random
          if (mode === 'wrong-key') pub = N.BASE.multiply(2n).toBytes(true)
          const table = curve.keyTable(curve.fromBytes(pub) as { x: bigint; y: bigint })
          const want = noble.verify(sig, digest, pub, { prehash: false, lowS: false })
          if (want) valid++
          expect(verifyDigestJs(alg, table, digest, sig)).toBe(want)
        },
      ),
      { seed: 43, numRuns: 200 },
    )
    expect(valid).toBeGreaterThan(40)
  })

  it('decodes points at the edges of the field as noble does', () => {
    const parse = (b: Uint8Array) => {
      const ours = curve.fromBytes(b)
      let theirs: Uint8Array | null = null
      try {
        theirs = N.fromBytes(b).toBytes(false)
      } catch {}
      expect([Buffer.from(b).toString('hex'), ours === null ? null : curve.toBytes(ours, false)]).toEqual([
        Buffer.from(b).toString('hex'),
        theirs,
      ])
    }
    const G = N.BASE.toAffine()
    for (const x of [0n, 1n, 2n, p - 1n, p, p + 1n, 2n ** 256n - 1n, G.x, G.x + p]) {
      if (x >= 2n ** 256n) continue
      for (const tag of [0, 1, 2, 3, 4, 5, 6, 7]) parse(Uint8Array.of(tag, ...bytes32(x)))
      parse(Uint8Array.of(4, ...bytes32(x), ...bytes32(G.y)))
      parse(Uint8Array.of(4, ...bytes32(G.x), ...bytes32(x)))
    }
    parse(Uint8Array.of(4, ...bytes32(G.x), ...bytes32(G.y + p < 2n ** 256n ? G.y + p : G.y)))
    parse(Uint8Array.of(4, ...bytes32(G.x), ...bytes32(p - G.y)))
    parse(new Uint8Array(65))
    parse(new Uint8Array(33))
    parse(new Uint8Array(0))
    parse(Uint8Array.of(2, ...bytes32(G.x), 0))
  })

  it('inverts modulo p and n', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: n - 1n }), (a) => {
        expect((invert(a, n) * a) % n).toBe(1n)
        expect((invert(a, p) * a) % p).toBe(1n)
        expect((invert(-a, n) * (n - a)) % n).toBe(1n)
      }),
      { seed: 44, numRuns: 200 },
    )
    expect(() => invert(0n, n)).toThrow(RangeError)
    expect(() => invert(p, p)).toThrow(RangeError)
  })
})
