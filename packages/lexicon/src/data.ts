// Data-model values in both forms: decoded (Cid, Uint8Array) and JSON ({$link}, {$bytes}).

import { isCid } from '@rsky/dag-cbor'
import { isLexCidString } from './cid-string.ts'
import { pathKey } from './errors.ts'

/** A plain data-model map: an object whose prototype is Object.prototype or null. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/** A decoded CID: an @rsky/dag-cbor Cid or a multiformats CID (which points at itself through `asCID`). */
export function isCidValue(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false
  return isCid(v) || (v as { asCID?: unknown }).asCID === v
}

/** True for `{ $link: "<cid>" }` with no other key, the CID a base32 CIDv1 that decodes. */
export function isJsonLink(v: Record<string, unknown>): boolean {
  const link = v['$link']
  if (typeof link !== 'string') return false
  for (const k in v) if (k !== '$link') return false
  return isLexCidString(link)
}

/** A CID in either form: decoded, or a JSON `$link` object. */
export function isLink(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false
  // JSON form first: it is what arrives over XRPC.
  if (typeof (v as { $link?: unknown }).$link === 'string') return isPlainObject(v) && isJsonLink(v)
  return isCidValue(v)
}

const BASE64 = /^[A-Za-z0-9+/]*$/

/** Decoded length of a base64 string (padding optional), or -1 when it is not base64. */
export function base64DecodedLength(s: string): number {
  let end = s.length
  if (end > 0 && s.charCodeAt(end - 1) === 0x3d) end--
  if (end > 0 && s.charCodeAt(end - 1) === 0x3d) end--
  const body = end === s.length ? s : s.slice(0, end)
  if (!BASE64.test(body)) return -1
  const rem = body.length % 4
  if (rem === 1) return -1
  // Padding, when present, must complete the last quantum exactly.
  if (end !== s.length && (body.length + (s.length - end)) % 4 !== 0) return -1
  return (body.length >> 2) * 3 + (rem === 0 ? 0 : rem - 1)
}

/** Byte length of a bytes value in either form (Uint8Array or `{ $bytes }`), or -1 if it is not bytes. */
export function bytesLength(v: unknown): number {
  if (v instanceof Uint8Array) return v.byteLength
  if (!isPlainObject(v)) return -1
  const b = v['$bytes']
  if (typeof b !== 'string') return -1
  for (const k in v) if (k !== '$bytes') return -1
  return base64DecodedLength(b)
}

/** What a blob says about itself; `size` is -1 for the legacy form, which has none. */
export interface BlobInfo {
  readonly mimeType: string
  readonly size: number
}

/**
 * @internal The blob object to check for `v`: `v` itself when it is a plain object, or, for an
 * `@atproto/lexicon` `BlobRef` instance (a class, so no own `$type`; fields `ref`, `mimeType`, `size`
 * and `original`), its `original` data-model object once the instance's fields agree with it.
 * Returns a message saying why otherwise. Allocates nothing.
 */
export function blobSource(v: unknown): Record<string, unknown> | string {
  if (isPlainObject(v)) return v
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) {
    return 'expected a blob object'
  }
  const ref = v as { ref?: unknown; mimeType?: unknown; size?: unknown; original?: unknown }
  const original = ref.original
  if (!isPlainObject(original)) return 'expected a blob object'
  // A BlobRef's own fields are what its users read; they must say what `original` says.
  if (ref.mimeType !== original['mimeType']) return 'BlobRef mimeType differs from its original'
  if (original['$type'] === 'blob') {
    if (ref.size !== original['size'] || !sameLink(ref.ref, original['ref'])) {
      return 'BlobRef ref or size differs from its original'
    }
  } else if (ref.size !== -1) {
    return 'legacy BlobRef size must be -1'
  }
  return original
}

function sameLink(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (!isLink(a) || !isLink(b)) return false
  const s = (x: unknown) => (isPlainObject(x) ? (x['$link'] as string) : String(x))
  return s(a) === s(b)
}

/**
 * @internal What is wrong with a blob reference, or undefined when `v` is one in the typed form
 * (`$type: "blob"`, `ref`, `mimeType`, `size`) or the legacy form (`cid` string, `mimeType`), as a
 * plain object or an `@atproto/lexicon` `BlobRef` (see {@link blobSource}). Allocates nothing for
 * a plain object, for the compiled blob check.
 */
export function blobProblem(v: unknown): string | undefined {
  const o = blobSource(v)
  return typeof o === 'string' ? o : blobObjectProblem(o)
}

/** Whether every own key of `o` is one of `a`..`d` (no allocation). */
function onlyKeys(o: Record<string, unknown>, a: string, b: string, c?: string, d?: string): boolean {
  for (const k in o) if (k !== a && k !== b && k !== c && k !== d) return false
  return true
}

/**
 * @internal {@link blobProblem} for the object {@link blobSource} gave. The two shapes are closed,
 * as in `@atproto/lexicon`: a typed blob has exactly `$type`, `ref`, `mimeType` and `size`, a
 * legacy one exactly `cid` and `mimeType`.
 */
export function blobObjectProblem(o: Record<string, unknown>): string | undefined {
  const mimeType = o['mimeType']
  if (typeof mimeType !== 'string' || mimeType.length === 0) return 'blob mimeType must be a non-empty string'
  const type = o['$type']
  if (type === 'blob') {
    const size = o['size']
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      return 'blob size must be a non-negative integer'
    }
    if (!isLink(o['ref'])) return 'blob ref must be a CID link'
    if (!onlyKeys(o, '$type', 'ref', 'mimeType', 'size'))
      return 'a blob has only $type, ref, mimeType and size'
    return undefined
  }
  if (type !== undefined) return 'blob $type must be "blob"'
  const cid = o['cid']
  if (typeof cid !== 'string' || !isLexCidString(cid)) return 'expected a blob (typed or legacy)'
  if (!onlyKeys(o, 'cid', 'mimeType')) return 'a legacy blob has only cid and mimeType'
  return undefined
}

/**
 * Reads a blob reference in the typed form (`$type: "blob"`, `ref`, `mimeType`, `size`) or the
 * legacy form (`cid` string, `mimeType`), as a plain object or an `@atproto/lexicon` `BlobRef`.
 * Returns a message saying what is wrong otherwise.
 */
export function readBlob(v: unknown): BlobInfo | string {
  const problem = blobProblem(v)
  if (problem !== undefined) return problem
  const o = blobSource(v) as Record<string, unknown>
  return { mimeType: o['mimeType'] as string, size: o['$type'] === 'blob' ? (o['size'] as number) : -1 }
}

/** Options bounding a walk over untrusted data. */
export interface DataWalkLimits {
  readonly maxDepth: number
}

/**
 * Checks that `v` is a valid data-model value at any depth (no floats, well-formed links,
 * bytes and blobs). Returns null when it is, else `[message, path suffix]`.
 */
export function checkDataValue(v: unknown, depth: number, limits: DataWalkLimits): [string, string] | null {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return null
    case 'number':
      return Number.isInteger(v) ? null : ['numbers must be integers (no floats)', '']
    case 'object':
      break
    default:
      return [`not a data-model value; type=${typeof v}`, '']
  }
  if (v === null || v instanceof Uint8Array || isCidValue(v)) return null
  if (depth > limits.maxDepth) return [`nesting deeper than maxDepth; maxDepth=${limits.maxDepth}`, '']
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const item = v[i]
      if (item === undefined) return ['arrays can not hold undefined', `[${i}]`]
      const bad = checkDataValue(item, depth + 1, limits)
      if (bad) return [bad[0], `[${i}]${bad[1]}`]
    }
    return null
  }
  if (!isPlainObject(v)) {
    // An @atproto/lexicon BlobRef stands for its original blob object.
    if (isPlainObject((v as { original?: unknown }).original)) {
      const blob = readBlob(v)
      return typeof blob === 'string' ? [blob, ''] : null
    }
    return ['not a data-model value; objects must be plain', '']
  }
  return checkDataMap(v, depth, limits)
}

function checkDataMap(
  v: Record<string, unknown>,
  depth: number,
  limits: DataWalkLimits,
): [string, string] | null {
  if ('$link' in v) return isJsonLink(v) ? null : ['malformed $link object', '']
  if ('$bytes' in v) return bytesLength(v) >= 0 ? null : ['malformed $bytes object', '']
  const type = v['$type']
  if (type !== undefined) {
    if (typeof type !== 'string' || type.length === 0) return ['$type must be a non-empty string', '']
    if (type === 'blob') {
      const blob = readBlob(v)
      return typeof blob === 'string' ? [blob, ''] : null
    }
  }
  for (const k in v) {
    const item = v[k]
    if (item === undefined) continue
    const bad = checkDataValue(item, depth + 1, limits)
    if (bad) return [bad[0], `${pathKey('', k)}${bad[1]}`]
  }
  return null
}

/** `s` itself when it has no upper-case or non-ASCII character (the usual MIME type), else `s.toLowerCase()`. */
function lowerMime(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if ((c >= 65 && c <= 90) || c >= 128) return s.toLowerCase()
  }
  return s
}

/** Matches a blob MIME type against an `accept` list (`image/*`, `*\/*` or exact). */
export function mimeAccepted(mimeType: string, accept: readonly string[]): boolean {
  // MIME types compare case-insensitively; `accept` lists are lower-cased once when compiled.
  // Nothing is allocated for a lower-case ASCII MIME type.
  const mime = lowerMime(mimeType)
  for (let k = 0; k < accept.length; k++) {
    const pattern = accept[k] as string
    if (pattern === '*/*' || pattern === mime) return true
    const n = pattern.length - 1
    // `type/*`: the MIME type starts with `type/`.
    if (n > 0 && pattern.charCodeAt(n) === 42 && pattern.charCodeAt(n - 1) === 47 && mime.length >= n) {
      let i = 0
      while (i < n && mime.charCodeAt(i) === pattern.charCodeAt(i)) i++
      if (i === n) return true
    }
  }
  return false
}
