import { failure, InvalidUriError, type Problem, type ValidationResult } from './errors.ts'

/** Lexicon limit on `uri` strings, in UTF-8 bytes (specs/lexicon.md). */
export const MAX_URI_BYTES = 8192

const P_TOO_LONG: Problem = { message: `URI is too long (${MAX_URI_BYTES} bytes max)` }
const P_SCHEME: Problem = {
  message: 'URI must start with a scheme (a letter, then letters, digits, "+", "-" or ".") and ":"',
}
const P_EMPTY: Problem = { message: 'URI has nothing after the scheme' }

// JavaScript's \s outside ASCII; all ASCII controls are rejected separately.
function isUnicodeSpace(c: number): boolean {
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  )
}

function utf8Length(s: string, limit: number): number {
  let n = 0
  for (let i = 0; i < s.length && n <= limit; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4
        i++
      } else n += 3 // a lone surrogate is written as U+FFFD
    } else n += 3
  }
  return n
}

/**
 * @internal `undefined` when `s` is a generic URI as Lexicon `uri` fields take it: an RFC 3986
 * scheme, ":", then at least one character, no whitespace or control characters, at most 8192
 * UTF-8 bytes. After an optional "//" the next character can not be "/".
 */
export function uriProblem(s: string): Problem | undefined {
  const len = s.length
  // At most 3 UTF-8 bytes per UTF-16 unit: only long strings need the bytes counted.
  if (len > MAX_URI_BYTES || (len * 3 > MAX_URI_BYTES && utf8Length(s, MAX_URI_BYTES) > MAX_URI_BYTES)) {
    return P_TOO_LONG
  }
  const c0 = s.charCodeAt(0)
  if (!((c0 >= 97 && c0 <= 122) || (c0 >= 65 && c0 <= 90))) return P_SCHEME
  let i = 1
  for (; i < len; i++) {
    const c = s.charCodeAt(i)
    if (c === 58) break
    const ok =
      (c >= 97 && c <= 122) ||
      (c >= 65 && c <= 90) ||
      (c >= 48 && c <= 57) ||
      c === 43 ||
      c === 45 ||
      c === 46
    if (!ok) return { message: P_SCHEME.message, offset: i }
  }
  if (i >= len) return P_SCHEME
  i++
  if (s.charCodeAt(i) === 47 && s.charCodeAt(i + 1) === 47) i += 2
  if (i >= len) return P_EMPTY
  if (s.charCodeAt(i) === 47)
    return { message: 'URI can not have "/" right after the scheme or "//"', offset: i }
  for (; i < len; i++) {
    const c = s.charCodeAt(i)
    if (c <= 0x20 || c === 0x7f || (c >= 0x80 && (c <= 0x9f || isUnicodeSpace(c)))) {
      return { message: 'URI can not contain whitespace or control characters', offset: i }
    }
  }
  return undefined
}

/**
 * Whether `s` is a generic URI (any scheme).
 * @example isValidUri('https://example.com/path') // true
 */
export function isValidUri(s: string): boolean {
  return typeof s === 'string' && uriProblem(s) === undefined
}

/**
 * Throws unless `s` is a generic URI.
 * @throws {InvalidUriError} saying which rule failed.
 * @example ensureValidUri('dns:example.com')
 */
export function ensureValidUri(s: string): void {
  if (typeof s !== 'string') throw new TypeError('ensureValidUri: argument must be a string')
  const p = uriProblem(s)
  if (p) throw new InvalidUriError(s, p.message, p.offset)
}

/** Validates a URI, returning the value or the issues. */
export function validateUri(s: string): ValidationResult<string> {
  const p = typeof s === 'string' ? uriProblem(s) : { message: 'URI must be a string' }
  return p ? failure('invalid_uri', p) : { success: true, value: s }
}
