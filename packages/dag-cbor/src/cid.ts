import { base58Encode } from '@rsky/crypto/base58'
import { sha256 } from '@rsky/crypto/sha256'
import { showCidsAs } from '#cid-inspect'
import { toBase32 } from '#to-base32'
import { InvalidCidError } from './errors.ts'
import { readVarint, varintLength, writeVarint } from './varint.ts'

/** Multicodec code of DAG-CBOR (DRISL) data: links to records and MST nodes. */
export const DAG_CBOR_CODEC = 0x71
/** Multicodec code of raw bytes: links to blobs. */
export const RAW_CODEC = 0x55
/** Multihash code of sha2-256. */
export const SHA2_256_CODE = 0x12
/** Multicodec code of dag-pb, the implied codec of CIDv0. */
export const DAG_PB_CODEC = 0x70

/** The hash part of a CID. `digest` and `bytes` are views into the CID's bytes. */
export interface Multihash {
  readonly code: number
  readonly size: number
  readonly digest: Uint8Array
  /** The whole multihash: code varint, size varint, digest. */
  readonly bytes: Uint8Array
}

/**
 * An immutable content identifier. It holds its binary form and derives the rest lazily, so
 * decoding a block full of links costs one small object per link. Multiformats' `CID.asCID`
 * accepts it (through `asCID` and `'/'`), so `@ipld/dag-cbor` and `@atproto/lex-cbor` can encode it.
 *
 * Build one with {@link parseCid}, {@link decodeCid}, {@link createCid}, {@link cidForCbor} or {@link cidForRaw}.
 *
 * @example
 * const cid = parseCid('bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a')
 * cid.code === DAG_CBOR_CODEC // true
 * cid.toString() // the same string, cached
 */
export class Cid {
  // `declare`d: the constructor sets both first, so they are the same own properties in the same
  // order, without class field declarations in a bundle.
  /** CID version: 0 (legacy base58 dag-pb) or 1. */
  declare readonly version: 0 | 1
  /** Multicodec of the linked content: {@link DAG_CBOR_CODEC}, {@link RAW_CODEC}, ... */
  declare readonly code: number
  // The binary CID is src[off, off + len). Decoding keeps a reference into the block instead of
  // making a subarray per link; `bytes` materializes the view on first use.
  #src: Uint8Array
  #off: number
  #len: number
  #bytes: Uint8Array | undefined
  #mhOffset: number
  #multihash: Multihash | undefined
  #string: string | undefined

  /** @internal Use the factory functions; `src[off, off + len)` must already be a validated binary CID. */
  constructor(
    src: Uint8Array,
    off: number,
    len: number,
    version: 0 | 1,
    code: number,
    mhOffset: number,
    str?: string,
  ) {
    this.version = version
    this.code = code
    this.#src = src
    this.#off = off
    this.#len = len
    this.#mhOffset = mhOffset
    this.#string = str
  }

  /** Binary CID (without the 0x00 prefix DAG-CBOR puts in front of it). Do not mutate. */
  get bytes(): Uint8Array {
    let b = this.#bytes
    if (b === undefined) {
      const src = this.#src
      b = this.#off === 0 && this.#len === src.length ? src : src.subarray(this.#off, this.#off + this.#len)
      this.#bytes = b
    }
    return b
  }

  /** Length of the binary CID in bytes. */
  get byteLength(): number {
    return this.#len
  }

  /** The multihash (hash code, size, digest), computed on first use. */
  get multihash(): Multihash {
    let mh = this.#multihash
    if (mh === undefined) {
      const bytes = this.bytes
      const off = this.#mhOffset
      const code = readVarint(bytes, off)
      const size = readVarint(bytes, code.next)
      mh = {
        code: code.value,
        size: size.value,
        digest: bytes.subarray(size.next),
        bytes: bytes.subarray(off),
      }
      this.#multihash = mh
    }
    return mh
  }

  /** Canonical string: base32 multibase (`b...`) for v1, base58btc (`Qm...`) for v0. Cached. */
  toString(): string {
    let s = this.#string
    if (s === undefined) {
      s = this.version === 1 ? `b${toBase32(this.bytes)}` : base58Encode(this.bytes)
      this.#string = s
    }
    return s
  }

  /** True when `other` is a CID (ours or multiformats') with the same bytes. */
  equals(other: unknown): boolean {
    if (other === this) return true
    const b = other instanceof Cid ? other.bytes : foreignCidBytes(other)
    if (b === undefined) return false
    const a = this.bytes
    if (a.length !== b.length) return false
    for (let i = a.length - 1; i >= 0; i--) if (a[i] !== b[i]) return false
    return true
  }

  /** The AT JSON form, `{ $link: string }`. */
  toJSON(): { $link: string } {
    return { $link: this.toString() }
  }

  /** Multiformats interop: `CID.asCID(x)` accepts any value whose `asCID` is itself. */
  get asCID(): this {
    return this
  }

  /** Multiformats interop: the second marker `CID.asCID` checks (`x['/'] === x.bytes`). */
  get '/'(): Uint8Array {
    return this.bytes
  }

  get [Symbol.toStringTag](): string {
    return 'CID'
  }
}

// Shows `CID(bafy...)` in Node's console and util.inspect (cid-inspect.ts); browsers, which have
// no use for it, get the no-op of cid-inspect.browser.ts (#cid-inspect).
showCidsAs(Cid)

/** The bytes of a CID from another implementation that follows multiformats' `asCID` convention. @internal */
export function foreignCidBytes(value: unknown): Uint8Array | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const v = value as { asCID?: unknown; '/'?: unknown; bytes?: unknown }
  if ((v.asCID === value || (v['/'] !== undefined && v['/'] === v.bytes)) && v.bytes instanceof Uint8Array)
    return v.bytes
  return undefined
}

/** @internal */
export function hexPrefix(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length && i < 48; i++) s += (bytes[i] as number).toString(16).padStart(2, '0')
  return s
}

/**
 * The Cid of the binary CID filling `bytes[offset..end]`, or the {@link InvalidCidError} code it
 * breaks: {@link readCidAt} without the error, for a reader that reports the code its own way (the
 * browser decoder, which then needs neither the error class nor its messages). Does not copy.
 * @internal
 */
export function cidAt(
  bytes: Uint8Array,
  offset: number,
  end: number,
  str?: string,
): Cid | 'BAD_VARINT' | 'BAD_VERSION' | 'BAD_LENGTH' {
  const len = end - offset
  // Fast path: the blessed v1 sha2-256 forms, 36 bytes.
  if (
    len === 36 &&
    bytes[offset] === 1 &&
    bytes[offset + 2] === SHA2_256_CODE &&
    bytes[offset + 3] === 32 &&
    ((bytes[offset + 1] as number) & 0x80) === 0
  ) {
    return new Cid(bytes, offset, 36, 1, bytes[offset + 1] as number, 2, str)
  }
  const view = bytes.subarray(offset, end)
  if (len === 34 && view[0] === SHA2_256_CODE && view[1] === 32)
    return new Cid(view, 0, 34, 0, DAG_PB_CODEC, 0)
  const version = readVarint(view, 0)
  if (version.next < 0) return 'BAD_VARINT'
  if (version.value !== 1) return 'BAD_VERSION'
  const codec = readVarint(view, version.next)
  const mhCode = codec.next < 0 ? codec : readVarint(view, codec.next)
  const size = mhCode.next < 0 ? mhCode : readVarint(view, mhCode.next)
  if (size.next < 0) return 'BAD_VARINT'
  if (size.next + size.value !== len) return 'BAD_LENGTH'
  return new Cid(view, 0, len, 1, codec.value, codec.next, str)
}

const CID_PROBLEMS = {
  BAD_VARINT: 'malformed CID varint',
  BAD_VERSION: 'unsupported CID version',
  BAD_LENGTH: 'multihash digest length does not match the CID length',
}

/**
 * Validates the binary CID filling `bytes[offset..end]`. Does not copy: the Cid views `bytes`.
 * @throws {InvalidCidError} on a malformed CID
 * @internal
 */
export function readCidAt(bytes: Uint8Array, offset: number, end: number, str?: string): Cid {
  const cid = cidAt(bytes, offset, end, str)
  if (typeof cid === 'string')
    throw new InvalidCidError(cid, hexPrefix(bytes.subarray(offset, end)), CID_PROBLEMS[cid])
  return cid
}

/**
 * A CIDv1 for `codec` over a sha2-256 `digest` (32 bytes).
 * @throws {RangeError} when the digest is not 32 bytes or the codec is not a non-negative integer
 * @example createCid(RAW_CODEC, sha256(blob))
 */
export function createCid(codec: number, digest: Uint8Array): Cid {
  if (!(digest instanceof Uint8Array) || digest.length !== 32) {
    throw new RangeError('createCid: digest must be a 32-byte sha2-256 digest')
  }
  if (!Number.isSafeInteger(codec) || codec < 0)
    throw new RangeError('createCid: codec must be a non-negative integer')
  const codecLen = varintLength(codec)
  const bytes = new Uint8Array(1 + codecLen + 2 + 32)
  bytes[0] = 1
  let o = writeVarint(bytes, 1, codec)
  const mhOffset = o
  bytes[o++] = SHA2_256_CODE
  bytes[o++] = 32
  bytes.set(digest, o)
  return new Cid(bytes, 0, bytes.length, 1, codec, mhOffset)
}

/**
 * The CID (v1, dag-cbor, sha2-256) of DAG-CBOR block bytes.
 * @example cidForCbor(encode({ a: 1 })).toString() // 'bafyrei...'
 */
export function cidForCbor(bytes: Uint8Array): Cid {
  return createCid(DAG_CBOR_CODEC, sha256(bytes))
}

/**
 * The CID (v1, raw, sha2-256) of blob bytes.
 * @example cidForRaw(new Uint8Array()).toString() // 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'
 */
export function cidForRaw(bytes: Uint8Array): Cid {
  return createCid(RAW_CODEC, sha256(bytes))
}

/** True when `value` is a {@link Cid} of this package. Use `asCid` to also accept multiformats CIDs. */
export function isCid(value: unknown): value is Cid {
  return value instanceof Cid
}

/**
 * True when `cid` is one of the blessed atproto forms: v1, dag-cbor or raw, sha2-256 with a
 * 32-byte digest (the DASL CID profile).
 */
export function isDaslCid(cid: Cid): boolean {
  const b = cid.bytes
  return (
    b.length === 36 &&
    b[0] === 1 &&
    (b[1] === DAG_CBOR_CODEC || b[1] === RAW_CODEC) &&
    b[2] === 0x12 &&
    b[3] === 32
  )
}

/**
 * A cheap, stable string key for Maps and Sets: the CID string, computed once per Cid.
 * @example const seen = new Set<string>(); seen.add(cidKey(cid))
 */
export function cidKey(cid: Cid): string {
  return cid.toString()
}
