// The label object of `com.atproto.label.defs#label`, version 1, as values of the data model.

/** A label (version 1). `sig` is absent on unsigned labels and on labels stripped for clients. */
export interface Label {
  /** Schema version; always 1. */
  readonly ver: 1
  /** DID of the labeler. */
  readonly src: string
  /** Subject: an `at://` URI for a record, a DID for an account, or another URI. */
  readonly uri: string
  /** When set, the label applies only to this version (CID string) of the subject. */
  readonly cid?: string
  /** The label value, at most 128 UTF-8 bytes. */
  readonly val: string
  /** True when this label retracts an earlier one with the same `src`, `uri` and `val`. */
  readonly neg?: boolean
  /** Creation time (datetime string). */
  readonly cts: string
  /** Expiry time (datetime string). */
  readonly exp?: string
  /** 64-byte compact ECDSA signature over the canonical bytes. */
  readonly sig?: Uint8Array
}

/** A label with its signature. */
export interface SignedLabel extends Label {
  readonly sig: Uint8Array
}

/** The fields a caller gives to create a label (`ver` defaults to 1, `cts` to now when signing). */
export interface LabelInput {
  readonly ver?: 1
  readonly src: string
  readonly uri: string
  readonly cid?: string | undefined
  readonly val: string
  readonly neg?: boolean | undefined
  readonly cts?: string | undefined
  readonly exp?: string | undefined
}

/** The schema fields of a label, in no particular order (encoding sorts them). */
export const LABEL_FIELDS: readonly string[] = ['ver', 'src', 'uri', 'cid', 'val', 'neg', 'cts', 'exp', 'sig']

/** Largest `val`, in UTF-8 bytes (lexicon `maxLength`). */
export const MAX_LABEL_VAL_BYTES = 128

/** Length of a compact ECDSA signature. */
export const LABEL_SIG_LENGTH = 64
