/** A repo index key that is not `collection/rkey`. */
export class RecordPathError extends Error {
  override readonly name = 'RecordPathError'
  readonly code = 'InvalidRecordPath'
  /** The rejected path. */
  readonly input: string
  constructor(input: string) {
    super(
      `expected collection/rkey; input=${JSON.stringify(input.length > 200 ? `${input.slice(0, 200)}…` : input)}`,
    )
    this.input = input
  }
}

/** Codes of {@link SpaceCarError}. */
export type SpaceCarErrorCode =
  | 'RootCount'
  | 'MissingCommit'
  | 'CommitMismatch'
  | 'InvalidCommit'
  | 'CommitVerification'
  | 'MissingIndex'
  | 'IndexMismatch'
  | 'InvalidIndex'
  | 'IndexHashMismatch'
  | 'RecordOrder'
  | 'RecordHashMismatch'
  | 'MissingRecord'
  | 'TrailingBlock'
  | 'InvalidRecord'
  | 'Car'
  | 'StageOrder'

/**
 * A space repo CAR that fails validation: wrong roots, a commit or index block that does not
 * match its root, an index that does not fold to the trusted hash, a record block that is
 * missing, reordered, altered or extra.
 */
export class SpaceCarError extends Error {
  override readonly name = 'SpaceCarError'
  readonly code: SpaceCarErrorCode
  /** The `collection/rkey` path concerned, when the error is about one record. */
  readonly path: string | undefined
  /** Zero-based position of the block concerned among all blocks of the CAR. */
  readonly blockIndex: number | undefined
  constructor(
    code: SpaceCarErrorCode,
    message: string,
    opts: { path?: string; blockIndex?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
    this.path = opts.path
    this.blockIndex = opts.blockIndex
  }
}

/** Codes of {@link SpaceTokenError}. */
export type SpaceTokenErrorCode =
  | 'BadJwt'
  | 'BadJwtType'
  | 'BadJwtAlg'
  | 'BadJwtIss'
  | 'BadJwtSub'
  | 'BadJwtAudience'
  | 'BadJwtCnf'
  | 'BadJwtSignature'
  | 'JwtExpired'
  | 'JwtNotYetValid'
  | 'JwtReplayed'

/** A delegation token, space credential or client attestation that is malformed or fails verification. */
export class SpaceTokenError extends Error {
  override readonly name = 'SpaceTokenError'
  readonly code: SpaceTokenErrorCode
  constructor(code: SpaceTokenErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
  }
}

/** Codes of {@link DpopProofError}. */
export type DpopProofErrorCode =
  | 'BadDpopProof'
  | 'BadDpopProofSignature'
  | 'DpopProofExpired'
  | 'DpopKeyMismatch'
  | 'DpopProofReplayed'

/** A DPoP proof (RFC 9449) that is malformed, stale, replayed or bound to another key or request. */
export class DpopProofError extends Error {
  override readonly name = 'DpopProofError'
  readonly code: DpopProofErrorCode
  constructor(code: DpopProofErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
  }
}
