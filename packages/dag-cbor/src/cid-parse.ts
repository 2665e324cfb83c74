import { base58DecodeOrOffset } from '@rsky/crypto/base58'
import { fromBase32 } from './base32.ts'
import { Cid, DAG_PB_CODEC, foreignCidBytes, hexPrefix, readCidAt, SHA2_256_CODE } from './cid.ts'
import { InvalidCidError } from './errors.ts'
import { readVarint } from './varint.ts'

// Reading CIDs from strings, binary and other implementations.

/** Length of the binary CID starting at `bytes[offset]`, or -1 if the header is malformed. */
function cidLengthAt(bytes: Uint8Array, offset: number): number {
  if (bytes[offset] === SHA2_256_CODE && bytes[offset + 1] === 32) return 34
  const version = readVarint(bytes, offset)
  if (version.next < 0 || version.value !== 1) return -1
  const codec = readVarint(bytes, version.next)
  if (codec.next < 0) return -1
  const mhCode = readVarint(bytes, codec.next)
  if (mhCode.next < 0) return -1
  const size = readVarint(bytes, mhCode.next)
  if (size.next < 0) return -1
  return size.next + size.value - offset
}

/**
 * Parses a binary CID that fills `bytes` exactly. The result owns a copy of the bytes.
 * @throws {InvalidCidError} on a malformed CID
 * @example decodeCid(cid.bytes).equals(cid) // true
 */
export function decodeCid(bytes: Uint8Array): Cid {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeCid: bytes must be a Uint8Array')
  return readCidAt(bytes.slice(), 0, bytes.length)
}

/**
 * {@link decodeCid} without the copy: parses the binary CID filling `bytes[start, end)` and returns
 * a Cid that views those bytes. For decoders whose links live inside a block that outlives them
 * (an MST node's entries); the bytes must not change afterwards.
 * @throws {InvalidCidError} on a malformed CID; {RangeError} when `start`/`end` are not integers
 *   with 0 <= start <= end <= bytes.length
 * @example decodeCidView(block, at + 1, at + 37).equals(decodeCid(block.subarray(at + 1, at + 37))) // true
 */
export function decodeCidView(bytes: Uint8Array, start = 0, end: number = bytes?.length): Cid {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeCidView: bytes must be a Uint8Array')
  if (
    !(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= bytes.length)
  )
    throw new RangeError('decodeCidView: need integers 0 <= start <= end <= bytes.length')
  return readCidAt(bytes, start, end)
}

/**
 * Parses the binary CID at the start of `bytes[offset..]` (as in a CAR block) and returns it with
 * the number of bytes it used. The Cid owns a copy of its bytes.
 * @throws {InvalidCidError} on a malformed or truncated CID
 */
export function decodeCidPrefix(bytes: Uint8Array, offset = 0): { cid: Cid; length: number } {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeCidPrefix: bytes must be a Uint8Array')
  const length = cidLengthAt(bytes, offset)
  if (length < 0)
    throw new InvalidCidError('BAD_VARINT', hexPrefix(bytes.subarray(offset)), 'malformed CID header')
  if (offset + length > bytes.length) {
    throw new InvalidCidError('BAD_LENGTH', hexPrefix(bytes.subarray(offset)), 'CID is truncated')
  }
  const copy = bytes.slice(offset, offset + length)
  return { cid: readCidAt(copy, 0, length), length }
}

/**
 * Parses a CID string: base32 `b...` (CIDv1, the data model's form), base58btc `Qm...` (CIDv0) or
 * base58btc `z...` (CIDv1). Other multibases are refused (`BAD_MULTIBASE`); strings longer than
 * 256 characters are rejected before decoding.
 * @throws {InvalidCidError} when the string is not a CID
 * @example parseCid('bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity').code === RAW_CODEC
 */
export function parseCid(str: string): Cid {
  if (typeof str !== 'string') throw new TypeError('parseCid: str must be a string')
  if (str.length > 256) throw new InvalidCidError('BAD_LENGTH', str, 'CID string is too long')
  if (str.charCodeAt(0) === 0x62 /* b */) {
    const bytes = fromBase32(str, 1)
    if (bytes === undefined) throw new InvalidCidError('BAD_ENCODING', str, 'invalid base32 in CID string')
    const cid = readCidAt(bytes, 0, bytes.length, str)
    if (cid.version !== 1) throw new InvalidCidError('BAD_VERSION', str, 'CIDv0 must be base58btc')
    return cid
  }
  if (str.length === 46 && str.startsWith('Qm')) {
    const bytes = base58DecodeOrOffset(str)
    if (typeof bytes === 'number')
      throw new InvalidCidError('BAD_ENCODING', str, 'invalid base58btc in CIDv0 string')
    if (bytes.length !== 34 || bytes[0] !== SHA2_256_CODE || bytes[1] !== 32) {
      throw new InvalidCidError('BAD_LENGTH', str, 'CIDv0 must be a 34-byte sha2-256 multihash')
    }
    return new Cid(bytes, 0, 34, 0, DAG_PB_CODEC, 0, str)
  }
  if (str.charCodeAt(0) === 0x7a /* z */) {
    const bytes = base58DecodeOrOffset(str.slice(1))
    if (typeof bytes === 'number' || bytes.length === 0)
      throw new InvalidCidError('BAD_ENCODING', str, 'invalid base58btc in CID string')
    // no cached string: the canonical form is base32
    const cid = readCidAt(bytes, 0, bytes.length)
    if (cid.version !== 1) throw new InvalidCidError('BAD_VERSION', str, 'CIDv0 must be base58btc')
    return cid
  }
  throw new InvalidCidError('BAD_MULTIBASE', str, 'not a CID string (base32 b…, Qm… or z…)')
}

/**
 * `value` as a {@link Cid} when it is one of ours or a CID from multiformats (or another
 * implementation that follows its `asCID` convention); otherwise `null`.
 */
export function asCid(value: unknown): Cid | null {
  if (value instanceof Cid) return value
  const bytes = foreignCidBytes(value)
  if (bytes === undefined) return null
  try {
    return readCidAt(bytes.slice(), 0, bytes.length)
  } catch {
    return null
  }
}

/**
 * Our {@link Cid} for a multiformats `CID` (or any value {@link asCid} accepts).
 * @throws {TypeError} when `cid` is not a CID
 */
export function fromMultiformatsCid(cid: unknown): Cid {
  const out = asCid(cid)
  if (out === null) throw new TypeError('fromMultiformatsCid: not a CID')
  return out
}
