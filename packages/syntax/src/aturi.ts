import { atIdentifierProblem } from './at-identifier.ts'
import { asciiTable } from './chars.ts'
import { failure, InvalidAtUriError, InvalidDidError, type Problem, type ValidationResult } from './errors.ts'
import { nsidProblem } from './nsid.ts'
import { recordKeyProblem } from './record-key.ts'
import { isAtUri } from './scan.ts'

/** A string that passed AT-URI validation. */
export type AtUriString = `at://${string}`

export const MAX_AT_URI_LENGTH = 8192

// RFC 6901 JSON pointer characters the reference accepts in an AT-URI fragment.
const FRAGMENT_CHARS = /* @__PURE__ */ asciiTable("a-zA-Z0-9._~:@!$&')(*+,;=%[]/-")

const P_TOO_LONG: Problem = { message: 'AT-URI is too long (8192 chars max)' }
const P_SCHEME: Problem = { message: 'AT-URI must start with "at://"' }
const P_AUTHORITY_EMPTY: Problem = { message: 'AT-URI authority is empty' }
const P_PERCENT: Problem = { message: 'AT-URI fragment has invalid percent-encoding' }

/** Positions found by the scanner; -1 when a part is absent. Valid only right after a successful scan. */
interface AtUriSpans {
  authorityEnd: number
  collectionStart: number
  collectionEnd: number
  rkeyStart: number
  rkeyEnd: number
  fragmentStart: number
}

const spans: AtUriSpans = {
  authorityEnd: -1,
  collectionStart: -1,
  collectionEnd: -1,
  rkeyStart: -1,
  rkeyEnd: -1,
  fragmentStart: -1,
}

/** Index of the first "/", "?" or "#" at or after `i`, else `end`. */
function segmentEnd(s: string, i: number, end: number): number {
  for (; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c === 47 || c === 63 || c === 35) return i
  }
  return end
}

function located(p: { message: string; offset: number | undefined }, fallback: number): Problem {
  return { message: p.message, offset: p.offset ?? fallback }
}

/** @internal Checks a `#` fragment (without the `#`) as the reference does: a basic JSON pointer. */
export function fragmentProblem(s: string, start: number): Problem | undefined {
  if (start >= s.length || s.charCodeAt(start) !== 47) {
    return { message: 'AT-URI fragment must be a JSON pointer starting with "/"', offset: start }
  }
  let percent = false
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 128 || FRAGMENT_CHARS[c] !== 1) {
      return { message: 'AT-URI fragment contains a disallowed character', offset: i }
    }
    if (c === 37) percent = true
  }
  if (percent) {
    try {
      decodeURIComponent(s.slice(start))
    } catch {
      return P_PERCENT
    }
  }
  return undefined
}

/**
 * @internal `undefined` when `s` is a valid AT-URI in the restricted Lexicon syntax
 * (specs/at-uri-scheme.md): `at://AUTHORITY[/NSID[/RKEY]]`, with an optional `#/json-pointer`
 * fragment as the reference accepts; no query, no trailing slash, at most 8192 characters.
 * Records the part boundaries in the module-level `spans` on success (read by the AtUri constructor).
 */
export function atUriProblem(s: string): Problem | undefined {
  const len = s.length
  if (len > MAX_AT_URI_LENGTH) return P_TOO_LONG
  if (
    len < 5 ||
    s.charCodeAt(0) !== 97 /* a */ ||
    s.charCodeAt(1) !== 116 /* t */ ||
    s.charCodeAt(2) !== 58 ||
    s.charCodeAt(3) !== 47 ||
    s.charCodeAt(4) !== 47
  ) {
    return P_SCHEME
  }
  const authorityEnd = segmentEnd(s, 5, len)
  if (authorityEnd === 5) return P_AUTHORITY_EMPTY
  const ap = atIdentifierProblem(s, 5, authorityEnd)
  if (ap)
    return located(
      { message: `AT-URI authority is not a valid DID or handle: ${ap.message}`, offset: ap.offset },
      5,
    )
  let collectionStart = -1
  let collectionEnd = -1
  let rkeyStart = -1
  let rkeyEnd = -1
  let i = authorityEnd
  if (i < len && s.charCodeAt(i) === 47) {
    collectionStart = i + 1
    collectionEnd = segmentEnd(s, collectionStart, len)
    if (collectionEnd === collectionStart) {
      return { message: 'AT-URI can not have a trailing slash or an empty path segment', offset: i }
    }
    const np = nsidProblem(s, collectionStart, collectionEnd)
    if (np)
      return located(
        { message: `AT-URI collection is not a valid NSID: ${np.message}`, offset: np.offset },
        collectionStart,
      )
    i = collectionEnd
    if (i < len && s.charCodeAt(i) === 47) {
      rkeyStart = i + 1
      rkeyEnd = segmentEnd(s, rkeyStart, len)
      if (rkeyEnd === rkeyStart) {
        return { message: 'AT-URI can not have a trailing slash or an empty path segment', offset: i }
      }
      const rp = recordKeyProblem(s, rkeyStart, rkeyEnd)
      if (rp)
        return located(
          { message: `AT-URI record key is not valid: ${rp.message}`, offset: rp.offset },
          rkeyStart,
        )
      i = rkeyEnd
      if (i < len && s.charCodeAt(i) === 47) {
        return i + 1 === len || s.charCodeAt(i + 1) === 35 || s.charCodeAt(i + 1) === 63
          ? { message: 'AT-URI can not have a trailing slash', offset: i }
          : { message: 'AT-URI path can have at most two segments (collection and record key)', offset: i }
      }
    }
  }
  let fragmentStart = -1
  if (i < len) {
    const c = s.charCodeAt(i)
    if (c === 63) return { message: 'AT-URI query part is not allowed', offset: i }
    // c is "#": segmentEnd stops only at "/", "?" or "#", and "/" was handled above.
    fragmentStart = i + 1
    const fp = fragmentProblem(s, fragmentStart)
    if (fp) return fp
  }
  spans.authorityEnd = authorityEnd
  spans.collectionStart = collectionStart
  spans.collectionEnd = collectionEnd
  spans.rkeyStart = rkeyStart
  spans.rkeyEnd = rkeyEnd
  spans.fragmentStart = fragmentStart
  return undefined
}

/**
 * Whether `s` is a valid AT-URI (restricted Lexicon syntax, as `at-uri` fields require).
 * @example isValidAtUri('at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3k5nobkf2w72g') // true
 */
export function isValidAtUri(s: string): boolean {
  return typeof s === 'string' && isAtUri(s)
}

/**
 * Throws unless `s` is a valid AT-URI.
 * @throws {InvalidAtUriError} saying which rule failed.
 * @example ensureValidAtUri('at://alice.test/app.bsky.feed.post/3k5nobkf2w72g')
 */
export function ensureValidAtUri(s: string): void {
  if (typeof s !== 'string') throw new TypeError('ensureValidAtUri: argument must be a string')
  const p = atUriProblem(s)
  if (p) throw new InvalidAtUriError(s, p.message, p.offset)
}

/** Validates an AT-URI, returning the value or the issues. */
export function validateAtUri(s: string): ValidationResult<AtUriString> {
  const p = typeof s === 'string' ? atUriProblem(s) : { message: 'AT-URI must be a string' }
  return p ? failure('invalid_at_uri', p) : { success: true, value: s as AtUriString }
}

/** Parts of an AT-URI; empty strings for absent parts, as in the reference. */
export interface AtUriParts {
  readonly host: string
  readonly collection?: string
  readonly rkey?: string
  /** Fragment, with or without the leading `#`, e.g. `#/text`. */
  readonly hash?: string
}

/** Accepts `coll/rkey` and `/coll/rkey` alike; only one leading slash is dropped. */
function splitPath(path: string): [string, string] {
  const p = path.charCodeAt(0) === 47 ? path.slice(1) : path
  if (p === '') return ['', '']
  const slash = p.indexOf('/')
  return slash === -1 ? [p, ''] : [p.slice(0, slash), p.slice(slash + 1)]
}

/**
 * An immutable, validated AT-URI. The path is held as separate collection and record key
 * values, so the accessors give the same answer however the URI was built (with or without a
 * leading slash on the path). Absent parts are `''`.
 */
export class AtUri {
  readonly host: string
  readonly collection: string
  readonly rkey: string
  /** Fragment including the `#`, like `URL#hash` (`''` when absent). */
  readonly hash: string
  #str: string | undefined

  /**
   * Parses and validates an AT-URI.
   * @throws {InvalidAtUriError} when `uri` is not a valid AT-URI.
   */
  constructor(uri: string) {
    ensureValidAtUri(uri)
    this.host = uri.slice(5, spans.authorityEnd)
    this.collection = spans.collectionStart < 0 ? '' : uri.slice(spans.collectionStart, spans.collectionEnd)
    this.rkey = spans.rkeyStart < 0 ? '' : uri.slice(spans.rkeyStart, spans.rkeyEnd)
    this.hash = spans.fragmentStart < 0 ? '' : uri.slice(spans.fragmentStart - 1)
    this.#str = uri
  }

  /**
   * Parses and validates an AT-URI.
   * @throws {InvalidAtUriError} when `uri` is not a valid AT-URI.
   * @example AtUri.parse('at://alice.test/app.bsky.feed.post/3k5nobkf2w72g').rkey // '3k5nobkf2w72g'
   */
  static parse(uri: string): AtUri {
    return new AtUri(uri)
  }

  /** Parses, returning `undefined` instead of throwing. */
  static parseSafe(uri: string): AtUri | undefined {
    return isValidAtUri(uri) ? new AtUri(uri) : undefined
  }

  /**
   * Builds an AT-URI from parts; each part is validated.
   * @throws {InvalidAtUriError} when the result is not a valid AT-URI (e.g. an rkey without a collection).
   * @example AtUri.fromParts({ host: 'alice.test', collection: 'app.bsky.feed.post', rkey: 'abc' })
   */
  static fromParts(parts: AtUriParts): AtUri {
    if (!parts.collection && parts.rkey) {
      throw new InvalidAtUriError(parts.rkey, 'AT-URI can not have a record key without a collection')
    }
    let s = `at://${parts.host}`
    if (parts.collection) s += `/${parts.collection}`
    if (parts.rkey) s += `/${parts.rkey}`
    if (parts.hash) s += parts.hash.charCodeAt(0) === 35 ? parts.hash : `#${parts.hash}`
    return new AtUri(s)
  }

  /** Like {@link AtUri.fromParts} with positional host, collection and record key. */
  static make(host: string, collection?: string, rkey?: string): AtUri {
    return AtUri.fromParts({ host, collection: collection ?? '', rkey: rkey ?? '' })
  }

  /**
   * Resolves a path (`/coll/rkey`, `coll/rkey`, optionally with `#fragment`) against a base URI's
   * authority, like the reference's relative parsing.
   * @throws {InvalidAtUriError} when the result is not a valid AT-URI.
   */
  static resolve(path: string, base: AtUri | string): AtUri {
    const host = typeof base === 'string' ? AtUri.parse(base).host : base.host
    const hashAt = path.indexOf('#')
    const [collection, rkey] = splitPath(hashAt === -1 ? path : path.slice(0, hashAt))
    return AtUri.fromParts({ host, collection, rkey, hash: hashAt === -1 ? '' : path.slice(hashAt) })
  }

  /** The authority when it is a DID. @throws {InvalidDidError} when the authority is a handle. */
  get did(): string {
    if (this.host.startsWith('did:')) return this.host
    throw new InvalidDidError(this.host, 'AT-URI authority is a handle, not a DID')
  }

  get hostname(): string {
    return this.host
  }

  get protocol(): 'at:' {
    return 'at:'
  }

  get origin(): string {
    return `at://${this.host}`
  }

  /** `/collection/rkey`, `/collection` or `''`. */
  get pathname(): string {
    if (!this.collection) return ''
    return this.rkey ? `/${this.collection}/${this.rkey}` : `/${this.collection}`
  }

  get href(): string {
    return this.toString()
  }

  /** A copy with another collection (and the record key dropped unless given). */
  withCollection(collection: string, rkey?: string): AtUri {
    return AtUri.fromParts({ host: this.host, collection, rkey: rkey ?? '', hash: this.hash })
  }

  /** A copy with another record key. @throws {InvalidAtUriError} if there is no collection. */
  withRkey(rkey: string): AtUri {
    return AtUri.fromParts({ host: this.host, collection: this.collection, rkey, hash: this.hash })
  }

  /** A copy with another path; `coll/rkey` and `/coll/rkey` give the same result. */
  withPathname(path: string): AtUri {
    const [collection, rkey] = splitPath(path)
    return AtUri.fromParts({ host: this.host, collection, rkey, hash: this.hash })
  }

  toString(): string {
    this.#str ??= `at://${this.host}${this.pathname}${this.hash}`
    return this.#str
  }

  toJSON(): string {
    return this.toString()
  }

  equals(other: AtUri): boolean {
    return this.toString() === other.toString()
  }
}
