import { RKEY_CHARS } from './chars.ts'
import { failure, InvalidRecordKeyError, type Problem, type ValidationResult } from './errors.ts'
import { rkeyEnd } from './scan.ts'

export const MAX_RECORD_KEY_LENGTH = 512

const P_LENGTH: Problem = { message: 'record key must be 1 to 512 characters' }
const P_DOTS: Problem = { message: 'record key can not be "." or ".."' }

/**
 * @internal `undefined` when the slice is a valid record key (specs/record-key.md), else why:
 * 1-512 characters of `A-Za-z0-9._:~-`, and not `.` or `..`.
 */
export function recordKeyProblem(s: string, start = 0, end: number = s.length): Problem | undefined {
  const len = end - start
  if (len < 1 || len > MAX_RECORD_KEY_LENGTH) return P_LENGTH
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c >= 128 || RKEY_CHARS[c] !== 1) {
      return { message: 'record key contains a disallowed character (allowed: A-Za-z0-9._:~-)', offset: i }
    }
  }
  if (len <= 2 && s.charCodeAt(start) === 46 && (len === 1 || s.charCodeAt(start + 1) === 46)) return P_DOTS
  return undefined
}

/**
 * Whether `s` is a syntactically valid record key.
 * @example isValidRecordKey('self') // true
 */
export function isValidRecordKey(s: string): boolean {
  return typeof s === 'string' && rkeyEnd(s, 0, s.length) === s.length
}

/**
 * Throws unless `s` is a syntactically valid record key.
 * @throws {InvalidRecordKeyError} saying which rule failed.
 * @example ensureValidRecordKey('3jzfcijpj2z2a')
 */
export function ensureValidRecordKey(s: string): void {
  if (typeof s !== 'string') throw new TypeError('ensureValidRecordKey: argument must be a string')
  const p = recordKeyProblem(s)
  if (p) throw new InvalidRecordKeyError(s, p.message, p.offset)
}

/** Validates a record key, returning the value or the issues. */
export function validateRecordKey(s: string): ValidationResult<string> {
  const p = typeof s === 'string' ? recordKeyProblem(s) : { message: 'record key must be a string' }
  return p ? failure('invalid_record_key', p) : { success: true, value: s }
}
