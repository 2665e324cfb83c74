import type { Cid } from '@rsky/dag-cbor'

/** The stable codes of every {@link CarError}; callers branch on these, never on messages. */
export type CarErrorCode =
  | 'CAR_TRUNCATED'
  | 'CAR_INVALID_VARINT'
  | 'CAR_LIMIT_EXCEEDED'
  | 'CAR_UNSUPPORTED_CID'
  | 'CAR_INVALID_HEADER'
  | 'CAR_INVALID_SECTION'
  | 'CAR_TRAILING_DATA'
  | 'CAR_HASH_MISMATCH'

/** The part of a CAR file a truncation or a bad section was found in. */
export type CarPart = 'header' | 'varint' | 'cid' | 'block'

/** Which configured cap a CAR exceeded (the option name in {@link CarReadOptions}). */
export type CarLimit = 'maxHeaderBytes' | 'maxBlockBytes' | 'maxTotalBytes' | 'maxBlocks'

function describe(message: string, fields: Record<string, unknown>): string {
  const parts: string[] = []
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) parts.push(`${key}=${String(value)}`)
  }
  return parts.length > 0 ? `${message}; ${parts.join(' ')}` : message
}

/**
 * Base class of every error raised for bad CAR data. `offset` is the byte offset in the CAR
 * file where the bad item starts; `blocksRead` says how many blocks were read before it.
 */
export class CarError extends Error {
  override name = 'CarError'
  readonly code: CarErrorCode
  readonly offset: number
  /** Blocks fully read (and checked) before the error: how far the reader got. */
  blocksRead = 0

  constructor(code: CarErrorCode, message: string, offset: number, options?: ErrorOptions) {
    super(message, options)
    this.code = code
    this.offset = offset
  }
}

/** The file ended inside a varint, the header, a CID or a block. */
export class CarTruncatedError extends CarError {
  override name = 'CarTruncatedError'
  readonly part: CarPart
  /** Bytes the part needed from `offset`, and bytes that were actually there. */
  readonly expected: number
  readonly available: number

  constructor(opts: { part: CarPart; offset: number; expected: number; available: number }) {
    super(
      'CAR_TRUNCATED',
      describe('CAR file ends early', {
        part: opts.part,
        offset: opts.offset,
        expected: opts.expected,
        available: opts.available,
      }),
      opts.offset,
    )
    this.part = opts.part
    this.expected = opts.expected
    this.available = opts.available
  }
}

/** A section-length varint longer than 10 bytes, or not minimally encoded. */
export class CarVarintError extends CarError {
  override name = 'CarVarintError'
  readonly reason: 'too-long' | 'non-minimal'

  constructor(opts: { reason: 'too-long' | 'non-minimal'; offset: number }) {
    super(
      'CAR_INVALID_VARINT',
      describe('invalid varint', { reason: opts.reason, offset: opts.offset }),
      opts.offset,
    )
    this.reason = opts.reason
  }
}

/** A header, a block, the block count or the whole file is over its configured cap. */
export class CarLimitExceededError extends CarError {
  override name = 'CarLimitExceededError'
  readonly limit: CarLimit
  /** The declared or accumulated size, and the cap it exceeded. */
  readonly value: number
  readonly max: number

  constructor(opts: { limit: CarLimit; value: number; max: number; offset: number }) {
    super(
      'CAR_LIMIT_EXCEEDED',
      describe('CAR exceeds a size limit', {
        limit: opts.limit,
        value: opts.value,
        max: opts.max,
        offset: opts.offset,
      }),
      opts.offset,
    )
    this.limit = opts.limit
    this.value = opts.value
    this.max = opts.max
  }
}

/** A block CID that is not CIDv1 with sha2-256 and a dag-cbor or raw codec. */
export class CarUnsupportedCidError extends CarError {
  override name = 'CarUnsupportedCidError'
  readonly version: number | undefined
  readonly codec: number | undefined
  readonly hashCode: number | undefined
  readonly digestLength: number | undefined

  constructor(opts: {
    offset: number
    version?: number | undefined
    codec?: number | undefined
    hashCode?: number | undefined
    digestLength?: number | undefined
  }) {
    super(
      'CAR_UNSUPPORTED_CID',
      describe('unsupported block CID (want CIDv1, sha2-256, dag-cbor or raw)', {
        version: opts.version,
        codec: hex(opts.codec),
        hash: hex(opts.hashCode),
        digestLength: opts.digestLength,
        offset: opts.offset,
      }),
      opts.offset,
    )
    this.version = opts.version
    this.codec = opts.codec
    this.hashCode = opts.hashCode
    this.digestLength = opts.digestLength
  }
}

function hex(n: number | undefined): string | undefined {
  return n === undefined ? undefined : `0x${n.toString(16)}`
}

/** The header is not DAG-CBOR `{ version: 1, roots: [CID, ...] }`. */
export class CarInvalidHeaderError extends CarError {
  override name = 'CarInvalidHeaderError'
  readonly reason: string

  constructor(opts: { reason: string; offset: number; cause?: unknown }) {
    super(
      'CAR_INVALID_HEADER',
      describe('invalid CAR header', { reason: opts.reason, offset: opts.offset }),
      opts.offset,
      opts.cause === undefined ? undefined : { cause: opts.cause },
    )
    this.reason = opts.reason
  }
}

/** A block section too short to hold its own CID. */
export class CarInvalidSectionError extends CarError {
  override name = 'CarInvalidSectionError'
  readonly length: number

  constructor(opts: { length: number; offset: number }) {
    super(
      'CAR_INVALID_SECTION',
      describe('block section shorter than its CID', { length: opts.length, offset: opts.offset }),
      opts.offset,
    )
    this.length = opts.length
  }
}

/** Bytes after the last block that are not a block section (zero-length padding, for one). */
export class CarTrailingDataError extends CarError {
  override name = 'CarTrailingDataError'
  readonly trailingBytes: number | undefined

  constructor(opts: { offset: number; trailingBytes?: number | undefined }) {
    super(
      'CAR_TRAILING_DATA',
      describe('trailing bytes after the last block', {
        offset: opts.offset,
        trailingBytes: opts.trailingBytes,
      }),
      opts.offset,
    )
    this.trailingBytes = opts.trailingBytes
  }
}

/** A block whose bytes do not hash to the digest in its CID (forged or corrupted). */
export class CarBlockHashMismatchError extends CarError {
  override name = 'CarBlockHashMismatchError'
  readonly cid: Cid

  constructor(opts: { cid: Cid; offset: number }) {
    super(
      'CAR_HASH_MISMATCH',
      describe('block bytes do not match their CID', {
        cid: opts.cid.toString(),
        offset: opts.offset,
      }),
      opts.offset,
    )
    this.cid = opts.cid
  }
}
