// Every failure is a named class with a stable `code`; callers branch on `code`, never on text.

/** Base class of every @rsky/plc error. */
export class PlcError extends Error {
  override name = 'PlcError'
  readonly code: string = 'PLC_ERROR'
}

/** One problem with the shape of an operation: where (`path`, e.g. `rotationKeys[2]`) and what. */
export interface OperationIssue {
  readonly code: OperationIssueCode
  readonly path: string
  readonly message: string
}

/** Stable codes of `OperationIssue`. */
export type OperationIssueCode =
  | 'not-object'
  | 'unknown-type'
  | 'unknown-field'
  | 'missing-field'
  | 'wrong-type'
  | 'rotation-keys-count'
  | 'rotation-keys-duplicate'
  | 'rotation-key-unsupported'
  | 'verification-methods-count'
  | 'verification-method-syntax'
  | 'prev-not-cid'
  | 'prev-not-null'
  | 'too-large'
  | 'not-json'

/** Untrusted JSON is not a well-formed did:plc operation; `issues` lists every problem found. */
export class OperationFormatError extends PlcError {
  override name = 'OperationFormatError'
  override readonly code: string = 'OPERATION_MALFORMED'
  readonly issues: readonly OperationIssue[]
  constructor(issues: readonly OperationIssue[]) {
    const first = issues[0]
    super(`malformed operation; path=${first?.path ?? ''} issue=${first?.code ?? ''} ${first?.message ?? ''}`)
    this.issues = issues
  }
}

/**
 * The rules an operation or a log can break, as the directory applies them. Each `PlcRuleError`
 * carries one of these as its `code`.
 */
export type PlcRule =
  /** the entry's operation is not a well-formed operation (see `issues`) */
  | 'OPERATION_MALFORMED'
  /** the log has no operations */
  | 'LOG_EMPTY'
  /** the genesis operation is a tombstone or has a non-null prev */
  | 'GENESIS_INVALID'
  /** the DID is not the hash of the genesis operation */
  | 'GENESIS_HASH'
  /** a legacy `create` operation after the genesis */
  | 'LEGACY_NOT_GENESIS'
  /** an operation after the genesis with a null prev */
  | 'PREV_MISSING'
  /** prev names no operation of the current (non-nullified) history */
  | 'PREV_UNKNOWN'
  /** an operation follows a tombstone */
  | 'AFTER_TOMBSTONE'
  /** the sig is not canonical base64url of a 64-byte compact signature (DER, padding, stray bits) */
  | 'SIGNATURE_ENCODING'
  /** the signature verifies only in its high-S form */
  | 'SIGNATURE_HIGH_S'
  /** no allowed rotation key verifies the signature */
  | 'SIGNATURE_INVALID'
  /** a fork signed by a key that does not outrank the signer of the first nullified operation */
  | 'NULLIFICATION_KEY'
  /** a fork more than 72 hours after the first operation it nullifies */
  | 'NULLIFICATION_LATE'
  /** an audit entry is not an object with did, operation, cid, nullified and createdAt */
  | 'ENTRY_MALFORMED'
  /** the log has more entries than the cap */
  | 'LOG_TOO_LONG'
  /** an audit entry's `did` is not the DID being audited */
  | 'ENTRY_DID'
  /** an audit entry's `cid` is not the CID of its operation */
  | 'ENTRY_CID'
  /** an audit entry's `createdAt` is not a timestamp, or goes back in time */
  | 'ENTRY_TIME'
  /** an audit entry's `nullified` flag disagrees with the replayed history */
  | 'ENTRY_NULLIFIED'
  /** the same operation appears twice in the log */
  | 'ENTRY_DUPLICATE'

/** An operation (or an audit-log entry) breaks a did:plc rule; `index` and `cid` say which one. */
export class PlcRuleError extends PlcError {
  override name = 'PlcRuleError'
  override readonly code: PlcRule
  /** Position of the offending operation in the log (0 for a single proposed operation). */
  readonly index: number
  /** CID of the offending operation when it could be computed. */
  readonly cid: string | undefined
  readonly did: string
  readonly detail: string
  /** Shape problems when `code` is OPERATION_MALFORMED. */
  readonly issues: readonly OperationIssue[]
  constructor(
    code: PlcRule,
    at: { did: string; index: number; cid?: string | undefined; issues?: readonly OperationIssue[] },
    detail: string,
  ) {
    super(
      `${code.toLowerCase().replaceAll('_', ' ')}; ${detail} index=${at.index} did=${clip(at.did)}${at.cid ? ` cid=${at.cid}` : ''}`,
    )
    this.code = code
    this.index = at.index
    this.cid = at.cid
    this.did = at.did
    this.detail = detail
    this.issues = at.issues ?? []
  }
}

/** A signer was asked to sign an operation its key has no authority over. */
export class SignerNotAllowedError extends PlcError {
  override name = 'SignerNotAllowedError'
  override readonly code: string = 'SIGNER_NOT_ALLOWED'
  readonly signer: string
  constructor(signer: string, reason: string) {
    super(`signer is not an allowed rotation key; reason=${reason} signer=${clip(signer)}`)
    this.signer = signer
  }
}

/** The directory answered with an error status; `status` and the server's `message` are kept. */
export class PlcHttpError extends PlcError {
  override name = 'PlcHttpError'
  override readonly code: string = 'PLC_HTTP_ERROR'
  readonly url: string
  readonly status: number
  readonly serverMessage: string | undefined
  constructor(url: string, status: number, serverMessage: string | undefined) {
    super(
      `directory answered ${status}; url=${url}${serverMessage ? ` message=${clip(serverMessage, 300)}` : ''}`,
    )
    this.url = url
    this.status = status
    this.serverMessage = serverMessage
  }
}

/** The directory does not know the DID (404), or it is tombstoned (410 or 404 "not available"). */
export class PlcNotFoundError extends PlcHttpError {
  override name = 'PlcNotFoundError'
  override readonly code: string = 'PLC_NOT_FOUND'
}

/** No complete answer within the time limit. */
export class PlcTimeoutError extends PlcError {
  override name = 'PlcTimeoutError'
  override readonly code: string = 'PLC_TIMEOUT'
  readonly url: string
  readonly timeoutMs: number
  constructor(url: string, timeoutMs: number) {
    super(`directory request timed out; url=${url} timeoutMs=${timeoutMs}`)
    this.url = url
    this.timeoutMs = timeoutMs
  }
}

/** The answer is larger than the byte cap. */
export class PlcResponseTooLargeError extends PlcError {
  override name = 'PlcResponseTooLargeError'
  override readonly code: string = 'PLC_RESPONSE_TOO_LARGE'
  readonly url: string
  readonly maxBytes: number
  constructor(url: string, maxBytes: number) {
    super(`directory response too large; url=${url} maxBytes=${maxBytes}`)
    this.url = url
    this.maxBytes = maxBytes
  }
}

/** The answer is not what the endpoint promises (not JSON, wrong shape). */
export class PlcResponseInvalidError extends PlcError {
  override name = 'PlcResponseInvalidError'
  override readonly code: string = 'PLC_RESPONSE_INVALID'
  readonly url: string
  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super(`directory response invalid; reason=${reason} url=${url}`, options)
    this.url = url
  }
}

/** The request never got an answer (connection refused, DNS, TLS). */
export class PlcNetworkError extends PlcError {
  override name = 'PlcNetworkError'
  override readonly code: string = 'PLC_NETWORK_ERROR'
  readonly url: string
  constructor(url: string, cause: unknown) {
    super(`directory unreachable; url=${url}`, { cause })
    this.url = url
  }
}

/** Shortens untrusted text for messages. */
export function clip(text: string, max = 120): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`
}
