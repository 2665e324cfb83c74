// Deterministic ECDSA signing in JavaScript for the browser backend: the RFC 6979 nonce (HMAC-DRBG
// over HMAC-SHA256), R = k·G (weierstrass.ts), s = k⁻¹(h + r·d) mod n, low-S. The same steps as
// @noble/curves' `sign(digest, key, { prehash: false, lowS: true })`, so the same bytes
// (test/js-backend.test.ts compares them on random keys and digests); engine.node.ts does the
// same with OpenSSL computing R.
import { bigIntToBytes, bytesToBigInt } from './bytes.ts'
import type { JwtAlg } from './constants.ts'
import { hmacSha256Parts } from './hmac-js.ts'
import { CURVES } from './points.ts'
import { invert, mod } from './weierstrass.ts'

const ZERO = /* @__PURE__ */ Uint8Array.of(0)
const ONE = /* @__PURE__ */ Uint8Array.of(1)

/**
 * 64-byte compact low-S signature over a 32-byte digest with the private scalar `priv` (32 bytes,
 * already checked to be in [1, n-1]).
 */
export function signDigestJs(alg: JwtAlg, priv: Uint8Array, digest: Uint8Array): Uint8Array {
  const curve = CURVES[alg]
  const n = curve.params.n
  // sha256 output has the order's bit length, so bits2int is the integer, reduced once mod n.
  const h = mod(bytesToBigInt(digest), n)
  const d = bytesToBigInt(priv)
  const h1 = bigIntToBytes(h, 32)
  let v: Uint8Array = new Uint8Array(32).fill(1)
  let k: Uint8Array = new Uint8Array(32)
  k = hmacSha256Parts(k, [v, ZERO, priv, h1])
  v = hmacSha256Parts(k, [v])
  k = hmacSha256Parts(k, [v, ONE, priv, h1])
  v = hmacSha256Parts(k, [v])
  // Each round is a fresh candidate; a bad one (out of range, r or s zero) is astronomically rare.
  for (;;) {
    v = hmacSha256Parts(k, [v])
    const nonce = bytesToBigInt(v)
    if (nonce !== 0n && nonce < n) {
      const r = mod(curve.baseX(nonce), n)
      if (r !== 0n) {
        // k⁻¹ through a random blind b, (b·k)⁻¹·b, so the variable-time inversion never sees k.
        const b = (bytesToBigInt(crypto.getRandomValues(new Uint8Array(48))) % (n - 1n)) + 1n
        let s = (((invert((b * nonce) % n, n) * b) % n) * ((h + d * r) % n)) % n
        if (s !== 0n) {
          if (s > n >> 1n) s = n - s
          const out = new Uint8Array(64)
          out.set(bigIntToBytes(r, 32), 0)
          out.set(bigIntToBytes(s, 32), 32)
          return out
        }
      }
    }
    k = hmacSha256Parts(k, [v, ZERO])
    v = hmacSha256Parts(k, [v])
  }
}
