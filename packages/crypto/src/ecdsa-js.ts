// Deterministic ECDSA signing in JavaScript for the browser backend: rfc6979.ts with R = k·G from
// weierstrass.ts, the package's HMAC-SHA256 and WebCrypto randomness. The same bytes as
// @noble/curves (test/js-backend.test.ts compares them on random keys and digests).
import { bytesToBigInt } from './bytes.ts'
import type { JwtAlg } from './constants.ts'
import { hmacSha256Parts } from './hmac-js.ts'
import { CURVES } from './points.ts'
import { type EcdsaBackend, signDigestRfc6979 } from './rfc6979.ts'
import { invert, mod } from './weierstrass.ts'

const backends: Partial<Record<JwtAlg, EcdsaBackend>> = {}

function backendOf(alg: JwtAlg): EcdsaBackend {
  const curve = CURVES[alg]
  const n = curve.params.n
  backends[alg] ??= {
    n,
    hmac: hmacSha256Parts,
    rOf: (k) => mod(curve.baseX(k), n),
    random: (length) => crypto.getRandomValues(new Uint8Array(length)),
    invert,
  }
  return backends[alg]
}

/**
 * 64-byte compact low-S signature over a 32-byte digest with the private scalar `priv` (32 bytes,
 * already checked to be in [1, n-1]).
 */
export function signDigestJs(alg: JwtAlg, priv: Uint8Array, digest: Uint8Array): Uint8Array {
  return signDigestRfc6979(backendOf(alg), priv, bytesToBigInt(priv), digest)
}
