// Row <-> label conversion shared by the SQL stores.
import type { SignedLabel } from '@rsky/label'
import type { StoredLabelEvent } from './types.ts'

/** The columns of a label row. */
export interface LabelRow {
  seq: number | string | bigint
  src: string
  uri: string
  cid: string | null
  val: string
  neg: number | boolean
  cts: string
  exp: string | null
  sig: Uint8Array
}

/** A label row as a stored event. */
export function rowToEvent(row: LabelRow): StoredLabelEvent {
  const label: { -readonly [K in keyof SignedLabel]: SignedLabel[K] } = {
    ver: 1,
    src: row.src,
    uri: row.uri,
    val: row.val,
    cts: row.cts,
    sig:
      row.sig instanceof Uint8Array && row.sig.constructor !== Uint8Array ? new Uint8Array(row.sig) : row.sig,
  }
  if (row.cid !== null) label.cid = row.cid
  if (row.neg === true || row.neg === 1) label.neg = true
  if (row.exp !== null) label.exp = row.exp
  return { seq: Number(row.seq), label }
}

/** The label fields of a row, in column order (src, uri, cid, val, neg, cts, exp, sig). */
export function labelColumns(
  l: SignedLabel,
): [string, string, string | null, string, boolean, string, string | null, Uint8Array] {
  return [l.src, l.uri, l.cid ?? null, l.val, l.neg === true, l.cts, l.exp ?? null, l.sig]
}

/** `exp` as ms since the epoch (what queries compare), or null. */
export function expAt(l: SignedLabel): number | null {
  if (l.exp === undefined) return null
  const t = Date.parse(l.exp)
  return Number.isNaN(t) ? null : t
}
