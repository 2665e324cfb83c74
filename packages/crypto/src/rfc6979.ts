// Deterministic ECDSA over a digest, shared by both backends: the RFC 6979 nonce (HMAC-DRBG over
// HMAC-SHA256), r = x(k·G) mod n, s = k⁻¹(h + r·d) mod n with the inversion blinded by a random b
// ((b·k)⁻¹·b, so the variable-time inversion never sees k), low-S. What differs per backend is
// passed in: the HMAC, how k·G is computed (the browser's own arithmetic, OpenSSL in Node), the
// random source and the inversion. The bytes equal @noble/curves' `sign(digest, key,
// { prehash: false, lowS: true })` (test/js-backend.test.ts, RFC 6979 A.2.5 vectors).
import { bigIntToBytes, bytesToBigInt } from './bytes.ts'

/** The backend's parts of one signature. */
export interface EcdsaBackend {
  /** The curve order. */
  readonly n: bigint
  readonly hmac: (key: Uint8Array, parts: readonly Uint8Array[]) => Uint8Array
  /** `x(k·G) mod n` for the nonce `k` (also given as its 32 big-endian bytes). */
  readonly rOf: (k: bigint, kBytes: Uint8Array) => bigint
  readonly random: (length: number) => Uint8Array
  /** `a⁻¹ mod n` for a in [1, n-1]. */
  readonly invert: (a: bigint, n: bigint) => bigint
}

const ZERO = /* @__PURE__ */ Uint8Array.of(0)
const ONE = /* @__PURE__ */ Uint8Array.of(1)

/**
 * 64-byte compact low-S signature over a 32-byte digest with the private scalar `priv` (32 bytes,
 * `d` its value, already checked to be in [1, n-1]).
 */
export function signDigestRfc6979(
  backend: EcdsaBackend,
  priv: Uint8Array,
  d: bigint,
  digest: Uint8Array,
): Uint8Array {
  const { n, hmac } = backend
  // sha256 output has the order's bit length, so bits2int is the integer, reduced once mod n.
  let h = bytesToBigInt(digest)
  if (h >= n) h -= n
  const h1 = bigIntToBytes(h, 32)
  let v: Uint8Array = new Uint8Array(32).fill(1)
  let k: Uint8Array = new Uint8Array(32)
  k = hmac(k, [v, ZERO, priv, h1])
  v = hmac(k, [v])
  k = hmac(k, [v, ONE, priv, h1])
  v = hmac(k, [v])
  // Each round is a fresh candidate; a bad one (out of range, r or s zero) is astronomically rare.
  for (;;) {
    v = hmac(k, [v])
    const nonce = bytesToBigInt(v)
    if (nonce !== 0n && nonce < n) {
      const r = backend.rOf(nonce, v)
      if (r !== 0n) {
        const b = (bytesToBigInt(backend.random(48)) % (n - 1n)) + 1n
        let s = (((backend.invert((b * nonce) % n, n) * b) % n) * ((h + d * r) % n)) % n
        if (s !== 0n) {
          if (s > n >> 1n) s = n - s
          const out = new Uint8Array(64)
          out.set(bigIntToBytes(r, 32), 0)
          out.set(bigIntToBytes(s, 32), 32)
          return out
        }
      }
    }
    k = hmac(k, [v, ZERO])
    v = hmac(k, [v])
  }
}
