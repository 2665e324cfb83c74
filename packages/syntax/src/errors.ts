/** One reason a string failed validation. `offset` is the UTF-16 index where the problem was found, if known. */
export interface SyntaxIssue {
  readonly code: string
  readonly message: string
  readonly path: readonly (string | number)[]
  readonly offset?: number
}

/** Result of a `validateX` function: the validated value, or the reasons it was rejected. */
export type ValidationResult<T> =
  | { readonly success: true; readonly value: T }
  | { readonly success: false; readonly issues: readonly SyntaxIssue[] }

// Long hostile inputs must not end up in full inside error messages or logs.
const MAX_QUOTED = 80

function quote(input: string): string {
  const shown = input.length > MAX_QUOTED ? `${input.slice(0, MAX_QUOTED)}…(${input.length} chars)` : input
  return JSON.stringify(shown)
}

/**
 * Base class of every syntax error in this package. `code` is stable per identifier kind,
 * `reason` says why (human readable), `input` is the rejected string.
 */
export class InvalidSyntaxError extends Error {
  override name = 'InvalidSyntaxError'
  readonly code: string = 'INVALID_SYNTAX'
  readonly input: string
  readonly reason: string
  readonly offset: number | undefined
  constructor(kind: string, input: string, reason: string, offset?: number) {
    super(
      `invalid ${kind}: ${reason}; input=${quote(input)}${offset === undefined ? '' : ` offset=${offset}`}`,
    )
    this.input = input
    this.reason = reason
    this.offset = offset
  }
}

/** A string is not a valid DID. */
export class InvalidDidError extends InvalidSyntaxError {
  override name = 'InvalidDidError'
  override readonly code: string = 'INVALID_DID'
  constructor(input: string, reason: string, offset?: number) {
    super('DID', input, reason, offset)
  }
}

/** A string is not a valid handle. */
export class InvalidHandleError extends InvalidSyntaxError {
  override name = 'InvalidHandleError'
  override readonly code: string = 'INVALID_HANDLE'
  constructor(input: string, reason: string, offset?: number) {
    super('handle', input, reason, offset)
  }
}

/** A handle is syntactically valid but ends in a TLD that atproto refuses to register or resolve. */
export class DisallowedDomainError extends InvalidSyntaxError {
  override name = 'DisallowedDomainError'
  override readonly code: string = 'DISALLOWED_DOMAIN'
  constructor(input: string, reason: string) {
    super('handle', input, reason)
  }
}

/** A string is not a valid NSID. */
export class InvalidNsidError extends InvalidSyntaxError {
  override name = 'InvalidNsidError'
  override readonly code: string = 'INVALID_NSID'
  constructor(input: string, reason: string, offset?: number) {
    super('NSID', input, reason, offset)
  }
}

/** A string is not a valid record key. */
export class InvalidRecordKeyError extends InvalidSyntaxError {
  override name = 'InvalidRecordKeyError'
  override readonly code: string = 'INVALID_RECORD_KEY'
  constructor(input: string, reason: string, offset?: number) {
    super('record key', input, reason, offset)
  }
}

/** A string is not a valid TID. */
export class InvalidTidError extends InvalidSyntaxError {
  override name = 'InvalidTidError'
  override readonly code: string = 'INVALID_TID'
  constructor(input: string, reason: string, offset?: number) {
    super('TID', input, reason, offset)
  }
}

/** A string is not valid base32-sortable, or decodes past `Number.MAX_SAFE_INTEGER`. */
export class InvalidS32Error extends InvalidSyntaxError {
  override name = 'InvalidS32Error'
  override readonly code: string = 'INVALID_S32'
  constructor(input: string, reason: string, offset?: number) {
    super('base32-sortable string', input, reason, offset)
  }
}

/** A string is not a valid atproto datetime, or could not be normalised to one. */
export class InvalidDatetimeError extends InvalidSyntaxError {
  override name = 'InvalidDatetimeError'
  override readonly code: string = 'INVALID_DATETIME'
  constructor(input: string, reason: string, offset?: number) {
    super('datetime', input, reason, offset)
  }
}

/** A string is not a valid AT-URI (restricted Lexicon syntax). */
export class InvalidAtUriError extends InvalidSyntaxError {
  override name = 'InvalidAtUriError'
  override readonly code: string = 'INVALID_AT_URI'
  constructor(input: string, reason: string, offset?: number) {
    super('AT-URI', input, reason, offset)
  }
}

/** A string is neither a valid DID nor a valid handle. */
export class InvalidAtIdentifierError extends InvalidSyntaxError {
  override name = 'InvalidAtIdentifierError'
  override readonly code: string = 'INVALID_AT_IDENTIFIER'
  constructor(input: string, reason: string, offset?: number) {
    super('at-identifier', input, reason, offset)
  }
}

/** A string is not a well-formed BCP-47 language tag (as the atproto fixtures define it). */
export class InvalidLanguageError extends InvalidSyntaxError {
  override name = 'InvalidLanguageError'
  override readonly code: string = 'INVALID_LANGUAGE'
  constructor(input: string, reason: string, offset?: number) {
    super('language tag', input, reason, offset)
  }
}

/** A string is not a valid generic URI. */
export class InvalidUriError extends InvalidSyntaxError {
  override name = 'InvalidUriError'
  override readonly code: string = 'INVALID_URI'
  constructor(input: string, reason: string, offset?: number) {
    super('URI', input, reason, offset)
  }
}

/** A string does not have CID string syntax. */
export class InvalidCidStringError extends InvalidSyntaxError {
  override name = 'InvalidCidStringError'
  override readonly code: string = 'INVALID_CID_STRING'
  constructor(input: string, reason: string, offset?: number) {
    super('CID string', input, reason, offset)
  }
}

/** A string is not a valid space URI or space record URI of permissioned data. */
export class InvalidSpaceUriError extends InvalidSyntaxError {
  override name = 'InvalidSpaceUriError'
  override readonly code: string = 'INVALID_SPACE_URI'
  constructor(input: string, reason: string, offset?: number) {
    super('space URI', input, reason, offset)
  }
}

/**
 * What the scanners return on failure: a constant message and, where known, an offset.
 * Scanners return `undefined` on success so the valid path allocates nothing. Constant problems
 * are written as plain string literals, not templates over the `MAX_*` constants: a bundler keeps
 * an object built from a template, so every `isValid*` bundle would carry the text.
 */
export interface Problem {
  readonly message: string
  readonly offset?: number
}

/** @internal Builds a failed ValidationResult from a scanner problem. */
export function failure<T>(code: string, problem: Problem): ValidationResult<T> {
  const issue: SyntaxIssue =
    problem.offset === undefined
      ? { code, message: problem.message, path: [] }
      : { code, message: problem.message, path: [], offset: problem.offset }
  return { success: false, issues: [issue] }
}

/** @internal Checks that an argument is a string; validators of untrusted data accept anything. */
export function isString(input: unknown): input is string {
  return typeof input === 'string'
}
