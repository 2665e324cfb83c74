import { abytes } from './bytes.ts'

/** Largest output of HKDF-SHA256 expand (RFC 5869: 255 blocks of 32 bytes). */
export const HKDF_SHA256_MAX_LENGTH = 8160 // 255 blocks of 32 bytes

/** HKDF-Expand (RFC 5869 §2.3) over an HMAC-SHA256 of concatenated parts. Internal. */
export function hkdfExpandWith(
  hmacParts: (key: Uint8Array, parts: readonly Uint8Array[]) => Uint8Array,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  abytes(prk, 'prk')
  abytes(info, 'info')
  // RFC 5869 §2.3: PRK is at least HashLen octets (noble and the Rust hkdf crate insist too).
  if (prk.length < 32) throw new RangeError(`prk must be at least 32 bytes; length=${prk.length}`)
  if (!Number.isSafeInteger(length) || length < 0 || length > HKDF_SHA256_MAX_LENGTH) {
    throw new RangeError(`length must be an integer in [0, ${HKDF_SHA256_MAX_LENGTH}]; length=${length}`)
  }
  const out = new Uint8Array(length)
  let block: Uint8Array = new Uint8Array(0)
  const counter = new Uint8Array(1)
  for (let offset = 0, i = 1; offset < length; offset += 32, i++) {
    counter[0] = i
    block = hmacParts(prk, [block, info, counter])
    out.set(block.subarray(0, Math.min(32, length - offset)), offset)
  }
  return out
}
