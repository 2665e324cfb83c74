// The canonical signing bytes, the CBOR and JSON forms of a label.
import {
  DagCborDecodeError,
  decode,
  encode,
  jsonToLex,
  LexJsonError,
  type LexMap,
  lexToJson,
} from '@rsky/dag-cbor'
import { LabelDecodeError, type LabelIssue } from './errors.ts'
import type { Label } from './types.ts'
import {
  ensureValidLabel,
  type LabelValidation,
  type ValidateLabelOptions,
  validateLabel,
} from './validate.ts'

/** Largest encoded label {@link decodeLabel} accepts by default, in bytes. */
export const DEFAULT_MAX_LABEL_BYTES = 8192

/**
 * The label's schema fields other than `sig` as a data-model map: what is signed. `ver` is always
 * present; `cid`, `neg` and `exp` only when set; `$type` and unknown fields never.
 */
export function unsignedLabelMap(label: Label): LexMap {
  const m: LexMap = { ver: label.ver ?? 1, src: label.src, uri: label.uri, val: label.val, cts: label.cts }
  if (label.cid !== undefined) m.cid = label.cid
  if (label.neg !== undefined) m.neg = label.neg
  if (label.exp !== undefined) m.exp = label.exp
  return m
}

/**
 * The bytes a label signature covers: deterministic DAG-CBOR of the label without `sig`.
 * @throws {DagCborEncodeError} only for values outside the data model (use a validated label).
 * @example await keypair.sign(labelSigningBytes(label))
 */
export function labelSigningBytes(label: Label): Uint8Array {
  return encode(unsignedLabelMap(label))
}

/** The label as a data-model map, with `sig` when present. */
export function labelToLex(label: Label): LexMap {
  const m = unsignedLabelMap(label)
  if (label.sig !== undefined) m.sig = label.sig
  return m
}

/** DAG-CBOR of the whole label (with `sig` when present). */
export function encodeLabel(label: Label): Uint8Array {
  return encode(labelToLex(label))
}

/** Options of {@link decodeLabel}. */
export interface DecodeLabelOptions extends ValidateLabelOptions {
  /** Largest input in bytes. Default {@link DEFAULT_MAX_LABEL_BYTES}. */
  readonly maxBytes?: number
}

/**
 * Decodes and validates one DAG-CBOR label.
 * @throws {LabelDecodeError} for oversized input or bytes that are not strict DAG-CBOR.
 * @throws {InvalidLabelError} when the value is not a valid label.
 */
export function decodeLabel(bytes: Uint8Array, opts: DecodeLabelOptions = {}): Label {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeLabel: bytes must be a Uint8Array')
  const max = opts.maxBytes ?? DEFAULT_MAX_LABEL_BYTES
  if (bytes.length > max) throw new LabelDecodeError(`label is over ${max} bytes`, bytes.length)
  let value: unknown
  try {
    value = decode(bytes, { maxDepth: 16, maxInputLength: max, maxCollectionLength: 64 })
  } catch (err) {
    if (err instanceof DagCborDecodeError)
      throw new LabelDecodeError(err.message, bytes.length, { cause: err })
    throw err
  }
  return ensureValidLabel(value, opts)
}

/** A label in the JSON form: `sig` as `{ "$bytes": base64 }`. Ready for `JSON.stringify`. */
export function labelToJson(label: Label): Record<string, unknown> {
  return lexToJson(labelToLex(label)) as Record<string, unknown>
}

/**
 * Reads a label from its JSON form (`sig` as `{ "$bytes" }`) and validates it; never throws on bad input.
 * @example const r = labelFromJson(JSON.parse(text)); if (r.success) verify(r.value)
 */
export function labelFromJson(json: unknown, opts?: ValidateLabelOptions): LabelValidation {
  let value: unknown
  try {
    value = jsonToLex(json, { maxDepth: 16 })
  } catch (err) {
    if (!(err instanceof LexJsonError)) throw err
    const issue: LabelIssue = {
      code: 'BAD_FORMAT',
      path: err.path.replace(/^\$\.?/, ''),
      message: err.message,
    }
    return { success: false, issues: [issue] }
  }
  return validateLabel(value, opts)
}
