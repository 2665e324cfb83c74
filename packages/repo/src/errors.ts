import type { Cid } from '@rsky/dag-cbor'

export type RepoErrorCode =
  | 'BAD_COMMIT'
  | 'BAD_SIGNATURE'
  | 'DID_MISMATCH'
  | 'MISSING_BLOCK'
  | 'BAD_CAR_ROOT'
  | 'BAD_RECORD'
  | 'BAD_TREE'
  | 'BAD_PROOF'
  | 'RECORD_NOT_FOUND'
  | 'STALE_REV'

/** Base of every repository error: `code` is stable, `cid` names the block involved when there is one. */
export class RepoError extends Error {
  override name = 'RepoError'
  // `declare`d: set by the constructors, not declared again as class fields (bytes in a bundle).
  declare readonly code: RepoErrorCode
  declare readonly cid: Cid | undefined
  constructor(code: RepoErrorCode, message: string, opts: { cid?: Cid; cause?: unknown } = {}) {
    super(opts.cid ? `${message}; cid=${opts.cid}` : message, { cause: opts.cause })
    this.code = code
    this.cid = opts.cid
  }
}

/** The commit block is not a valid v2/v3 commit object. */
export class InvalidCommitError extends RepoError {
  override name = 'InvalidCommitError'
  constructor(message: string, opts: { cid?: Cid; cause?: unknown } = {}) {
    super('BAD_COMMIT', `invalid commit: ${message}`, opts)
  }
}

/** The commit signature does not verify with the expected key. */
export class InvalidSignatureError extends RepoError {
  override name = 'InvalidSignatureError'
  declare readonly key: string
  constructor(key: string, opts: { cid?: Cid } = {}) {
    super('BAD_SIGNATURE', `bad signature; key=${key}`, opts)
    this.key = key
  }
}

/** The commit is for another DID than the one expected. */
export class DidMismatchError extends RepoError {
  override name = 'DidMismatchError'
  declare readonly expected: string
  declare readonly actual: string
  constructor(expected: string, actual: string) {
    super('DID_MISMATCH', `DID mismatch; expected=${expected} actual=${actual}`)
    this.expected = expected
    this.actual = actual
  }
}

/** A block the repository references is absent from the CAR or the store. */
export class MissingBlockError extends RepoError {
  override name = 'MissingBlockError'
  declare readonly what: string
  constructor(cid: Cid, what: string) {
    super('MISSING_BLOCK', `missing ${what} block`, { cid })
    this.what = what
  }
}

/** The CAR's root is absent, not single, or not a commit. */
export class InvalidCarRootError extends RepoError {
  override name = 'InvalidCarRootError'
  constructor(message: string, opts: { cid?: Cid; cause?: unknown } = {}) {
    super('BAD_CAR_ROOT', message, opts)
  }
}

/** A record block does not decode as a DAG-CBOR map. */
export class InvalidRecordError extends RepoError {
  override name = 'InvalidRecordError'
  declare readonly path: string
  constructor(path: string, message: string, opts: { cid?: Cid; cause?: unknown } = {}) {
    super('BAD_RECORD', `invalid record: ${message}; path=${path}`, opts)
    this.path = path
  }
}
