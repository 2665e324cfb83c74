// The two curves, from their published domain parameters (SEC 2 for secp256k1, FIPS 186-4 for
// P-256), over this package's own point arithmetic (weierstrass.ts). test/weierstrass.test.ts
// checks them against @noble/curves' secp256k1 and p256.
import type { JwtAlg } from './constants.ts'
import { Curve } from './weierstrass.ts'

/** secp256k1 (k256, ES256K). */
const K256: Curve = /* @__PURE__ */ new Curve({
  p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn,
  n: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n,
  a: 0n,
  b: 7n,
  Gx: 0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n,
  Gy: 0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8n,
})

/** NIST P-256 (secp256r1, ES256). */
const P256: Curve = /* @__PURE__ */ new Curve({
  p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
  n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  a: 0xffffffff00000001000000000000000000000000fffffffffffffffffffffffcn,
  b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  Gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  Gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
})

/** The curve of each JWT alg. */
export const CURVES: Readonly<Record<JwtAlg, Curve>> = { ES256K: K256, ES256: P256 }
