// Differential tests against @atproto/crypto (the reference) on fast-check inputs: keys and
// messages are generated; what one side signs the other verifies, and the two agree on every
// generated malformed signature and did:key.
import * as atproto from '@atproto/crypto'
import { p256 } from '@noble/curves/nist.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { base58Encode } from '../src/base58.ts'
import { ENTRIES, hex } from './entries.ts'

const SEED = { seed: 42 }
const CURVES = [
  { alg: 'ES256K', noble: secp256k1, Ref: atproto.Secp256k1Keypair, prefix: [0xe7, 0x01] },
  { alg: 'ES256', noble: p256, Ref: atproto.P256Keypair, prefix: [0x80, 0x24] },
] as const

const privArb = (order: bigint) =>
  fc
    .bigInt({ min: 1n, max: order - 1n })
    .map((d) => Uint8Array.from(Buffer.from(d.toString(16).padStart(64, '0'), 'hex')))

/** Reference verdict: a throw counts as a rejection. */
async function refVerify(did: string, data: Uint8Array, sig: Uint8Array, allowMalleableSig: boolean) {
  try {
    return await atproto.verifySignature(did, data, sig, { allowMalleableSig })
  } catch {
    return false
  }
}

/** Signature mutations: each yields a (mostly) malformed variant of a good signature. */
const mutationArb = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(63), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ minLength: 0, maxLength: 80 }) }),
  fc.record({ kind: fc.constant('truncate' as const), length: fc.nat(63) }),
  fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('high-s' as const) }),
  fc.record({ kind: fc.constant('der' as const) }),
  fc.record({ kind: fc.constant('der-high-s' as const) }),
  fc.record({ kind: fc.constant('zero-r' as const) }),
  fc.record({ kind: fc.constant('zero-s' as const) }),
  fc.record({ kind: fc.constant('r-order' as const) }),
  fc.record({ kind: fc.constant('s-order' as const) }),
  fc.record({ kind: fc.constant('swap' as const) }),
)
type Mutation = typeof mutationArb extends fc.Arbitrary<infer T> ? T : never

function mutate(curve: (typeof CURVES)[number], good: Uint8Array, m: Mutation): Uint8Array {
  const n = curve.noble.Point.Fn.ORDER
  const sig = curve.noble.Signature.fromBytes(good, 'compact')
  const be = (x: bigint) => Buffer.from(x.toString(16).padStart(64, '0'), 'hex')
  const raw = (r: bigint, s: bigint) => Uint8Array.from([...be(r), ...be(s)])
  switch (m.kind) {
    case 'flip': {
      const out = good.slice()
      out[m.at]! ^= 1 << m.bit
      return out
    }
    case 'random':
      return m.bytes
    case 'truncate':
      return good.slice(0, m.length)
    case 'extend':
      return Uint8Array.from([...good, ...m.extra])
    case 'high-s':
      return raw(sig.r, n - sig.s)
    case 'der':
      return sig.toBytes('der')
    case 'der-high-s':
      return new curve.noble.Signature(sig.r, n - sig.s).toBytes('der')
    case 'zero-r':
      return raw(0n, sig.s)
    case 'zero-s':
      return raw(sig.r, 0n)
    case 'r-order':
      return raw(n, sig.s)
    case 's-order':
      return raw(sig.r, n)
    case 'swap':
      return raw(sig.s, sig.r)
  }
}

describe.each(ENTRIES)('differential vs @atproto/crypto, %s entry', (_label, c) => {
  for (const curve of CURVES) {
    const Ours = curve.alg === 'ES256K' ? c.Secp256k1Keypair : c.P256Keypair

    it(`${curve.alg}: same did:key and byte-identical deterministic signatures; each verifies the other`, async () => {
      await fc.assert(
        fc.asyncProperty(
          privArb(curve.noble.Point.Fn.ORDER),
          fc.uint8Array({ maxLength: 300 }),
          async (priv, data) => {
            const ours = Ours.import(priv)
            const ref = await curve.Ref.import(priv)
            expect(ours.did()).toBe(ref.did())
            const ourSig = await ours.sign(data)
            const refSig = await ref.sign(data)
            expect(hex(ourSig)).toBe(hex(refSig))
            expect(await atproto.verifySignature(ours.did(), data, ourSig)).toBe(true)
            expect(c.verifySignature(ref.did(), data, refSig)).toBe(true)
            expect(c.verifySignatureDigest(ref.did(), c.sha256(data), refSig)).toBe(true)
          },
        ),
        { ...SEED, numRuns: 60 },
      )
    })

    it(`${curve.alg}: both agree on every generated malformed signature, strict and malleable`, async () => {
      const priv = new Uint8Array(32).fill(curve.alg === 'ES256K' ? 3 : 4)
      const ours = Ours.import(priv)
      const verdicts = { true: 0, false: 0 }
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), mutationArb, async (data, m) => {
          const bad = mutate(curve, ours.signSync(data), m)
          for (const allowMalleableSig of [false, true]) {
            const expected = await refVerify(ours.did(), data, bad, allowMalleableSig)
            verdicts[`${expected}`]++
            expect(c.verifySignature(ours.did(), data, bad, { allowMalleableSig }), `${m.kind}`).toBe(
              expected,
            )
            expect(c.verifySignatureDigest(ours.did(), c.sha256(data), bad, { allowMalleableSig })).toBe(
              expected,
            )
          }
        }),
        { ...SEED, numRuns: 250 },
      )
      // Not vacuous: the generator reaches both verdicts.
      expect(verdicts.true).toBeGreaterThan(20)
      expect(verdicts.false).toBeGreaterThan(100)
    })

    it(`${curve.alg}: both agree on every generated did:key (mutated strings and raw payloads)`, () => {
      const valid = Ours.import(new Uint8Array(32).fill(5)).did()
      const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0OIl+/ '
      const stringArb = fc.oneof(
        fc
          .record({ at: fc.nat(valid.length - 1), ch: fc.constantFrom(...alphabet) })
          .map(({ at, ch }) => valid.slice(0, at) + ch + valid.slice(at + 1)),
        fc.nat(valid.length).map((len) => valid.slice(0, len)),
        fc.string({ maxLength: 6 }).map((tail) => valid + tail),
        fc
          .tuple(
            fc.constantFrom([...curve.prefix], [0xed, 0x01], [0xe7], []),
            fc.uint8Array({ maxLength: 40 }),
          )
          .map(([prefix, body]) => `did:key:z${base58Encode(Uint8Array.from([...prefix, ...body]))}`),
        fc
          .tuple(fc.constantFrom(2, 3), fc.uint8Array({ minLength: 32, maxLength: 32 }))
          .map(([tag, x]) => `did:key:z${base58Encode(Uint8Array.from([...curve.prefix, tag, ...x]))}`),
      )
      const outcomes = { valid: 0, invalid: 0 }
      fc.assert(
        fc.property(stringArb, (did) => {
          let ref: { jwtAlg: string; keyBytes: Uint8Array } | null = null
          try {
            ref = atproto.parseDidKey(did)
          } catch {}
          let ours: { jwtAlg: string; keyBytes: Uint8Array } | null = null
          try {
            ours = c.parseDidKey(did)
          } catch (err) {
            expect(err).toBeInstanceOf(c.InvalidDidKeyError)
          }
          expect(ours === null, did).toBe(ref === null)
          outcomes[ours === null ? 'invalid' : 'valid']++
          if (ours !== null && ref !== null) {
            expect(ours.jwtAlg).toBe(ref.jwtAlg)
            // @atproto/crypto returns the uncompressed key; ours is compressed.
            expect(hex(c.decompressPublicKey(ours.jwtAlg as 'ES256', ours.keyBytes))).toBe(hex(ref.keyBytes))
            expect(c.formatDidKey(ours.jwtAlg, ours.keyBytes)).toBe(
              atproto.formatDidKey(ref.jwtAlg, ref.keyBytes),
            )
          }
          // verifySignature agrees on whether the did:key is usable at all.
          let threw = false
          try {
            c.verifySignature(did, new Uint8Array(1), new Uint8Array(64))
          } catch (err) {
            expect(err).toBeInstanceOf(c.InvalidDidKeyError)
            threw = true
          }
          expect(threw).toBe(ours === null)
        }),
        { ...SEED, numRuns: 400 },
      )
      expect(outcomes.valid).toBeGreaterThan(20)
      expect(outcomes.invalid).toBeGreaterThan(100)
    })
  }
})
