// The Node entry's secp256k1 path (libsecp256k1 in WebAssembly, through tiny-secp256k1) against
// @noble/curves on fast-check inputs: signatures byte-identical for any key and any 32-byte digest
// (including digests at or above the order, which RFC 6979 reduces), and the same verdict as noble
// on valid, high-S, out-of-range, random, wrong-key and wrong-digest signatures, over data and
// over a digest, strict and malleable.
import { secp256k1 } from '@noble/curves/secp256k1.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as node from '../src/index.node.ts'
import * as browser from '../src/index.ts'
import { hex } from './entries.ts'

const SEED = { seed: 7 }
const N = secp256k1.Point.Fn.ORDER
const be32 = (x: bigint): Uint8Array => Uint8Array.from(Buffer.from(x.toString(16).padStart(64, '0'), 'hex'))
const raw = (r: bigint, s: bigint): Uint8Array => Uint8Array.from([...be32(r), ...be32(s)])
const privArb = fc.bigInt({ min: 1n, max: N - 1n }).map(be32)
// Uniform digests almost never reach n, so the edges are drawn on purpose.
const digestArb = fc.oneof(
  fc.uint8Array({ minLength: 32, maxLength: 32 }),
  fc.constantFrom(0n, 1n, N - 1n, N, N + 1n, (1n << 256n) - 1n).map(be32),
  fc.bigInt({ min: N, max: (1n << 256n) - 1n }).map(be32),
)

/** noble's verdict over a digest; lowS: true is the strict rule, false accepts high-S. */
function nobleVerify(sig: Uint8Array, digest: Uint8Array, pub: Uint8Array, lowS: boolean): boolean {
  try {
    return secp256k1.verify(sig, digest, pub, { prehash: false, lowS, format: 'compact' })
  } catch {
    return false
  }
}

const sigVariantArb = fc.oneof(
  fc.constant('valid' as const),
  fc.constant('high-s' as const),
  fc.constant('wrong-key' as const),
  fc.constant('wrong-digest' as const),
  fc.constant('r-zero' as const),
  fc.constant('s-zero' as const),
  fc.constant('r-order' as const),
  fc.constant('s-order' as const),
  fc.constant('r-max' as const),
  fc.record({ flip: fc.nat(511) }),
  fc.record({ random: fc.uint8Array({ minLength: 64, maxLength: 64 }) }),
)

describe('node entry secp256k1 (libsecp256k1) vs @noble/curves', () => {
  it('signDigest and sign are byte-identical to noble and the browser entry, always low-S', () => {
    fc.assert(
      fc.property(privArb, digestArb, fc.uint8Array({ maxLength: 100 }), (priv, digest, data) => {
        const ours = node.Secp256k1Keypair.import(priv)
        const expected = secp256k1.sign(digest, priv, { prehash: false, lowS: true, format: 'compact' })
        const sig = ours.signDigest(digest)
        expect(hex(sig)).toBe(hex(expected))
        expect(hex(sig)).toBe(hex(browser.Secp256k1Keypair.import(priv).signDigest(digest)))
        expect(node.isHighS('ES256K', sig)).toBe(false)
        expect(hex(ours.signSync(data))).toBe(hex(secp256k1.sign(data, priv)))
      }),
      { ...SEED, numRuns: 150 },
    )
  })

  it('verifySignature and verifySignatureDigest agree with noble on every generated signature', () => {
    const verdicts = { true: 0, false: 0 }
    fc.assert(
      fc.property(
        privArb,
        privArb,
        fc.uint8Array({ maxLength: 100 }),
        sigVariantArb,
        (priv, otherPriv, data, variant) => {
          const kp = node.Secp256k1Keypair.import(priv)
          const did = kp.did()
          const pub = kp.publicKeyBytes()
          let digest = node.sha256(data)
          const good = kp.signDigest(digest)
          const sig = secp256k1.Signature.fromBytes(good, 'compact')
          let bad: Uint8Array
          if (variant === 'valid') bad = good
          else if (variant === 'high-s') bad = raw(sig.r, N - sig.s)
          else if (variant === 'wrong-key') bad = node.Secp256k1Keypair.import(otherPriv).signDigest(digest)
          else if (variant === 'wrong-digest') {
            bad = good
            digest = node.sha256(Uint8Array.from([...data, 0]))
          } else if (variant === 'r-zero') bad = raw(0n, sig.s)
          else if (variant === 's-zero') bad = raw(sig.r, 0n)
          else if (variant === 'r-order') bad = raw(N, sig.s)
          else if (variant === 's-order') bad = raw(sig.r, N)
          else if (variant === 'r-max') bad = raw((1n << 256n) - 1n, sig.s)
          else if ('flip' in variant) {
            bad = good.slice()
            bad[variant.flip >> 3]! ^= 1 << (variant.flip & 7)
          } else bad = variant.random
          const wrongDigest = variant === 'wrong-digest'
          for (const allowMalleableSig of [false, true]) {
            const expected = nobleVerify(bad, digest, pub, !allowMalleableSig)
            verdicts[`${expected}`]++
            const label = `${JSON.stringify(variant)} malleable=${allowMalleableSig}`
            expect(node.verifySignatureDigest(did, digest, bad, { allowMalleableSig }), label).toBe(expected)
            expect(browser.verifySignatureDigest(did, digest, bad, { allowMalleableSig }), label).toBe(
              expected,
            )
            if (!wrongDigest) {
              expect(node.verifySignature(did, data, bad, { allowMalleableSig }), label).toBe(expected)
            }
          }
        },
      ),
      { ...SEED, numRuns: 400 },
    )
    // Not vacuous: both verdicts are reached.
    expect(verdicts.true).toBeGreaterThan(50)
    expect(verdicts.false).toBeGreaterThan(200)
  })
})
