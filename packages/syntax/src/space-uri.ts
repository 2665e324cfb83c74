import { didProblem } from './did.ts'
import { failure, InvalidSpaceUriError, type Problem, type ValidationResult } from './errors.ts'
import { nsidProblem } from './nsid.ts'
import { recordKeyProblem } from './record-key.ts'

/** The path segment that marks permissioned-data URIs: `at://{spaceDid}/space/...`. */
export const SPACE_MARKER = 'space'

/** A space of permissioned data: `at://{spaceDid}/space/{type}/{skey}`. */
export interface SpaceUriParts {
  /** DID of the space authority (never a handle: membership is keyed on DIDs). */
  readonly spaceDid: string
  /** NSID naming the kind of space. */
  readonly type: string
  /** Space key: record-key syntax. */
  readonly skey: string
}

/** A record inside a space: the space URI plus `/{authorDid}/{collection}/{rkey}`. */
export interface SpaceRecordUriParts extends SpaceUriParts {
  readonly authorDid: string
  readonly collection: string
  readonly rkey: string
}

const P_PREFIX: Problem = { message: 'space URI must start with "at://{did}/space/"' }
const P_SHAPE: Problem = {
  message: 'space URI must be at://{spaceDid}/space/{type}/{skey}[/{authorDid}/{collection}/{rkey}]',
}
const P_NOT_REF: Problem = { message: 'expected a space URI (3 path segments), got a space record URI' }
const P_NOT_RECORD: Problem = { message: 'expected a space record URI (6 path segments), got a space URI' }

const MAX_SPACE_URI_LENGTH = 8192

/**
 * Scans `s` into segment boundaries: `[authorityEnd, seg1End, ...]`. Returns undefined when the
 * string is not `at://` + "/"-separated non-empty segments (no query, fragment or trailing slash).
 */
function scan(s: string, out: number[]): Problem | undefined {
  if (s.length > MAX_SPACE_URI_LENGTH)
    return { message: `space URI is too long (${MAX_SPACE_URI_LENGTH} max)` }
  if (!s.startsWith('at://')) return P_PREFIX
  let segStart = 5
  for (let i = 5; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 47
    if (c === 63 || c === 35) return { message: 'space URI can not have a query or fragment', offset: i }
    if (c === 47) {
      if (i === segStart) return { message: 'space URI has an empty segment or trailing slash', offset: i }
      out.push(i)
      if (out.length > 7) return P_SHAPE
      segStart = i + 1
    }
  }
  return undefined
}

function sub(p: Problem, what: string, offset: number): Problem {
  return { message: `space URI ${what}: ${p.message}`, offset: p.offset ?? offset }
}

/** Checks a space URI or space record URI; fills `parts` (segment ends) on success. */
function spaceProblem(s: string, ends: number[]): Problem | undefined {
  const sp = scan(s, ends)
  if (sp) return sp
  if (ends.length !== 4 && ends.length !== 7) return P_SHAPE
  const [a, m, t, k] = ends as [number, number, number, number]
  const dp = didProblem(s, 5, a)
  if (dp) return sub(dp, 'authority must be a DID', 5)
  if (m - a - 1 !== SPACE_MARKER.length || !s.startsWith(SPACE_MARKER, a + 1)) return P_PREFIX
  const tp = nsidProblem(s, m + 1, t)
  if (tp) return sub(tp, 'type must be an NSID', m + 1)
  const kp = recordKeyProblem(s, t + 1, k)
  if (kp) return sub(kp, 'space key must have record-key syntax', t + 1)
  if (ends.length === 7) {
    const [, , , , au, c, r] = ends as [number, number, number, number, number, number, number]
    const ap = didProblem(s, k + 1, au)
    if (ap) return sub(ap, 'author must be a DID', k + 1)
    const cp = nsidProblem(s, au + 1, c)
    if (cp) return sub(cp, 'collection must be an NSID', au + 1)
    const rp = recordKeyProblem(s, c + 1, r)
    if (rp) return sub(rp, 'record key is not valid', c + 1)
  }
  return undefined
}

/**
 * Whether `s` is under the space marker: `at://{authority}/space` or `at://{authority}/space/...`.
 * Does not validate; use {@link isValidSpaceUri} / {@link isValidSpaceRecordUri}.
 */
export function isSpaceUri(s: string): boolean {
  if (typeof s !== 'string' || !s.startsWith('at://')) return false
  const slash = s.indexOf('/', 5)
  if (slash === -1 || !s.startsWith(SPACE_MARKER, slash + 1)) return false
  const after = slash + 1 + SPACE_MARKER.length
  return after === s.length || s.charCodeAt(after) === 47
}

/**
 * Whether `s` is a valid space URI `at://{spaceDid}/space/{type}/{skey}` (not a record URI).
 * @example isValidSpaceUri('at://did:plc:abc/space/app.bsky.group/default') // true
 */
export function isValidSpaceUri(s: string): boolean {
  if (typeof s !== 'string') return false
  const ends: number[] = []
  return spaceProblem(s, ends) === undefined && ends.length === 4
}

/** Whether `s` is a valid record URI inside a space. */
export function isValidSpaceRecordUri(s: string): boolean {
  if (typeof s !== 'string') return false
  const ends: number[] = []
  return spaceProblem(s, ends) === undefined && ends.length === 7
}

/**
 * Throws unless `s` is a valid space URI.
 * @throws {InvalidSpaceUriError} saying which part is wrong.
 */
export function ensureValidSpaceUri(s: string): void {
  parseSpaceUri(s)
}

/** Validates a space URI, returning its parts or the issues. */
export function validateSpaceUri(s: string): ValidationResult<SpaceUriParts> {
  const ends: number[] = []
  const p = typeof s !== 'string' ? { message: 'space URI must be a string' } : spaceProblem(s, ends)
  if (p) return failure('invalid_space_uri', p)
  if (ends.length !== 4) return failure('invalid_space_uri', P_NOT_REF)
  const [a, m, t, k] = ends as [number, number, number, number]
  return {
    success: true,
    value: { spaceDid: s.slice(5, a), type: s.slice(m + 1, t), skey: s.slice(t + 1, k) },
  }
}

/** Validates a space record URI, returning its parts or the issues. */
export function validateSpaceRecordUri(s: string): ValidationResult<SpaceRecordUriParts> {
  const ends: number[] = []
  const p = typeof s !== 'string' ? { message: 'space URI must be a string' } : spaceProblem(s, ends)
  if (p) return failure('invalid_space_uri', p)
  if (ends.length !== 7) return failure('invalid_space_uri', P_NOT_RECORD)
  const [a, m, t, k, au, c, r] = ends as [number, number, number, number, number, number, number]
  return {
    success: true,
    value: {
      spaceDid: s.slice(5, a),
      type: s.slice(m + 1, t),
      skey: s.slice(t + 1, k),
      authorDid: s.slice(k + 1, au),
      collection: s.slice(au + 1, c),
      rkey: s.slice(c + 1, r),
    },
  }
}

function unwrap<T>(s: string, r: ValidationResult<T>): T {
  if (r.success) return r.value
  const issue = r.issues[0]
  throw new InvalidSpaceUriError(s, issue?.message ?? 'invalid', issue?.offset)
}

/**
 * Parses a space URI `at://{spaceDid}/space/{type}/{skey}`.
 * @throws {InvalidSpaceUriError} when it is not one (including a record URI inside a space).
 * @example parseSpaceUri('at://did:plc:abc/space/app.bsky.group/default').type // 'app.bsky.group'
 */
export function parseSpaceUri(s: string): SpaceUriParts {
  if (typeof s !== 'string') throw new TypeError('parseSpaceUri: argument must be a string')
  return unwrap(s, validateSpaceUri(s))
}

/**
 * Parses a record URI inside a space: `at://{spaceDid}/space/{type}/{skey}/{authorDid}/{collection}/{rkey}`.
 * @throws {InvalidSpaceUriError} when it is not one.
 */
export function parseSpaceRecordUri(s: string): SpaceRecordUriParts {
  if (typeof s !== 'string') throw new TypeError('parseSpaceRecordUri: argument must be a string')
  return unwrap(s, validateSpaceRecordUri(s))
}

/**
 * Formats and validates a space URI.
 * @throws {InvalidSpaceUriError} when a part is invalid.
 * @example formatSpaceUri({ spaceDid: 'did:plc:abc', type: 'app.bsky.group', skey: 'default' })
 */
export function formatSpaceUri(parts: SpaceUriParts): string {
  const s = `at://${parts.spaceDid}/${SPACE_MARKER}/${parts.type}/${parts.skey}`
  parseSpaceUri(s)
  return s
}

/**
 * Formats and validates a record URI inside a space.
 * @throws {InvalidSpaceUriError} when a part is invalid.
 */
export function formatSpaceRecordUri(parts: SpaceRecordUriParts): string {
  const s = `${formatSpaceUri(parts)}/${parts.authorDid}/${parts.collection}/${parts.rkey}`
  parseSpaceRecordUri(s)
  return s
}
