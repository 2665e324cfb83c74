// Strict checks of every label field, returning all issues at once; the throwing form is built on it.
import { isValidAtUri, isValidCidString, isValidDatetime, isValidDid, isValidUri } from '@rsky/syntax'
import { InvalidLabelError, type LabelIssue, type LabelIssueCode } from './errors.ts'
import { LABEL_SIG_LENGTH, type Label, MAX_LABEL_VAL_BYTES } from './types.ts'

/** Options of {@link validateLabel}. */
export interface ValidateLabelOptions {
  /** Reject fields outside the schema (other than `$type`). Default false: they are dropped. */
  readonly rejectUnknownFields?: boolean
  /** Require `sig`. Default false. */
  readonly requireSig?: boolean
}

/** Outcome of {@link validateLabel}. */
export type LabelValidation = { success: true; value: Label } | { success: false; issues: LabelIssue[] }

const KNOWN = new Set(['ver', 'src', 'uri', 'cid', 'val', 'neg', 'cts', 'exp', 'sig', '$type'])
const LABEL_TYPE = 'com.atproto.label.defs#label'
const encoder = new TextEncoder()

/** UTF-8 length of `s` without allocating for ASCII strings. */
export function utf8Length(s: string): number {
  const n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0x7f) return encoder.encode(s).length
  }
  return n
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

function subjectOk(uri: string): boolean {
  if (uri.startsWith('at://')) return isValidAtUri(uri)
  if (uri.startsWith('did:')) return isValidDid(uri)
  return isValidUri(uri)
}

/**
 * Checks a label in data-model form (`sig` as bytes): DID `src`, URI `uri` (an AT-URI or DID when it
 * looks like one), CID string `cid`, 1..128-byte `val`, boolean `neg`, datetimes `cts`/`exp`, 64-byte
 * `sig`, and `ver` 1 (a missing `ver` reads as 1, since the lexicon form may leave it out). Returns
 * every issue; never throws on bad input.
 * @example validateLabel({ src, uri, val: 'spam', cts }).success // true
 */
export function validateLabel(input: unknown, opts: ValidateLabelOptions = {}): LabelValidation {
  const issues: LabelIssue[] = []
  const add = (code: LabelIssueCode, path: string, message: string): void => {
    issues.push({ code, path, message })
  }
  if (!isPlainObject(input)) {
    add('NOT_AN_OBJECT', '', 'label must be an object')
    return { success: false, issues }
  }
  const v = input
  const str = (key: string, required: boolean): string | undefined => {
    const x = v[key]
    if (x === undefined) {
      if (required) add('MISSING_FIELD', key, `${key} is required`)
      return undefined
    }
    if (typeof x !== 'string') {
      add('WRONG_TYPE', key, `${key} must be a string`)
      return undefined
    }
    return x
  }

  let ver: 1 = 1
  if (v.ver !== undefined) {
    if (typeof v.ver !== 'number' || !Number.isSafeInteger(v.ver))
      add('WRONG_TYPE', 'ver', 'ver must be an integer')
    else if (v.ver !== 1) add('BAD_VERSION', 'ver', `only version 1 is known; ver=${v.ver}`)
    else ver = 1
  }
  const src = str('src', true)
  if (src !== undefined && !isValidDid(src)) add('BAD_FORMAT', 'src', 'src must be a DID')
  const uri = str('uri', true)
  if (uri !== undefined && !subjectOk(uri)) add('BAD_FORMAT', 'uri', 'uri must be a URI (AT-URI or DID)')
  const cid = str('cid', false)
  if (cid !== undefined && !isValidCidString(cid)) add('BAD_FORMAT', 'cid', 'cid must be a CID string')
  const val = str('val', true)
  if (val !== undefined) {
    if (val.length > MAX_LABEL_VAL_BYTES * 4 || utf8Length(val) > MAX_LABEL_VAL_BYTES) {
      add('TOO_LONG', 'val', `val is over ${MAX_LABEL_VAL_BYTES} bytes`)
    } else if (val.length === 0) add('BAD_FORMAT', 'val', 'val must not be empty')
  }
  if (v.neg !== undefined && typeof v.neg !== 'boolean') add('WRONG_TYPE', 'neg', 'neg must be a boolean')
  const cts = str('cts', true)
  if (cts !== undefined && !isValidDatetime(cts)) add('BAD_FORMAT', 'cts', 'cts must be a datetime')
  const exp = str('exp', false)
  if (exp !== undefined && !isValidDatetime(exp)) add('BAD_FORMAT', 'exp', 'exp must be a datetime')
  const sig = v.sig
  if (sig === undefined) {
    if (opts.requireSig === true) add('MISSING_FIELD', 'sig', 'sig is required')
  } else if (!(sig instanceof Uint8Array)) add('WRONG_TYPE', 'sig', 'sig must be bytes')
  else if (sig.length !== LABEL_SIG_LENGTH) add('BAD_FORMAT', 'sig', `sig must be ${LABEL_SIG_LENGTH} bytes`)
  if (v.$type !== undefined && v.$type !== LABEL_TYPE)
    add('BAD_FORMAT', '$type', `$type must be ${LABEL_TYPE}`)
  if (opts.rejectUnknownFields === true) {
    for (const k of Object.keys(v)) if (!KNOWN.has(k)) add('UNKNOWN_FIELD', k, `unknown field ${k}`)
  }
  if (issues.length > 0) return { success: false, issues }

  const out: { -readonly [K in keyof Label]: Label[K] } = {
    ver,
    src: src as string,
    uri: uri as string,
    val: val as string,
    cts: cts as string,
  }
  if (cid !== undefined) out.cid = cid
  if (v.neg !== undefined) out.neg = v.neg as boolean
  if (exp !== undefined) out.exp = exp
  if (sig !== undefined) out.sig = sig as Uint8Array
  return { success: true, value: out }
}

/**
 * {@link validateLabel}, throwing.
 * @throws {InvalidLabelError} listing every issue.
 */
export function ensureValidLabel(input: unknown, opts?: ValidateLabelOptions): Label {
  const r = validateLabel(input, opts)
  if (!r.success) throw new InvalidLabelError(r.issues, input)
  return r.value
}
