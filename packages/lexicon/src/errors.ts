// Issue shapes, result types and the named errors thrown by the throwing wrappers.

/** Why a value failed validation against a schema. */
export type ValidationIssueCode =
  | 'invalid_type'
  | 'required'
  | 'const'
  | 'enum'
  | 'too_small'
  | 'too_big'
  | 'format'
  | 'union_type'
  | 'closed_union'
  | 'blob_mime'
  | 'blob_size'
  | 'invalid_data'
  | 'record_type'
  | 'record_key'
  | 'too_deep'

/** One problem found in data, with a JSONPath-like location such as `$.embed.images[0].alt`. */
export interface ValidationIssue {
  readonly code: ValidationIssueCode
  readonly path: string
  readonly message: string
}

/** Outcome of validating data: the value (defaults applied) or every issue found. */
export type ValidationResult<T = unknown> =
  | { readonly success: true; readonly value: T }
  | { readonly success: false; readonly issues: readonly ValidationIssue[] }

/** Why a lexicon document is not valid lexicon. */
export type LexiconDocIssueCode =
  | 'not_object'
  | 'lexicon_version'
  | 'invalid_id'
  | 'missing_field'
  | 'invalid_field'
  | 'empty_defs'
  | 'invalid_def_name'
  | 'unknown_type'
  | 'type_not_allowed'
  | 'primary_not_main'
  | 'required_not_defined'
  | 'nullable_not_defined'
  | 'const_and_default'
  | 'invalid_range'
  | 'invalid_ref'
  | 'empty_closed_union'
  | 'invalid_format'
  | 'invalid_accept'
  | 'invalid_record_key'
  | 'invalid_permission'
  | 'invalid_language'
  | 'inconsistent_value'
  | 'schema_too_deep'

/** One problem found in a lexicon document, with its path, e.g. `$.defs.main.record.properties.text`. */
export interface LexiconDocIssue {
  readonly code: LexiconDocIssueCode
  readonly path: string
  readonly message: string
}

/** Outcome of parsing a lexicon document. */
export type LexiconDocResult<T> =
  | { readonly success: true; readonly value: T }
  | { readonly success: false; readonly issues: readonly LexiconDocIssue[] }

const firstPath = (issues: readonly { path: string }[]): string => issues[0]?.path ?? '$'

/** Thrown by the throwing validators when data does not match its schema. */
export class LexiconValidationError extends Error {
  override name = 'LexiconValidationError'
  readonly code = 'LEXICON_VALIDATION'
  /** Path of the first issue. */
  readonly path: string
  readonly issues: readonly ValidationIssue[]
  constructor(issues: readonly ValidationIssue[]) {
    const head = issues[0]
    super(
      `${head ? head.message : 'invalid value'}; path=${firstPath(issues)}` +
        (issues.length > 1 ? `; issues=${issues.length}` : ''),
    )
    this.path = firstPath(issues)
    this.issues = issues
  }
}

/** Thrown by `parseLexiconDoc` (and `Lexicons#add`) when a document is not valid lexicon. */
export class InvalidLexiconError extends Error {
  override name = 'InvalidLexiconError'
  readonly code = 'INVALID_LEXICON'
  /** NSID of the document when it had a readable one. */
  readonly id: string | undefined
  readonly path: string
  readonly issues: readonly LexiconDocIssue[]
  constructor(issues: readonly LexiconDocIssue[], id?: string) {
    const head = issues[0]
    super(
      `${head ? head.message : 'invalid lexicon'}; id=${id ?? '?'}; path=${firstPath(issues)}` +
        (issues.length > 1 ? `; issues=${issues.length}` : ''),
    )
    this.id = id
    this.path = firstPath(issues)
    this.issues = issues
  }
}

/** Thrown when a definition or document asked for is not in the registry, or has the wrong type. */
export class LexiconNotFoundError extends Error {
  override name = 'LexiconNotFoundError'
  readonly code = 'LEXICON_NOT_FOUND'
  readonly ref: string
  constructor(ref: string, detail = 'definition not found') {
    super(`${detail}; ref=${ref}`)
    this.ref = ref
  }
}

/** One broken reference found by `Lexicons#checkRefs`. */
export interface LexiconRefIssue {
  readonly code: 'missing_ref' | 'bad_ref_target' | 'required_cycle'
  /** Document that holds the reference. */
  readonly id: string
  /** Path of the reference inside that document. */
  readonly path: string
  /** The resolved reference (`nsid#name`), or the cycle joined by ` -> `. */
  readonly ref: string
  readonly message: string
}

/** Thrown by `Lexicons#assertRefs` when some reference is missing, mistyped or cyclic. */
export class LexiconRefError extends Error {
  override name = 'LexiconRefError'
  readonly code = 'LEXICON_REF'
  readonly issues: readonly LexiconRefIssue[]
  constructor(issues: readonly LexiconRefIssue[]) {
    const head = issues[0]
    super(
      `${head ? head.message : 'bad reference'}; ref=${head?.ref ?? '?'}; id=${head?.id ?? '?'}` +
        (issues.length > 1 ? `; issues=${issues.length}` : ''),
    )
    this.issues = issues
  }
}

/**
 * A value as it may appear in a message: strings, numbers, booleans, null and undefined as
 * `String` writes them, anything else by its kind (`object`, `array`, `bytes`). Never calls the
 * value's own methods, so a null-prototype object or a hostile `toString` cannot make it throw.
 */
export function displayValue(v: unknown): string {
  if (
    v === null ||
    v === undefined ||
    typeof v === 'string' ||
    typeof v === 'number' ||
    typeof v === 'boolean'
  )
    return String(v)
  if (typeof v === 'bigint') return `${v.toString()}n`
  if (Array.isArray(v)) return 'array'
  if (v instanceof Uint8Array) return 'bytes'
  return typeof v
}

/** Appends `.key` or `["key"]` to a JSONPath-like path. */
export function pathKey(path: string, key: string): string {
  return IDENT.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/
