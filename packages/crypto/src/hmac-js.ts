// HMAC-SHA256 (RFC 2104) over the package's small JavaScript sha256: the browser backend's MAC
// (RFC 6979 nonces, HKDF), without @noble/hashes' streaming hash classes. Checked against
// @noble/hashes' hmac in test/hmac-js.test.ts.
import { sha256 } from './sha256-js.ts'

const BLOCK = 64

/** HMAC-SHA256 of the concatenation of `parts` under `key`. */
export function hmacSha256Parts(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  const k = key.length > BLOCK ? sha256(key) : key
  let total = 0
  for (const part of parts) total += part.length
  const inner = new Uint8Array(BLOCK + total)
  const outer = new Uint8Array(BLOCK + 32)
  for (let i = 0; i < BLOCK; i++) {
    const b = i < k.length ? (k[i] as number) : 0
    inner[i] = b ^ 0x36
    outer[i] = b ^ 0x5c
  }
  let at = BLOCK
  for (const part of parts) {
    inner.set(part, at)
    at += part.length
  }
  outer.set(sha256(inner), BLOCK)
  return sha256(outer)
}
