// The browser's scanCar (through the package's "imports" map, #scan-car; other runtimes get
// scan.ts's, built on the SectionParser that the stream reader shares). One loop over bytes in
// memory with the same checks in the same order and the same errors (class, code, offset, fields,
// blocksRead), in fewer bytes. test/scan-car.browser.test.ts holds the two equal.
import { Cid } from '@rsky/dag-cbor'
import { sha256Matches } from '#digest'
import {
  CarBlockHashMismatchError,
  CarError,
  CarInvalidHeaderError,
  type CarLimit,
  CarLimitExceededError,
  type CarPart,
  CarTrailingDataError,
  CarTruncatedError,
  CarVarintError,
} from './errors.ts'
import { decodeCarHeader } from './scan.ts'
import { badCid } from './section.ts'
import type { CarBlockVisitor } from './stream.ts'
import { type CarHeader, type CarReadOptions, resolveReadOptions } from './types.ts'

/**
 * Reads a CAR held in memory and hands each block to `visit` as a position (see scan.ts).
 * @throws CarError subclasses (with `offset` and `blocksRead`); TypeError when `bytes` is not a Uint8Array
 */
export function scanCar(bytes: Uint8Array, visit: CarBlockVisitor, opts?: CarReadOptions): CarHeader {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array')
  const o = resolveReadOptions(opts)
  const end = bytes.length
  let pos = 0
  let blocks = 0
  const truncated = (part: CarPart, to: number): never => {
    throw new CarTruncatedError({ part, offset: pos, expected: to - pos, available: end - pos })
  }
  const over = (limit: CarLimit, value: number): never => {
    throw new CarLimitExceededError({ limit, value, max: o[limit], offset: pos })
  }
  // Where the current section's body starts (set by length()).
  let p = 0
  // The section's length varint at pos; sets p past it.
  const length = (): number => {
    let value = 0
    let scale = 1
    for (let i = 0; i < 10; i++, scale *= 128) {
      const q = pos + i
      // q === end here: the varint needed i + 1 bytes and i were there
      if (q >= end) truncated('varint', q + 1)
      const b = bytes[q] as number
      value += (b & 0x7f) * scale
      if (b < 0x80) {
        if (b === 0 && i > 0) throw new CarVarintError({ reason: 'non-minimal', offset: pos })
        p = q + 1
        return value
      }
    }
    throw new CarVarintError({ reason: 'too-long', offset: pos })
  }

  let len = length()
  if (len === 0) throw new CarInvalidHeaderError({ reason: 'empty', offset: pos })
  if (len > o.maxHeaderBytes) over('maxHeaderBytes', len)
  let to = p + len
  if (to > o.maxTotalBytes) over('maxTotalBytes', to)
  if (to > end) truncated('header', to)
  const header = decodeCarHeader(bytes.subarray(p, to), pos)
  pos = to
  try {
    while (pos < end) {
      len = length()
      if (len === 0) throw new CarTrailingDataError({ offset: pos, trailingBytes: end - pos })
      if (len - 36 > o.maxBlockBytes) over('maxBlockBytes', len - 36)
      to = p + len
      if (to > o.maxTotalBytes) over('maxTotalBytes', to)
      if (blocks >= o.maxBlocks) over('maxBlocks', blocks + 1)
      if (to > end) truncated(end - p < 36 ? 'cid' : 'block', to)
      const codec = bytes[p + 1] as number
      // v1, dag-cbor or raw, sha2-256, 32-byte digest
      if (
        len < 36 ||
        bytes[p] !== 1 ||
        (codec !== 0x71 && codec !== 0x55) ||
        bytes[p + 2] !== 0x12 ||
        bytes[p + 3] !== 32
      )
        throw badCid(bytes.subarray(p, to), pos, len)
      if (o.verify && !sha256Matches(bytes.subarray(p + 36, to), bytes, p + 4))
        throw new CarBlockHashMismatchError({ cid: new Cid(bytes, p, 36, 1, codec, 2), offset: pos })
      blocks++
      pos = to
      visit(bytes, p, len - 36)
    }
  } catch (err) {
    if (err instanceof CarError) err.blocksRead = blocks
    throw err
  }
  return header
}
