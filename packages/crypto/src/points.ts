// The two curves as @noble/curves point classes, built from their published domain parameters
// (SEC 2 / FIPS 186) with `weierstrass()` alone. Importing noble's `secp256k1` or `p256` objects
// would bring its whole ECDSA layer (signature classes, DER, hash wiring, key generation) into
// every browser bundle; this package signs with its own RFC 6979 (ecdsa-js.ts, engine.node.ts)
// and verifies with `mulAddUnsafe` (curves.ts), so only the point arithmetic is needed.
// test/points.test.ts checks these classes against noble's own on random points.
import { type WeierstrassPointCons, weierstrass } from '@noble/curves/abstract/weierstrass.js'
import type { JwtAlg } from './constants.ts'

/** secp256k1, with the GLV endomorphism noble uses for it (a faster multiply). */
const K256: WeierstrassPointCons<bigint> = /* @__PURE__ */ weierstrass(
  {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn,
    n: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n,
    h: 1n,
    a: 0n,
    b: 7n,
    Gx: 0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n,
    Gy: 0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8n,
  },
  {
    endo: {
      beta: 0x7ae96a2b657c07106e64479eac3434e99cf0497512f58995c1396c28719501een,
      basises: [
        [0x3086d221a7d46bcde86c90e49284eb15n, -0xe4437ed6010e88286f547fa90abfe4c3n],
        [0x114ca50f7a8e2f3f657c1108d9d44cfd8n, 0x3086d221a7d46bcde86c90e49284eb15n],
      ],
    },
  },
)

/** NIST P-256 (secp256r1). */
const P256: WeierstrassPointCons<bigint> = /* @__PURE__ */ weierstrass({
  p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
  n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  h: 1n,
  a: 0xffffffff00000001000000000000000000000000fffffffffffffffffffffffcn,
  b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  Gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  Gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
})

/** The point class of each JWT alg. */
export const POINTS: Readonly<Record<JwtAlg, WeierstrassPointCons<bigint>>> = { ES256K: K256, ES256: P256 }
