// The item-header rules shared by the decoder (decode.ts) and the validating scan (scan.ts), so
// the two fail the same input with the same code at the same offset by construction. The
// functions are small enough for V8 to inline into both loops.
import { DagCborDecodeError, type DagCborDecodeErrorCode } from './errors.ts'

/** Throws the decode error for `code` at byte `offset`; `detail` adds `key=value` facts (a limit, a tag). */
export function fail(code: DagCborDecodeErrorCode, offset: number, detail?: string): never {
  throw new DagCborDecodeError(code, offset, detail)
}

/** How many argument bytes follow an initial byte, by its additional information (24–27). */
export const ARGUMENT_BYTES: Uint8Array = new Uint8Array(32)
ARGUMENT_BYTES[24] = 1
ARGUMENT_BYTES[25] = 2
ARGUMENT_BYTES[26] = 4
ARGUMENT_BYTES[27] = 8

/** Fails a major-type-7 initial byte other than null, true and false (0xf6, 0xf5, 0xf4). */
export function failSimpleValue(ib: number, start: number): never {
  if (ib === 0xf9 || ib === 0xfa || ib === 0xfb) fail('FLOAT_NOT_ALLOWED', start)
  if (ib === 0xff) fail('INDEFINITE_LENGTH', start)
  if (ib >= 0xfc) fail('RESERVED_ADDITIONAL_INFO', start)
  fail('UNSUPPORTED_SIMPLE_VALUE', start, `simple=${ib & 31}`)
}

/**
 * The argument of an item whose additional information `info` is 24 or more, read from `p` (just
 * after the initial byte at `start`); the caller then skips {@link ARGUMENT_BYTES}[info] bytes.
 * Fails a truncated header, a non-minimal argument, an integer outside ±(2^53-1), and additional
 * information 28–31 (reserved, or indefinite length).
 */
export function readArgument(
  buf: Uint8Array,
  p: number,
  end: number,
  major: number,
  info: number,
  start: number,
): number {
  if (info === 24) {
    if (p + 1 > end) fail('TRUNCATED', start)
    const arg = buf[p] as number
    if (arg < 24) fail('NON_MINIMAL_INTEGER', start)
    return arg
  }
  if (info === 25) {
    if (p + 2 > end) fail('TRUNCATED', start)
    const arg = ((buf[p] as number) << 8) | (buf[p + 1] as number)
    if (arg < 0x100) fail('NON_MINIMAL_INTEGER', start)
    return arg
  }
  if (info === 26) {
    if (p + 4 > end) fail('TRUNCATED', start)
    const arg = readUint32(buf, p)
    if (arg < 0x10000) fail('NON_MINIMAL_INTEGER', start)
    return arg
  }
  if (info === 27) {
    if (p + 8 > end) fail('TRUNCATED', start)
    const hi = readUint32(buf, p)
    const lo = readUint32(buf, p + 4)
    if (hi === 0) fail('NON_MINIMAL_INTEGER', start)
    if (hi > 0x1fffff) {
      if (major <= 1) fail('INTEGER_OUT_OF_RANGE', start)
      // a length this large can never fit in the input
      fail('TRUNCATED', start)
    }
    return hi * 0x100000000 + lo
  }
  if (info === 31) {
    if (major >= 2 && major <= 5) fail('INDEFINITE_LENGTH', start)
    fail('RESERVED_ADDITIONAL_INFO', start)
  }
  fail('RESERVED_ADDITIONAL_INFO', start)
}

function readUint32(buf: Uint8Array, p: number): number {
  return (
    (((buf[p] as number) << 24) |
      ((buf[p + 1] as number) << 16) |
      ((buf[p + 2] as number) << 8) |
      (buf[p + 3] as number)) >>>
    0
  )
}
