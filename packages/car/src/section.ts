// The synchronous core shared by the buffer and the stream readers: parse one section (the
// header or a block) that starts at `pos` in `buf`. `base` is the file offset of buf[0], so
// errors carry file offsets. When the section runs past the end of `buf` the parser either
// reports "incomplete" (the stream reader then gathers more bytes) or, with `final`, raises
// the precise truncation error.
import { Cid, readVarint as readCidVarint } from '@rsky/dag-cbor'
import { sha256Matches } from '#digest'
import type { CarLimit } from './errors.ts'
import {
  CarBlockHashMismatchError,
  CarInvalidHeaderError,
  CarInvalidSectionError,
  CarLimitExceededError,
  CarTrailingDataError,
  CarTruncatedError,
  CarUnsupportedCidError,
  CarVarintError,
} from './errors.ts'
import type { CarHeader, CarReadOptions } from './types.ts'

/** Length of every CID this reader accepts: version 1, one-byte codec, sha2-256, 32-byte digest. */
export const CID_LENGTH = 36
const DAG_CBOR = 0x71
const RAW = 0x55
const SHA2_256 = 0x12

/** Longest varint accepted (10 bytes cover 64 bits). */
export const MAX_VARINT_BYTES = 10

/**
 * Reads an unsigned LEB128 varint at `pos`. Returns its value and sets `varintEnd`, or returns
 * -1 when it runs past `buf.length` and `final` is false.
 * @throws CarVarintError (over 10 bytes, or non-minimal), CarTruncatedError (when final).
 */
function readVarint(buf: Uint8Array, pos: number, base: number, final: boolean): number {
  let value = 0
  let scale = 1
  const end = buf.length
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    const p = pos + i
    if (p >= end) {
      if (!final) return -1
      throw new CarTruncatedError({ part: 'varint', offset: base + pos, expected: i + 1, available: i })
    }
    const b = buf[p]!
    value += (b & 0x7f) * scale
    if (b < 0x80) {
      if (b === 0 && i > 0) throw new CarVarintError({ reason: 'non-minimal', offset: base + pos })
      varintEnd = p + 1
      return value
    }
    scale *= 128
  }
  throw new CarVarintError({ reason: 'too-long', offset: base + pos })
}
let varintEnd = 0

/** Reads and checks the bytes of a header section; `offset` is its file offset, for errors. */
export type CarHeaderReader = (bytes: Uint8Array, offset: number) => CarHeader

/**
 * Parses the sections of one CAR file; holds its options and counts, and the last result. The
 * header reader is passed in, so that a reader that decodes its blocks anyway can check the
 * header with the DAG-CBOR decoder it already carries (scan.ts) instead of header.ts's.
 */
export class SectionParser {
  declare readonly verify: boolean
  declare readonly maxHeaderBytes: number
  declare readonly maxBlockBytes: number
  declare readonly maxTotalBytes: number
  declare readonly maxBlocks: number
  /** Blocks parsed so far. */
  blocks = 0
  /** Results of the last successful parse: where the block's CID starts in its buffer (see
   * {@link blockCid}), its bytes, and where the next section starts. */
  cidAt = 0
  bytes: Uint8Array = new Uint8Array(0)
  header: CarHeader | undefined = undefined
  next = 0

  constructor(opts: Required<CarReadOptions>) {
    Object.assign(this, opts)
  }

  /**
   * Parses the header section at `pos` and checks it with `read`; false when incomplete (and not
   * `final`).
   * @throws CarError subclasses for bad or truncated headers.
   */
  parseHeader(buf: Uint8Array, pos: number, base: number, final: boolean, read: CarHeaderReader): boolean {
    const len = readVarint(buf, pos, base, final)
    if (len < 0) return false
    const start = varintEnd
    if (len === 0) throw new CarInvalidHeaderError({ reason: 'empty', offset: base + pos })
    if (len > this.maxHeaderBytes) this.#over('maxHeaderBytes', len, base + pos)
    const end = start + len
    if (base + end > this.maxTotalBytes) this.#over('maxTotalBytes', base + end, base + pos)
    if (end > buf.length) {
      if (!final) return false
      throw new CarTruncatedError({
        part: 'header',
        offset: base + pos,
        expected: end - pos,
        available: buf.length - pos,
      })
    }
    this.header = read(buf.subarray(start, end), base + pos)
    this.next = end
    return true
  }

  /**
   * Checks the block section at `pos` (length, caps, CID form, hash) and builds nothing but the
   * view of its bytes: its CID is then `buf[cidAt, cidAt + 36)` and its bytes `bytes`; false when
   * incomplete (and not `final`).
   * @throws CarError subclasses for bad, oversized, forged or truncated blocks.
   */
  scanBlock(buf: Uint8Array, pos: number, base: number, final: boolean): boolean {
    const len = readVarint(buf, pos, base, final)
    if (len < 0) return false
    const p = varintEnd
    if (len === 0)
      throw new CarTrailingDataError({
        offset: base + pos,
        trailingBytes: final ? buf.length - pos : undefined,
      })
    if (len - CID_LENGTH > this.maxBlockBytes) this.#over('maxBlockBytes', len - CID_LENGTH, base + pos)
    const end = p + len
    if (base + end > this.maxTotalBytes) this.#over('maxTotalBytes', base + end, base + pos)
    if (this.blocks >= this.maxBlocks) this.#over('maxBlocks', this.blocks + 1, base + pos)
    if (end > buf.length) {
      if (!final) return false
      throw new CarTruncatedError({
        part: buf.length - p < CID_LENGTH ? 'cid' : 'block',
        offset: base + pos,
        expected: end - pos,
        available: buf.length - pos,
      })
    }
    const codec = buf[p + 1]
    if (
      len < CID_LENGTH ||
      buf[p] !== 1 ||
      (codec !== DAG_CBOR && codec !== RAW) ||
      buf[p + 2] !== SHA2_256 ||
      buf[p + 3] !== 32
    ) {
      throw badCid(buf.subarray(p, end), base + pos, len)
    }
    const bytes = buf.subarray(p + CID_LENGTH, end)
    if (this.verify && !sha256Matches(bytes, buf, p + 4)) {
      throw new CarBlockHashMismatchError({
        cid: new Cid(buf, p, CID_LENGTH, 1, codec, 2),
        offset: base + pos,
      })
    }
    this.cidAt = p
    this.bytes = bytes
    this.next = end
    this.blocks++
    return true
  }

  #over(limit: CarLimit, value: number, offset: number): never {
    throw new CarLimitExceededError({ limit, value, max: this[limit], offset })
  }
}

/**
 * The Cid of a block whose checked 36-byte CID starts at `buf[at]`: built without re-parsing or
 * copying, it views the same buffer as the block bytes (both are subarrays of the caller's chunk).
 */
export function blockCid(buf: Uint8Array, at: number): Cid {
  return new Cid(buf, at, CID_LENGTH, 1, buf[at + 1]!, 2)
}

/** The precise error for a section whose CID is not one this reader accepts. @internal */
export function badCid(section: Uint8Array, offset: number, len: number): Error {
  // A well-formed CID prefix in a section too short to hold the digest is a bad section, not a bad CID.
  if (
    section.length >= 4 &&
    section[0] === 1 &&
    (section[1] === DAG_CBOR || section[1] === RAW) &&
    section[2] === SHA2_256 &&
    section[3] === 32
  )
    return new CarInvalidSectionError({ length: len, offset })
  if (section[0] === SHA2_256 && section[1] === 32) {
    return new CarUnsupportedCidError({ offset, version: 0, hashCode: SHA2_256, digestLength: 32 })
  }
  // The CID's varints, only to say what it was: each one up to the first that does not read.
  const fields: number[] = []
  for (let p = 0; fields.length < 4; ) {
    const v = readCidVarint(section, p)
    if (v.next < 0) break
    fields.push(v.value)
    p = v.next
  }
  const [version, codec, hashCode, digestLength] = fields
  return new CarUnsupportedCidError({ offset, version, codec, hashCode, digestLength })
}
