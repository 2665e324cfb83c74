import { createHmac, hash } from 'node:crypto'

// HMAC-SHA256 as two one-shot crypto.hash calls: for the short inputs of RFC 6979 and HKDF this
// is several times faster than building an Hmac object per call.
const BLOCK = 64
const oneShot = typeof hash === 'function'

/** HMAC-SHA256 of the concatenation of `parts` under `key` (Node, OpenSSL). */
export function hmacSha256Parts(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  if (!oneShot || key.length > BLOCK) {
    const mac = createHmac('sha256', key)
    for (const part of parts) mac.update(part)
    const out = mac.digest()
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
  }
  let length = BLOCK
  for (const part of parts) length += part.length
  const inner = new Uint8Array(length)
  inner.set(key)
  for (let i = 0; i < BLOCK; i++) inner[i]! ^= 0x36
  let offset = BLOCK
  for (const part of parts) {
    inner.set(part, offset)
    offset += part.length
  }
  const outer = new Uint8Array(BLOCK + 32)
  outer.set(key)
  for (let i = 0; i < BLOCK; i++) outer[i]! ^= 0x5c
  outer.set(hash('sha256', inner, 'buffer'), BLOCK)
  const out = hash('sha256', outer, 'buffer')
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}
