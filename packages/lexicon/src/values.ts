// TypeScript types of data-model values as validators accept them (both forms); used by generated code.
import type { Cid } from '@rsky/dag-cbor'

/** A CID link: decoded (`Cid`) or JSON (`{ $link }`). */
export type CidLinkValue = Cid | { $link: string }

/** Bytes: decoded (`Uint8Array`) or JSON (`{ $bytes }`, base64). */
export type BytesValue = Uint8Array | { $bytes: string }

/** A blob reference in the current form. */
export interface TypedBlobValue {
  $type: 'blob'
  ref: CidLinkValue
  mimeType: string
  size: number
}

/** A blob reference in the deprecated legacy form (read, never written). */
export interface LegacyBlobValue {
  cid: string
  mimeType: string
}

/** Any blob reference a validator accepts. */
export type BlobValue = TypedBlobValue | LegacyBlobValue

/** The value of an `unknown` field: any data-model map. */
export type UnknownValue = { [key: string]: unknown }
