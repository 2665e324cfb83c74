// parseDidKey and parseMultikey check the curve point natively in the Node entry (libsecp256k1 for
// secp256k1, OpenSSL for P-256) and with @noble in the browser entry. On generated did:keys (valid
// keys, invalid points, x at and above p, wrong lengths, bad tags, bad multicodec and multibase
// prefixes, non-base58) both entries must give the same key or the same error, field for field,
// and agree with @noble's own point parser.
import { p256 } from '@noble/curves/nist.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { base58Encode } from '../src/base58.ts'
import * as node from '../src/index.node.ts'
import * as browser from '../src/index.ts'
import { hex } from './entries.ts'

const SEED = { seed: 5150 }
const CURVES = [
  { alg: 'ES256K', noble: secp256k1, prefix: [0xe7, 0x01] },
  { alg: 'ES256', noble: p256, prefix: [0x80, 0x24] },
] as const

const be32 = (n: bigint): number[] => [...Buffer.from(n.toString(16).padStart(64, '0'), 'hex')]

type Outcome =
  | { ok: true; jwtAlg: string; keyBytes: string }
  | {
      ok: false
      name: string
      message: string
      code?: unknown
      issue?: unknown
      input?: unknown
      cause?: string
    }

function outcome(run: () => { jwtAlg: string; keyBytes: Uint8Array }): Outcome {
  try {
    const r = run()
    return { ok: true, jwtAlg: r.jwtAlg, keyBytes: hex(r.keyBytes) }
  } catch (err) {
    const e = err as Error & { code?: unknown; issue?: unknown; input?: unknown }
    const cause = e.cause instanceof Error ? `${e.cause.name}: ${e.cause.message}` : undefined
    return {
      ok: false,
      name: e.name,
      message: e.message,
      code: e.code,
      issue: e.issue,
      input: e.input,
      cause,
    }
  }
}

/** @noble's verdict on 33 compressed bytes. */
const nobleAccepts = (curve: (typeof CURVES)[number], bytes: Uint8Array): boolean => {
  try {
    return !curve.noble.Point.fromBytes(bytes).is0()
  } catch {
    return false
  }
}

const didOf = (bytes: readonly number[] | Uint8Array): string =>
  `did:key:z${base58Encode(Uint8Array.from(bytes))}`

describe.each(CURVES)('$alg did:key parsing: the node and browser entries agree', (curve) => {
  const p = curve.noble.Point.Fp.ORDER
  const keyArb = fc.oneof(
    // Valid points.
    fc
      .bigInt({ min: 1n, max: curve.noble.Point.Fn.ORDER - 1n })
      .map((d) => [...curve.noble.Point.BASE.multiply(d).toBytes(true)]),
    // Random x under either tag: about half are on the curve.
    fc
      .tuple(fc.constantFrom(2, 3), fc.uint8Array({ minLength: 32, maxLength: 32 }))
      .map(([t, x]) => [t, ...x]),
    // x at and above the field prime, and small x.
    fc
      .tuple(
        fc.constantFrom(2, 3),
        fc.oneof(fc.bigInt({ min: p, max: 2n ** 256n - 1n }), fc.bigInt({ min: 0n, max: 64n })),
      )
      .map(([t, x]) => [t, ...be32(x)]),
    // Any other tag byte.
    fc
      .tuple(
        fc.integer({ min: 0, max: 255 }).filter((t) => t !== 2 && t !== 3),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
      )
      .map(([t, x]) => [t, ...x]),
  )

  it('on compressed keys, valid or not: the same key or the same error, and @noble agrees', () => {
    const seen = { valid: 0, invalid: 0 }
    fc.assert(
      fc.property(keyArb, (key) => {
        const did = didOf([...curve.prefix, ...key])
        const n = outcome(() => node.parseDidKey(did))
        expect(n).toEqual(outcome(() => browser.parseDidKey(did)))
        expect(n.ok, did).toBe(nobleAccepts(curve, Uint8Array.from(key)))
        if (n.ok) {
          expect(n.jwtAlg).toBe(curve.alg)
          expect(n.keyBytes).toBe(hex(Uint8Array.from(key)))
        } else {
          expect(n).toMatchObject({
            name: 'InvalidDidKeyError',
            code: 'INVALID_DID_KEY',
            issue: 'point',
            input: did,
          })
          expect(n.cause).toBe(
            `InvalidPublicKeyError: invalid public key: not a point on the curve; jwtAlg=${curve.alg} length=33`,
          )
        }
        const mk = did.slice('did:key:'.length)
        expect(outcome(() => node.parseMultikey(mk))).toEqual(outcome(() => browser.parseMultikey(mk)))
        seen[n.ok ? 'valid' : 'invalid']++
      }),
      { ...SEED, numRuns: 300 },
    )
    expect(seen.valid).toBeGreaterThan(50)
    expect(seen.invalid).toBeGreaterThan(50)
  })

  it('on wrong lengths, bad multicodec and multibase prefixes and mangled strings: the same error', () => {
    const valid = didOf([...curve.prefix, ...curve.noble.Point.BASE.multiply(3n).toBytes(true)])
    const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0OIl+/-_é'
    const didArb = fc.oneof(
      // Wrong key lengths behind the right multicodec.
      fc
        .uint8Array({ maxLength: 70 })
        .filter((b) => b.length !== 33)
        .map((b) => didOf([...curve.prefix, ...b])),
      // Uncompressed keys (65 bytes) are not did:key keys.
      fc
        .bigInt({ min: 1n, max: 1000n })
        .map((d) => didOf([...curve.prefix, ...curve.noble.Point.BASE.multiply(d).toBytes(false)])),
      // Other or truncated multicodec prefixes.
      fc
        .tuple(
          fc.constantFrom([0xed, 0x01], [0xe7], [0x80], [0x24, 0x80], [0x01, 0xe7], [0x00, 0x00], []),
          fc.uint8Array({ maxLength: 40 }),
        )
        .map(([prefix, body]) => didOf([...prefix, ...body])),
      // Other multibase and DID prefixes, one character changed, truncated, extended.
      fc
        .constantFrom('did:key:', 'did:key:m', 'did:key:f', 'did:web:', 'DID:KEY:z', '')
        .map((pre) => pre + valid.slice(9)),
      fc
        .record({ at: fc.nat(valid.length - 1), ch: fc.constantFrom(...alphabet) })
        .map(({ at, ch }) => valid.slice(0, at) + ch + valid.slice(at + 1)),
      fc.nat(valid.length).map((len) => valid.slice(0, len)),
      fc.string({ maxLength: 8 }).map((tail) => valid + tail),
      fc.string({ maxLength: 200 }).map((s) => `did:key:z${s}`),
    )
    const issues = new Set<unknown>()
    fc.assert(
      fc.property(didArb, (did) => {
        const n = outcome(() => node.parseDidKey(did))
        expect(n, did).toEqual(outcome(() => browser.parseDidKey(did)))
        if (!n.ok) issues.add(n.issue)
        if (did.startsWith('did:key:')) {
          const mk = did.slice('did:key:'.length)
          expect(outcome(() => node.parseMultikey(mk))).toEqual(outcome(() => browser.parseMultikey(mk)))
        }
      }),
      { ...SEED, numRuns: 400 },
    )
    for (const issue of ['prefix', 'base58', 'too-short', 'length', 'multicodec', 'point']) {
      expect(issues).toContain(issue)
    }
  })
})
