import { isAsciiDigit, isAsciiLetter } from './chars.ts'
import { failure, InvalidNsidError, type Problem, type ValidationResult } from './errors.ts'
import { nsidEnd } from './scan.ts'

/** A string that passed NSID syntax validation. */
export type NsidString = `${string}.${string}.${string}`

export const MAX_NSID_LENGTH = 317
const MAX_SEGMENT_LENGTH = 63

const P_TOO_LONG: Problem = { message: 'NSID is too long (317 chars max)' }
const P_SEGMENTS: Problem = { message: 'NSID needs at least three segments' }

/**
 * @internal `undefined` when `s` is a valid NSID (specs/nsid.md), else why. Also used by the
 * AT-URI scanner on a slice of a larger string, hence `start`/`end`.
 *
 * The spec's prose caps the domain authority at 253 characters, but its reference regex, the
 * reference implementations and nsid_syntax_valid.txt (a 283-character authority) do not; we
 * follow the fixtures and cap only the whole NSID at 317.
 */
export function nsidProblem(s: string, start = 0, end: number = s.length): Problem | undefined {
  const len = end - start
  if (len > MAX_NSID_LENGTH) return P_TOO_LONG
  let segStart = start
  let segments = 0
  let lastDot = -1
  for (let i = start; i <= end; i++) {
    const c = i < end ? s.charCodeAt(i) : 46
    if (c === 46) {
      const segLen = i - segStart
      if (segLen === 0) return { message: 'NSID segments can not be empty', offset: i }
      if (segLen > MAX_SEGMENT_LENGTH) {
        return { message: `NSID segment is too long (${MAX_SEGMENT_LENGTH} chars max)`, offset: segStart }
      }
      if (s.charCodeAt(segStart) === 45 || s.charCodeAt(i - 1) === 45) {
        return { message: 'NSID segments can not start or end with "-"', offset: segStart }
      }
      segments++
      if (i < end) lastDot = i
      segStart = i + 1
    } else if (!(isAsciiLetter(c) || isAsciiDigit(c) || c === 45)) {
      return { message: 'NSID contains a disallowed character (allowed: A-Za-z0-9.-)', offset: i }
    }
  }
  if (segments < 3) return P_SEGMENTS
  if (!isAsciiLetter(s.charCodeAt(start))) {
    return { message: 'NSID first segment (top-level domain) must start with a letter', offset: start }
  }
  const nameStart = lastDot + 1
  if (!isAsciiLetter(s.charCodeAt(nameStart))) {
    return { message: 'NSID name must start with a letter', offset: nameStart }
  }
  for (let i = nameStart + 1; i < end; i++) {
    if (s.charCodeAt(i) === 45) return { message: 'NSID name can not contain "-"', offset: i }
  }
  return undefined
}

/**
 * Whether `s` is a syntactically valid NSID.
 * @example isValidNsid('app.bsky.feed.post') // true
 */
export function isValidNsid(s: string): boolean {
  return typeof s === 'string' && nsidEnd(s, 0, s.length) === s.length
}

/**
 * Throws unless `s` is a syntactically valid NSID.
 * @throws {InvalidNsidError} saying which rule failed.
 * @example ensureValidNsid('com.example.fooBar')
 */
export function ensureValidNsid(s: string): void {
  if (typeof s !== 'string') throw new TypeError('ensureValidNsid: argument must be a string')
  const p = nsidProblem(s)
  if (p) throw new InvalidNsidError(s, p.message, p.offset)
}

/** Validates an NSID, returning the value or the issues. */
export function validateNsid(s: string): ValidationResult<NsidString> {
  const p = typeof s === 'string' ? nsidProblem(s) : { message: 'NSID must be a string' }
  return p ? failure('invalid_nsid', p) : { success: true, value: s as NsidString }
}

/**
 * A parsed, immutable NSID. `authority` is the domain in normal (not reversed) order, as in the
 * reference implementations: `com.example.fooBar` has authority `example.com` and name `fooBar`.
 */
export class Nsid {
  /** The segments in NSID order, e.g. `['com', 'example', 'fooBar']`. */
  readonly segments: readonly string[]

  private constructor(segments: readonly string[]) {
    this.segments = segments
  }

  /**
   * Parses and validates an NSID.
   * @throws {InvalidNsidError} when `s` is not a valid NSID.
   * @example Nsid.parse('app.bsky.feed.post').authority // 'feed.bsky.app'
   */
  static parse(s: string): Nsid {
    ensureValidNsid(s)
    return new Nsid(Object.freeze(s.split('.')))
  }

  /**
   * Builds an NSID from a domain authority (normal order) and a name.
   * @throws {InvalidNsidError} when the result is not a valid NSID.
   * @example Nsid.create('example.com', 'fooBar').toString() // 'com.example.fooBar'
   */
  static create(authority: string, name: string): Nsid {
    if (typeof authority !== 'string' || typeof name !== 'string') {
      throw new TypeError('Nsid.create: authority and name must be strings')
    }
    return Nsid.parse([...authority.split('.').reverse(), name].join('.'))
  }

  /** Whether `s` is a syntactically valid NSID. */
  static isValid(s: string): boolean {
    return isValidNsid(s)
  }

  /** Domain authority in normal order: `com.example.fooBar` -> `example.com`. */
  get authority(): string {
    return this.segments.slice(0, -1).reverse().join('.')
  }

  /** The final (name) segment: `com.example.fooBar` -> `fooBar`. */
  get name(): string {
    return this.segments[this.segments.length - 1] as string
  }

  toString(): string {
    return this.segments.join('.')
  }

  toJSON(): string {
    return this.toString()
  }

  equals(other: Nsid): boolean {
    return this.toString() === other.toString()
  }
}

/**
 * Parses an NSID into its segments.
 * @throws {InvalidNsidError} when `s` is not a valid NSID.
 * @example parseNsid('com.example.fooBar') // ['com', 'example', 'fooBar']
 */
export function parseNsid(s: string): string[] {
  ensureValidNsid(s)
  return s.split('.')
}
