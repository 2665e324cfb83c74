// Named errors of @rsky/label: a stable `code` and the input that failed; callers never parse messages.

/** Why a label value is not a valid label. */
export type LabelIssueCode =
  | 'NOT_AN_OBJECT'
  | 'MISSING_FIELD'
  | 'WRONG_TYPE'
  | 'BAD_FORMAT'
  | 'TOO_LONG'
  | 'UNKNOWN_FIELD'
  | 'BAD_VERSION'

/** One problem with a label, at a field path such as `val` or `sig`. */
export interface LabelIssue {
  readonly code: LabelIssueCode
  readonly path: string
  readonly message: string
}

/** Base class of every error raised by this package. */
export class LabelError extends Error {
  override readonly name: string = 'LabelError'
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** A value that is not a valid label; `issues` lists every problem found. */
export class InvalidLabelError extends LabelError {
  override readonly name = 'InvalidLabelError'
  readonly issues: readonly LabelIssue[]
  readonly input: unknown
  constructor(issues: readonly LabelIssue[], input: unknown) {
    const first = issues[0]
    super('INVALID_LABEL', `invalid label; ${issues.map((i) => `${i.path || '.'}=${i.code}`).join(' ')}`)
    this.issues = issues
    this.input = input
    if (first === undefined) throw new RangeError('InvalidLabelError needs at least one issue')
  }
}

/** Bytes that do not decode to a label (bad CBOR, oversized, trailing data). */
export class LabelDecodeError extends LabelError {
  override readonly name = 'LabelDecodeError'
  readonly length: number
  constructor(message: string, length: number, options?: { cause?: unknown }) {
    super('LABEL_DECODE', `${message}; length=${length}`, options)
    this.length = length
  }
}
