import { isAsciiDigit, isAsciiLetter } from './chars.ts'
import {
  DisallowedDomainError,
  failure,
  InvalidHandleError,
  type Problem,
  type ValidationResult,
} from './errors.ts'
import { handleEnd } from './scan.ts'

/** A string that passed handle syntax validation. */
export type HandleString = `${string}.${string}`

export const MAX_HANDLE_LENGTH = 253
const MAX_LABEL_LENGTH = 63

/**
 * Top-level domains that pass syntax validation but must fail registration and resolution
 * (specs/handle.md, "Additional Non-Syntax Restrictions"). `.test` is deliberately absent: it is
 * allowed for testing and development.
 */
export const DISALLOWED_TLDS: readonly string[] = /* @__PURE__ */ Object.freeze([
  '.local',
  '.arpa',
  '.invalid',
  '.localhost',
  '.internal',
  '.example',
  '.alt',
  '.onion',
])

/** The placeholder handle shown for accounts whose handle does not verify. */
export const INVALID_HANDLE = 'handle.invalid'

const P_TOO_LONG: Problem = { message: 'handle is too long (253 chars max)' }
const P_TWO_LABELS: Problem = { message: 'handle needs at least two labels separated by "."' }
const P_TLD: Problem = { message: 'handle top-level domain (last label) must start with an ASCII letter' }

/** Scans a hostname: labels of A-Za-z0-9- separated by ".", as specs/handle.md defines them. */
function hostnameProblem(s: string, start: number, end: number): Problem | undefined {
  if (end - start > MAX_HANDLE_LENGTH) return P_TOO_LONG
  let labelStart = start
  let labels = 0
  let lastDot = -1
  for (let i = start; i <= end; i++) {
    const c = i < end ? s.charCodeAt(i) : 46 /* end acts as a final "." */
    if (c === 46) {
      const labelLen = i - labelStart
      if (labelLen === 0) return { message: 'handle labels can not be empty', offset: i }
      if (labelLen > MAX_LABEL_LENGTH) {
        return { message: `handle label is too long (${MAX_LABEL_LENGTH} chars max)`, offset: labelStart }
      }
      if (s.charCodeAt(labelStart) === 45 || s.charCodeAt(i - 1) === 45) {
        return { message: 'handle labels can not start or end with "-"', offset: labelStart }
      }
      labels++
      if (i < end) lastDot = i
      labelStart = i + 1
    } else if (!(isAsciiLetter(c) || isAsciiDigit(c) || c === 45)) {
      return { message: 'handle contains a disallowed character (allowed: A-Za-z0-9.-)', offset: i }
    }
  }
  if (labels < 2) return P_TWO_LABELS
  const tldStart = lastDot + 1
  if (!isAsciiLetter(s.charCodeAt(tldStart))) return { message: P_TLD.message, offset: tldStart }
  return undefined
}

/** @internal `undefined` when `s` is a valid handle (specs/handle.md), else why. */
export function handleProblem(s: string, start = 0, end: number = s.length): Problem | undefined {
  return hostnameProblem(s, start, end)
}

/**
 * Whether `s` is a syntactically valid handle (case-insensitive; not normalised).
 * @example isValidHandle('alice.bsky.social') // true
 */
export function isValidHandle(s: string): boolean {
  return typeof s === 'string' && handleEnd(s, 0, s.length) === s.length
}

/**
 * Throws unless `s` is a syntactically valid handle.
 * @throws {InvalidHandleError} saying which rule failed.
 * @example ensureValidHandle('alice.bsky.social')
 */
export function ensureValidHandle(s: string): void {
  if (typeof s !== 'string') throw new TypeError('ensureValidHandle: argument must be a string')
  const p = hostnameProblem(s, 0, s.length)
  if (p) throw new InvalidHandleError(s, p.message, p.offset)
}

/** Validates a handle, returning the value or the issues. */
export function validateHandle(s: string): ValidationResult<HandleString> {
  const p = typeof s === 'string' ? hostnameProblem(s, 0, s.length) : { message: 'handle must be a string' }
  return p ? failure('invalid_handle', p) : { success: true, value: s as HandleString }
}

/**
 * Lower-cases the ASCII letters of a handle (handles are case-insensitive). Does not validate.
 * @example normalizeHandle('Alice.Bsky.Social') // 'alice.bsky.social'
 */
export function normalizeHandle(handle: string): string {
  if (typeof handle !== 'string') throw new TypeError('normalizeHandle: argument must be a string')
  // Only ASCII A-Z is folded: toLowerCase() would also fold non-ASCII letters (e.g. the Kelvin
  // sign to "k"), turning an invalid handle into a valid one.
  let upper = false
  for (let i = 0; i < handle.length; i++) {
    const c = handle.charCodeAt(i)
    if (c >= 65 && c <= 90) {
      upper = true
      break
    }
  }
  return upper ? handle.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : handle
}

/**
 * Normalises a handle to lower case and validates it.
 * @throws {InvalidHandleError} when the normalised handle is not valid.
 * @example normalizeAndEnsureValidHandle('Alice.Test') // 'alice.test'
 */
export function normalizeAndEnsureValidHandle(handle: string): string {
  const normalized = normalizeHandle(handle)
  ensureValidHandle(normalized)
  return normalized
}

/**
 * Whether the handle's TLD may be registered or resolved (not in {@link DISALLOWED_TLDS}).
 * Case-insensitive. This is policy, not syntax: `isValidHandle('a.local')` is `true`.
 * @example isValidTld('alice.onion') // false
 */
export function isValidTld(handle: string): boolean {
  if (typeof handle !== 'string') throw new TypeError('isValidTld: argument must be a string')
  const lower = normalizeHandle(handle)
  for (const tld of DISALLOWED_TLDS) {
    if (lower.endsWith(tld)) return false
  }
  return true
}

/**
 * Throws unless the handle is syntactically valid and its TLD is allowed.
 * @throws {InvalidHandleError} for bad syntax; {DisallowedDomainError} for a disallowed TLD.
 */
export function ensureValidHandleAndTld(handle: string): void {
  ensureValidHandle(handle)
  if (!isValidTld(handle)) {
    throw new DisallowedDomainError(handle, 'handle uses a disallowed top-level domain')
  }
}
