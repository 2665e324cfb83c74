// The description of each decode error code is chosen through the package's "imports" map
// (#decode-problem): a sentence per code everywhere but in browsers, where one phrase serves all
// (the code names the rule, the offset the byte).
import { describeDecodeProblem } from '#decode-problem'

/** Stable codes carried by {@link DagCborDecodeError}. */
export type DagCborDecodeErrorCode =
  | 'EMPTY_INPUT'
  | 'INPUT_TOO_LARGE'
  | 'TRUNCATED'
  | 'TRAILING_BYTES'
  | 'INDEFINITE_LENGTH'
  | 'RESERVED_ADDITIONAL_INFO'
  | 'NON_MINIMAL_INTEGER'
  | 'INTEGER_OUT_OF_RANGE'
  | 'FLOAT_NOT_ALLOWED'
  | 'UNSUPPORTED_SIMPLE_VALUE'
  | 'UNSUPPORTED_TAG'
  | 'INVALID_CID'
  | 'MAP_KEY_NOT_STRING'
  | 'MAP_KEYS_UNSORTED'
  | 'DUPLICATE_MAP_KEY'
  | 'INVALID_UTF8'
  | 'MAX_DEPTH_EXCEEDED'
  | 'MAX_LENGTH_EXCEEDED'
  | 'NOT_A_MAP'

/**
 * Raised when bytes are not strict DAG-CBOR of the AT data model; `offset` is where the problem
 * starts. The message is the code's description, then `code=... offset=...` and the `detail`
 * facts (`key=value`) when given.
 */
export class DagCborDecodeError extends Error {
  override name = 'DagCborDecodeError'
  // `declare`d: set by the constructor (no class field declarations in a bundle).
  declare readonly code: DagCborDecodeErrorCode
  /** Byte offset in the input of the item (or byte) at fault. */
  declare readonly offset: number
  constructor(code: DagCborDecodeErrorCode, offset: number, detail?: string) {
    super(`${describeDecodeProblem(code)}; code=${code} offset=${offset}${detail ? ` ${detail}` : ''}`)
    this.code = code
    this.offset = offset
  }
}

/** Stable codes carried by {@link DagCborEncodeError}. */
export type DagCborEncodeErrorCode =
  | 'UNSUPPORTED_TYPE'
  | 'NOT_AN_INTEGER'
  | 'INTEGER_OUT_OF_RANGE'
  | 'INVALID_STRING'
  | 'MAX_DEPTH_EXCEEDED'

/** Raised when a value cannot be encoded as AT data model DAG-CBOR; `path` locates it (`$.a[2].b`). */
export class DagCborEncodeError extends Error {
  override name = 'DagCborEncodeError'
  readonly code: DagCborEncodeErrorCode
  readonly path: string
  constructor(code: DagCborEncodeErrorCode, path: string, detail: string) {
    super(`${detail}; code=${code} path=${path}`)
    this.code = code
    this.path = path
  }
}

/** Stable codes carried by {@link InvalidCidError}. */
export type InvalidCidErrorCode =
  | 'BAD_MULTIBASE'
  | 'BAD_ENCODING'
  | 'BAD_VERSION'
  | 'BAD_VARINT'
  | 'BAD_LENGTH'
  | 'UNSUPPORTED_CID'

/** Raised when a CID string or binary CID is malformed (or, with `dasl`, not one of the blessed forms). */
export class InvalidCidError extends Error {
  override name = 'InvalidCidError'
  readonly code: InvalidCidErrorCode
  /** The offending input: the string, or a short hex prefix of the bytes. */
  readonly input: string
  constructor(code: InvalidCidErrorCode, input: string, detail: string) {
    super(`${detail}; code=${code} input=${JSON.stringify(input.slice(0, 120))}`)
    this.code = code
    this.input = input
  }
}

/** Stable codes carried by {@link LexJsonError}. */
export type LexJsonErrorCode =
  | 'FLOAT_NOT_ALLOWED'
  | 'INTEGER_OUT_OF_RANGE'
  | 'UNSUPPORTED_TYPE'
  | 'INVALID_LINK'
  | 'INVALID_BYTES'
  | 'INVALID_TYPE_FIELD'
  | 'INVALID_BLOB'
  | 'NOT_AN_OBJECT'
  | 'MAX_DEPTH_EXCEEDED'

/** Raised when JSON is not valid AT data model JSON; `path` locates the value (`$.a.b[0]`). */
export class LexJsonError extends Error {
  override name = 'LexJsonError'
  readonly code: LexJsonErrorCode
  readonly path: string
  constructor(code: LexJsonErrorCode, path: string, detail: string) {
    super(`${detail}; code=${code} path=${path}`)
    this.code = code
    this.path = path
  }
}
