import { didProblem, isDidRange, isValidDid } from './did.ts'
import { failure, InvalidAtIdentifierError, type Problem, type ValidationResult } from './errors.ts'
import { handleProblem } from './handle.ts'
import { handleEnd } from './scan.ts'

/**
 * @internal `undefined` when `s` is a valid DID (if it starts with `did:`) or handle (otherwise).
 * The two never overlap: handles can not contain ":".
 */
export function atIdentifierProblem(s: string, start = 0, end: number = s.length): Problem | undefined {
  if (!isDidPrefixed(s, start, end)) return handleProblem(s, start, end)
  return isDidRange(s, start, end) ? undefined : (didProblem(s, start, end) ?? P_DID)
}

const P_DID: Problem = { message: 'DID is not valid' }

function isDidPrefixed(s: string, start: number, end: number): boolean {
  return (
    end - start >= 4 &&
    s.charCodeAt(start) === 100 &&
    s.charCodeAt(start + 1) === 105 &&
    s.charCodeAt(start + 2) === 100 &&
    s.charCodeAt(start + 3) === 58
  )
}

/**
 * Whether `s` is a valid DID or handle.
 * @example isValidAtIdentifier('alice.test') // true
 */
export function isValidAtIdentifier(s: string): boolean {
  if (typeof s !== 'string') return false
  return isDidPrefixed(s, 0, s.length) ? isValidDid(s) : handleEnd(s, 0, s.length) === s.length
}

/**
 * Throws unless `s` is a valid DID or handle.
 * @throws {InvalidAtIdentifierError} saying which DID or handle rule failed.
 * @example ensureValidAtIdentifier('did:plc:ewvi7nxzyoun6zhxrhs64oiz')
 */
export function ensureValidAtIdentifier(s: string): void {
  if (typeof s !== 'string') throw new TypeError('ensureValidAtIdentifier: argument must be a string')
  const p = atIdentifierProblem(s)
  if (p) throw new InvalidAtIdentifierError(s, p.message, p.offset)
}

/** Validates an at-identifier, returning the value or the issues. */
export function validateAtIdentifier(s: string): ValidationResult<string> {
  const p = typeof s === 'string' ? atIdentifierProblem(s) : { message: 'at-identifier must be a string' }
  return p ? failure('invalid_at_identifier', p) : { success: true, value: s }
}

/** Whether a (valid) at-identifier is a DID rather than a handle. */
export function isDidIdentifier(s: string): boolean {
  return isDidPrefixed(s, 0, s.length)
}
