// Self-labels: `com.atproto.label.defs#selfLabels` inside a record, read as label values.

import type { LabelIssue } from './errors.ts'
import { MAX_LABEL_VAL_BYTES } from './types.ts'
import { utf8Length } from './validate.ts'

/** `$type` of the self-labels object. */
export const SELF_LABELS_TYPE = 'com.atproto.label.defs#selfLabels'
/** Most values in one self-labels object (lexicon `maxLength`). */
export const MAX_SELF_LABELS = 10

/** Outcome of {@link readSelfLabels}. */
export type SelfLabelsResult = { success: true; values: string[] } | { success: false; issues: LabelIssue[] }

/**
 * The self-label values of a record (its `labels` field when that is a `#selfLabels` object). A
 * record without self-labels gives an empty list; a malformed `labels` object gives issues.
 * @example readSelfLabels(post) // { success: true, values: ['porn'] }
 */
export function readSelfLabels(record: unknown, field = 'labels'): SelfLabelsResult {
  if (typeof record !== 'object' || record === null) return { success: true, values: [] }
  const labels = (record as Record<string, unknown>)[field]
  if (labels === undefined) return { success: true, values: [] }
  const issues: LabelIssue[] = []
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    return {
      success: false,
      issues: [{ code: 'WRONG_TYPE', path: field, message: `${field} must be an object` }],
    }
  }
  const obj = labels as Record<string, unknown>
  // Other label unions may share the field; only #selfLabels is read here.
  if (obj.$type !== SELF_LABELS_TYPE) return { success: true, values: [] }
  const raw = obj.values
  if (!Array.isArray(raw)) {
    return {
      success: false,
      issues: [{ code: 'WRONG_TYPE', path: `${field}.values`, message: 'values must be an array' }],
    }
  }
  if (raw.length > MAX_SELF_LABELS) {
    const message = `at most ${MAX_SELF_LABELS} self-labels`
    return { success: false, issues: [{ code: 'TOO_LONG', path: `${field}.values`, message }] }
  }
  const values: string[] = []
  raw.forEach((item, i) => {
    const path = `${field}.values[${i}].val`
    const val = typeof item === 'object' && item !== null ? (item as Record<string, unknown>).val : undefined
    if (typeof val !== 'string') issues.push({ code: 'WRONG_TYPE', path, message: 'val must be a string' })
    else if (utf8Length(val) > MAX_LABEL_VAL_BYTES)
      issues.push({ code: 'TOO_LONG', path, message: 'val is too long' })
    else if (val.length === 0) issues.push({ code: 'BAD_FORMAT', path, message: 'val must not be empty' })
    else if (!values.includes(val)) values.push(val)
  })
  return issues.length > 0 ? { success: false, issues } : { success: true, values }
}
