import { type Cid, RAW_CODEC } from './cid.ts'
import { asCid, parseCid } from './cid-parse.ts'
import { InvalidCidError } from './errors.ts'

/** A typed blob reference as it sits in a data-model value (`ref` is a {@link Cid}). */
export interface BlobRef {
  $type: 'blob'
  ref: Cid
  mimeType: string
  size: number
}

/** The deprecated legacy blob form: `{ cid: string, mimeType }`, no `$type`, no size. */
export interface LegacyBlobRef {
  cid: string
  mimeType: string
}

/**
 * A blob reference read from either form. Legacy references have no size; following the
 * data-model spec's advice, `size` is then -1, and {@link blobRefToLex} refuses to write it.
 */
export interface ParsedBlobRef {
  ref: Cid
  mimeType: string
  size: number
  legacy: boolean
}

/** Stable codes carried by {@link InvalidBlobRefError}. */
export type InvalidBlobRefErrorCode =
  | 'NOT_A_BLOB_REF'
  | 'BAD_REF'
  | 'BAD_MIME_TYPE'
  | 'BAD_SIZE'
  | 'BAD_LEGACY_CID'

/** Raised when a value is not a blob reference (typed or legacy), or one cannot be written. */
export class InvalidBlobRefError extends Error {
  override name = 'InvalidBlobRefError'
  readonly code: InvalidBlobRefErrorCode
  constructor(code: InvalidBlobRefErrorCode, detail: string) {
    super(`${detail}; code=${code}`)
    this.code = code
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

// The link of a typed ref: a Cid (data-model form) or `{ $link }` (JSON form).
function refOf(ref: unknown): Cid | null {
  const cid = asCid(ref)
  if (cid !== null) return cid
  if (isPlainObject(ref) && typeof ref['$link'] === 'string' && Object.keys(ref).length === 1) {
    try {
      return parseCid(ref['$link'])
    } catch (e) {
      if (e instanceof InvalidCidError) return null
      throw e
    }
  }
  return null
}

/**
 * Why `value` (a map with `$type: 'blob'`) is not a valid typed blob ref, or `undefined` if it is.
 * Accepts `ref` as a Cid or a `{ $link }` object. Unknown extra fields are ignored.
 */
export function typedBlobRefIssue(value: Record<string, unknown>): InvalidBlobRefError | undefined {
  if (value['$type'] !== 'blob') return new InvalidBlobRefError('NOT_A_BLOB_REF', '$type is not "blob"')
  const ref = refOf(value['ref'])
  if (ref === null) return new InvalidBlobRefError('BAD_REF', 'ref must be a CID link')
  if (ref.code !== RAW_CODEC)
    return new InvalidBlobRefError('BAD_REF', 'ref must be a CID with the raw codec')
  const mime = value['mimeType']
  if (typeof mime !== 'string' || mime.length === 0) {
    return new InvalidBlobRefError('BAD_MIME_TYPE', 'mimeType must be a non-empty string')
  }
  const size = value['size']
  // The spec asks writers for size > 0; readers accept 0 as the reference implementation does.
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    return new InvalidBlobRefError('BAD_SIZE', 'size must be a non-negative integer')
  }
  return undefined
}

/**
 * True when `value` is a typed blob ref (`$type: 'blob'`, raw-codec `ref`, `mimeType`, integer `size`),
 * with `ref` as a Cid (data-model form) or `{ $link }` (JSON form).
 */
export function isBlobRef(value: unknown): value is BlobRef {
  return isPlainObject(value) && value['$type'] === 'blob' && typedBlobRefIssue(value) === undefined
}

/** True when `value` is a legacy blob ref: exactly `cid` (a CID string) and a non-empty `mimeType`. */
export function isLegacyBlobRef(value: unknown): value is LegacyBlobRef {
  if (!isPlainObject(value)) return false
  const keys = Object.keys(value)
  if (keys.length !== 2 || typeof value['cid'] !== 'string') return false
  if (typeof value['mimeType'] !== 'string' || value['mimeType'].length === 0) return false
  try {
    parseCid(value['cid'])
    return true
  } catch {
    return false
  }
}

/**
 * Reads a blob reference in either form (typed or legacy; ref as Cid or `{ $link }`).
 * @throws {InvalidBlobRefError} when `value` is neither form
 * @example parseBlobRef(record.embed.images[0].image).ref.toString()
 */
export function parseBlobRef(value: unknown): ParsedBlobRef {
  if (!isPlainObject(value)) throw new InvalidBlobRefError('NOT_A_BLOB_REF', 'a blob ref must be an object')
  if (value['$type'] === 'blob') {
    const issue = typedBlobRefIssue(value)
    if (issue) throw issue
    return {
      ref: refOf(value['ref']) as Cid,
      mimeType: value['mimeType'] as string,
      size: value['size'] as number,
      legacy: false,
    }
  }
  if (typeof value['cid'] === 'string' && !('$type' in value)) {
    if (!isLegacyBlobRef(value))
      throw new InvalidBlobRefError('BAD_LEGACY_CID', 'legacy blob ref needs a CID string and a mimeType')
    return { ref: parseCid(value['cid']), mimeType: value['mimeType'] as string, size: -1, legacy: true }
  }
  throw new InvalidBlobRefError('NOT_A_BLOB_REF', 'neither a typed nor a legacy blob ref')
}

/**
 * The typed data-model form of a blob ref, for writing. Never writes the legacy form.
 * @throws {InvalidBlobRefError} when `size` is not a positive integer (e.g. a legacy ref with unknown size)
 */
export function blobRefToLex(blob: { ref: Cid; mimeType: string; size: number }): BlobRef {
  if (!Number.isSafeInteger(blob.size) || blob.size <= 0) {
    throw new InvalidBlobRefError('BAD_SIZE', 'a written blob ref needs a positive size')
  }
  if (typeof blob.mimeType !== 'string' || blob.mimeType.length === 0) {
    throw new InvalidBlobRefError('BAD_MIME_TYPE', 'mimeType must be a non-empty string')
  }
  return { $type: 'blob', ref: blob.ref, mimeType: blob.mimeType, size: blob.size }
}

/** Options of {@link findBlobRefs}. */
export interface FindBlobRefsOptions {
  /** Also report legacy `{ cid, mimeType }` refs. Default false (they can only be told apart by schema). */
  legacy?: boolean
  /** Stop after this many refs. Default 10,000. */
  limit?: number
}

/**
 * Every blob reference inside a data-model value (a record), depth first, without recursion.
 * Typed refs that are malformed are skipped (they are ordinary maps then), as are their contents.
 * @example findBlobRefs(post).map((b) => b.ref.toString())
 */
export function findBlobRefs(value: unknown, options?: FindBlobRefsOptions): ParsedBlobRef[] {
  const legacy = options?.legacy ?? false
  const limit = options?.limit ?? 10_000
  const out: ParsedBlobRef[] = []
  const stack: unknown[] = [value]
  while (stack.length > 0 && out.length < limit) {
    const v = stack.pop()
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array || asCid(v) !== null) continue
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i])
      continue
    }
    if (!isPlainObject(v)) continue
    if (v['$type'] === 'blob' && typedBlobRefIssue(v) === undefined) {
      out.push(parseBlobRef(v))
      continue
    }
    if (legacy && isLegacyBlobRef(v)) {
      out.push(parseBlobRef(v))
      continue
    }
    const keys = Object.keys(v)
    for (let i = keys.length - 1; i >= 0; i--) stack.push(v[keys[i] as string])
  }
  return out
}
