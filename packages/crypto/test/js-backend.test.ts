// The browser backend does not use @noble/curves at all (its generic layers were most of a browser
// bundle): it has its own point arithmetic (src/weierstrass.ts, more in test/weierstrass.test.ts),
// RFC 6979 signer (src/ecdsa-js.ts), HMAC (src/hmac-js.ts) and DER check (derToCompact). Each one
// is compared here with @noble/curves and @noble/hashes themselves on random inputs.
import { p256 } from '@noble/curves/nist.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { JwtAlg } from '../src/constants.ts'
import { derToCompact, ORDER } from '../src/curves.ts'
import { signDigestJs } from '../src/ecdsa-js.ts'
import { hmacSha256Parts } from '../src/hmac-js.ts'
import * as node from '../src/index.node.ts'
import * as browser from '../src/index.ts'
import { CURVES } from '../src/points.ts'

const NOBLE = { ES256K: secp256k1, ES256: p256 } as const
const ALGS: JwtAlg[] = ['ES256K', 'ES256']

/** A valid private scalar from 48 random bytes (reduced into [1, n-1]). */
const privFor = (alg: JwtAlg) =>
  fc.uint8Array({ minLength: 48, maxLength: 48 }).map((seed) => NOBLE[alg].utils.randomSecretKey(seed))

describe.each(ALGS)('%s', (alg) => {
  const noble = NOBLE[alg]

  it('has the curve of @noble/curves', () => {
    const { p, n, a, b, Gx, Gy } = CURVES[alg].params
    expect({ p, n, a, b, Gx, Gy }).toEqual({ ...noble.Point.CURVE(), h: undefined })
    expect(ORDER[alg]).toBe(noble.Point.Fn.ORDER)
  })

  it('derives the same public keys and parses points alike', () => {
    fc.assert(
      fc.property(
        privFor(alg),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.constantFrom(2, 3, 4),
        (priv, x, tag) => {
          const curve = CURVES[alg]
          const pub = curve.toBytes(
            curve.multiplyBase(BigInt(`0x${Buffer.from(priv).toString('hex')}`)),
            true,
          )
          expect(pub).toEqual(noble.getPublicKey(priv, true))
          // Random x: on the curve about half the time; both must agree, error or not.
          const bytes = tag === 4 ? Uint8Array.from([4, ...x, ...x]) : Uint8Array.from([tag, ...x])
          const parse = (f: () => Uint8Array) => {
            try {
              return f()
            } catch {
              return 'error'
            }
          }
          const ours = curve.fromBytes(bytes)
          expect(ours === null ? 'error' : curve.toBytes(ours, false)).toEqual(
            parse(() => noble.Point.fromBytes(bytes).toBytes(false)),
          )
        },
      ),
      { seed: 31, numRuns: 60 },
    )
  })

  it('signs byte-identically to @noble/curves (RFC 6979, low-S)', () => {
    fc.assert(
      fc.property(privFor(alg), fc.uint8Array({ minLength: 32, maxLength: 32 }), (priv, digest) => {
        const ours = signDigestJs(alg, priv, digest)
        expect(ours).toEqual(noble.sign(digest, priv, { prehash: false, lowS: true, format: 'compact' }))
        expect(noble.verify(ours, digest, noble.getPublicKey(priv), { prehash: false })).toBe(true)
      }),
      { seed: 32, numRuns: 60 },
    )
  })

  it('signs digests at and above the order like noble (h reduced mod n)', () => {
    const priv = noble.utils.randomSecretKey(new Uint8Array(48).fill(7))
    const n = ORDER[alg]
    for (const h of [n - 1n, n, n + 1n, 2n ** 256n - 1n, 0n]) {
      const digest = Uint8Array.from(Buffer.from(h.toString(16).padStart(64, '0'), 'hex'))
      expect(signDigestJs(alg, priv, digest)).toEqual(
        noble.sign(digest, priv, { prehash: false, lowS: true, format: 'compact' }),
      )
    }
  })

  it('reads DER signatures exactly as noble Signature.fromBytes(der)', () => {
    const ref = (der: Uint8Array): Uint8Array | null => {
      try {
        return noble.Signature.fromBytes(der, 'der').toBytes('compact')
      } catch {
        return null
      }
    }
    const der = fc
      .tuple(privFor(alg), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean())
      .map(([priv, digest, high]) => {
        const sig = noble.Signature.fromBytes(noble.sign(digest, priv, { prehash: false }), 'compact')
        return (high ? new noble.Signature(sig.r, ORDER[alg] - sig.s) : sig).toBytes('der')
      })
    const edit = fc.record({
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
      op: fc.constantFrom(0, 1, 2, 3),
    })
    let valid = 0
    fc.assert(
      fc.property(
        fc.oneof(der, fc.uint8Array({ maxLength: 90 })),
        fc.array(edit, { maxLength: 2 }),
        (bytes, edits) => {
          let b = Array.from(bytes)
          for (const e of edits) {
            const at = e.at % (b.length + 1)
            if (e.op === 0) b[at] = e.byte
            else if (e.op === 1) b.splice(at, 0, e.byte)
            else if (e.op === 2) b.splice(at, 1)
            else b = b.slice(0, at)
          }
          const input = Uint8Array.from(b)
          const want = ref(input)
          if (want !== null) valid++
          expect(derToCompact(alg, input)).toEqual(want)
        },
      ),
      { seed: 33, numRuns: 600 },
    )
    expect(valid).toBeGreaterThan(50)
    // r or s out of range, and lengths at the cap.
    const n = ORDER[alg]
    const int = (v: bigint) => {
      let h = v.toString(16)
      if (h.length % 2) h = `0${h}`
      if (Number.parseInt(h.slice(0, 2), 16) >= 0x80) h = `00${h}`
      return [2, h.length / 2, ...Buffer.from(h, 'hex')]
    }
    const seq = (...ints: number[][]) => {
      const body = ints.flat()
      return Uint8Array.from([0x30, body.length, ...body])
    }
    // Long-form and zero lengths, empty and padded INTEGERs, leftovers.
    for (const hexSig of [
      '3081060201010201 01'.replace(/ /g, ''),
      '300602010102010100',
      '3007020101020201',
      '30060200020101',
      '3007020200010201 01'.replace(/ /g, ''),
      '3007020200800201 01'.replace(/ /g, ''),
      '300602810101020101',
      '3000',
      '30',
      '',
    ]) {
      const b = Uint8Array.from(Buffer.from(hexSig, 'hex'))
      expect([hexSig, derToCompact(alg, b)]).toEqual([hexSig, ref(b)])
    }
    for (const [r, s] of [
      [0n, 1n],
      [1n, 0n],
      [n, 1n],
      [1n, n],
      [n - 1n, n - 1n],
      [1n, 1n],
    ] as const) {
      const b = seq(int(r), int(s))
      expect(derToCompact(alg, b)).toEqual(ref(b))
    }
  })
})

describe('RFC 6979 A.2.5 (P-256, SHA-256)', () => {
  // The RFC's key and its signatures of "sample" and "test": the same r, and s brought to low-S.
  const priv = Uint8Array.from(
    Buffer.from('c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721', 'hex'),
  )
  const vectors = [
    [
      'sample',
      'efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716',
      'f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8',
    ],
    [
      'test',
      'f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367',
      '019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083',
    ],
  ] as const

  it.each(vectors)('signs %j with the RFC nonce (both entries)', (message, r, s) => {
    const n = ORDER.ES256
    let low = BigInt(`0x${s}`)
    if (low > n >> 1n) low = n - low
    const want = r + low.toString(16).padStart(64, '0')
    const data = new TextEncoder().encode(message)
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
    expect(hex(signDigestJs('ES256', priv, sha256(data)))).toBe(want)
    expect(hex(browser.P256Keypair.import(priv).signSync(data))).toBe(want)
    expect(hex(node.P256Keypair.import(priv).signSync(data))).toBe(want)
  })
})

describe('HMAC-SHA256', () => {
  it('equals @noble/hashes on keys of every length class and split messages', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 150 }),
        fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 4 }),
        (key, parts) => {
          const joined = Uint8Array.from(parts.flatMap((p) => [...p]))
          expect(hmacSha256Parts(key, parts)).toEqual(hmac(sha256, key, joined))
        },
      ),
      { seed: 34, numRuns: 300 },
    )
    for (const len of [0, 63, 64, 65, 128]) {
      const key = new Uint8Array(len).fill(0xab)
      expect(hmacSha256Parts(key, [])).toEqual(hmac(sha256, key, new Uint8Array(0)))
    }
  })
})
