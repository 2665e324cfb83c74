import type { Cid } from '@rsky/dag-cbor'

/**
 * A Map key for a CID built straight from its binary form: two bytes per UTF-16 code unit, so
 * a 36-byte CIDv1 becomes an 18-unit string with no base32 work (rsky re-encodes the base32
 * string on every block map operation). The first unit holds the length, so two CIDs get the
 * same key exactly when their bytes are equal.
 */
export function cidBytesKey(b: Uint8Array): string {
  if (b.length === 36) {
    // The common case (CIDv1, sha2-256): one call, no intermediate strings.
    return String.fromCharCode(
      36,
      (b[0]! << 8) | b[1]!,
      (b[2]! << 8) | b[3]!,
      (b[4]! << 8) | b[5]!,
      (b[6]! << 8) | b[7]!,
      (b[8]! << 8) | b[9]!,
      (b[10]! << 8) | b[11]!,
      (b[12]! << 8) | b[13]!,
      (b[14]! << 8) | b[15]!,
      (b[16]! << 8) | b[17]!,
      (b[18]! << 8) | b[19]!,
      (b[20]! << 8) | b[21]!,
      (b[22]! << 8) | b[23]!,
      (b[24]! << 8) | b[25]!,
      (b[26]! << 8) | b[27]!,
      (b[28]! << 8) | b[29]!,
      (b[30]! << 8) | b[31]!,
      (b[32]! << 8) | b[33]!,
      (b[34]! << 8) | b[35]!,
    )
  }
  // Lengths past 0xffff get a second length unit; CIDs are never near that size.
  let s =
    b.length >= 0xffff
      ? String.fromCharCode(0xffff, b.length >>> 16, b.length & 0xffff)
      : String.fromCharCode(b.length)
  const even = b.length & ~1
  for (let i = 0; i < even; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!)
  if (b.length & 1) s += String.fromCharCode(b[even]!)
  return s
}

/** {@link cidBytesKey} of a CID value. */
export function cidMapKey(cid: Cid): string {
  return cidBytesKey(cid.bytes)
}
