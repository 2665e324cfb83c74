import { createHmac, hash } from 'node:crypto'

// HMAC-SHA256 as two one-shot crypto.hash calls: for the short inputs of RFC 6979 and HKDF this
// is several times faster than building an Hmac object per call.
const BLOCK = 64
const oneShot = typeof hash === 'function'

// Scratch blocks reused across calls (crypto.hash copies its input before returning).
const innerScratch = new Uint8Array(BLOCK + 256)
const outerScratch = new Uint8Array(BLOCK + 32)

/** HMAC-SHA256 of the concatenation of `parts` under `key` (Node, OpenSSL). */
export function hmacSha256Parts(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  let length = BLOCK
  for (const part of parts) length += part.length
  if (!oneShot || key.length > BLOCK || length > innerScratch.length) {
    const mac = createHmac('sha256', key)
    for (const part of parts) mac.update(part)
    const out = mac.digest()
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
  }
  const inner = innerScratch
  const outer = outerScratch
  inner.fill(0, 0, BLOCK)
  inner.set(key)
  outer.fill(0, 0, BLOCK)
  outer.set(key)
  for (let i = 0; i < BLOCK; i++) {
    inner[i]! ^= 0x36
    outer[i]! ^= 0x5c
  }
  let offset = BLOCK
  for (const part of parts) {
    inner.set(part, offset)
    offset += part.length
  }
  outer.set(hash('sha256', inner.subarray(0, length), 'buffer'), BLOCK)
  const out = hash('sha256', outer, 'buffer')
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}
