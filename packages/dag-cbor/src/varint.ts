// Unsigned LEB128 varints as multiformats uses them (CID headers, multihash codes).

/** Result of reading a varint: its value and the offset just after it, or -1 on malformed input. */
export interface VarintRead {
  value: number
  next: number
}

/**
 * Reads a minimal unsigned varint of at most 9 bytes (values up to 2^53 - 1) at `offset`.
 * Returns `next === -1` when the varint is truncated, too long or not minimally encoded.
 */
export function readVarint(bytes: Uint8Array, offset: number): VarintRead {
  let value = 0
  let shift = 1
  for (let i = offset; i < bytes.length && i < offset + 9; i++) {
    const b = bytes[i] as number
    value += (b & 0x7f) * shift
    if (b < 0x80) {
      // a trailing zero byte means a shorter encoding existed
      if (b === 0 && i > offset) return { value: 0, next: -1 }
      if (value > Number.MAX_SAFE_INTEGER) return { value: 0, next: -1 }
      return { value, next: i + 1 }
    }
    shift *= 128
  }
  return { value: 0, next: -1 }
}

/** Number of bytes `writeVarint` uses for `value`. */
export function varintLength(value: number): number {
  let n = 1
  while (value >= 0x80) {
    value = Math.floor(value / 128)
    n++
  }
  return n
}

/** Writes `value` as a varint at `offset`; returns the offset after it. */
export function writeVarint(out: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    out[offset++] = (value % 128) | 0x80
    value = Math.floor(value / 128)
  }
  out[offset++] = value
  return offset
}
