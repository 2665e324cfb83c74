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

function describe(message: string, fields: object): string {
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
  // `declare`d and set by the constructor in this order (no class field declarations in a bundle).
  declare readonly code: CarErrorCode
  declare readonly offset: number
  /** Blocks fully read (and checked) before the error: how far the reader got. */
  declare blocksRead: number

  /**
   * `at` is the offset, or (for the subclasses) an object of typed fields with the offset: each is
   * set on the error and listed in the message (`message; key=value ...`).
   */
  constructor(
    code: CarErrorCode,
    message: string,
    at: number | { readonly offset: number; readonly [field: string]: unknown },
    options?: ErrorOptions,
  ) {
    super(typeof at === 'number' ? message : describe(message, at), options)
    this.code = code
    this.offset = typeof at === 'number' ? at : at.offset
    this.blocksRead = 0
    if (typeof at !== 'number') Object.assign(this, at)
  }
}

// The subclasses keep their typed fields as `declare`d properties that the base constructor sets
// from the options object, and their message lists those fields in the options' order: a browser
// bundle that reads blocks carries every class, so each one is kept to a few bytes.

/** The file ended inside a varint, the header, a CID or a block. */
export class CarTruncatedError extends CarError {
  override name = 'CarTruncatedError'
  declare readonly part: CarPart
  /** Bytes the part needed from `offset`, and bytes that were actually there. */
  declare readonly expected: number
  declare readonly available: number

  constructor(opts: { part: CarPart; offset: number; expected: number; available: number }) {
    super('CAR_TRUNCATED', 'CAR truncated', opts)
  }
}

/** A section-length varint longer than 10 bytes, or not minimally encoded. */
export class CarVarintError extends CarError {
  override name = 'CarVarintError'
  declare readonly reason: 'too-long' | 'non-minimal'

  constructor(opts: { reason: 'too-long' | 'non-minimal'; offset: number }) {
    super('CAR_INVALID_VARINT', 'bad varint', opts)
  }
}

/** A header, a block, the block count or the whole file is over its configured cap. */
export class CarLimitExceededError extends CarError {
  override name = 'CarLimitExceededError'
  declare readonly limit: CarLimit
  /** The declared or accumulated size, and the cap it exceeded. */
  declare readonly value: number
  declare readonly max: number

  constructor(opts: { limit: CarLimit; value: number; max: number; offset: number }) {
    super('CAR_LIMIT_EXCEEDED', 'limit exceeded', opts)
  }
}

/** A block CID that is not CIDv1 with sha2-256 and a dag-cbor or raw codec. */
export class CarUnsupportedCidError extends CarError {
  override name = 'CarUnsupportedCidError'
  /** What the CID's header said, as far as it could be read (codes are multicodec numbers). */
  declare readonly version: number | undefined
  declare readonly codec: number | undefined
  declare readonly hashCode: number | undefined
  declare readonly digestLength: number | undefined

  constructor(opts: {
    offset: number
    version?: number | undefined
    codec?: number | undefined
    hashCode?: number | undefined
    digestLength?: number | undefined
  }) {
    super('CAR_UNSUPPORTED_CID', 'unsupported CID', opts)
  }
}

/** The header is not DAG-CBOR `{ version: 1, roots: [CID, ...] }`. */
export class CarInvalidHeaderError extends CarError {
  override name = 'CarInvalidHeaderError'
  declare readonly reason: string

  constructor(opts: { reason: string; offset: number; cause?: unknown }) {
    const { reason, offset, cause } = opts
    super('CAR_INVALID_HEADER', 'bad header', { reason, offset }, cause === undefined ? undefined : { cause })
  }
}

/** A block section too short to hold its own CID. */
export class CarInvalidSectionError extends CarError {
  override name = 'CarInvalidSectionError'
  declare readonly length: number

  constructor(opts: { length: number; offset: number }) {
    super('CAR_INVALID_SECTION', 'section too short', opts)
  }
}

/** Bytes after the last block that are not a block section (zero-length padding, for one). */
export class CarTrailingDataError extends CarError {
  override name = 'CarTrailingDataError'
  declare readonly trailingBytes: number | undefined

  constructor(opts: { offset: number; trailingBytes?: number | undefined }) {
    super('CAR_TRAILING_DATA', 'trailing data', opts)
  }
}

/** A block whose bytes do not hash to the digest in its CID (forged or corrupted). */
export class CarBlockHashMismatchError extends CarError {
  override name = 'CarBlockHashMismatchError'
  declare readonly cid: Cid

  constructor(opts: { cid: Cid; offset: number }) {
    super('CAR_HASH_MISMATCH', 'hash mismatch', opts)
  }
}
