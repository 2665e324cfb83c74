import { asciiTable } from './chars.ts'
import { failure, InvalidCidStringError, type Problem, type ValidationResult } from './errors.ts'

// A plain array of small integers: V8 reads it faster than a Uint8Array in this loop.
const CID_CHARS: readonly number[] = Array.from(asciiTable('a-zA-Z0-9+='))

export const MIN_CID_STRING_LENGTH = 8
export const MAX_CID_STRING_LENGTH = 256

const P_LENGTH: Problem = {
  message: `CID string must be ${MIN_CID_STRING_LENGTH} to ${MAX_CID_STRING_LENGTH} characters`,
}
const P_V0: Problem = { message: 'CIDv0 ("Qm...") is not allowed in atproto' }

/**
 * @internal `undefined` when `s` has CID string syntax as the atproto fixtures define it: a
 * multibase string of 8-256 characters from `A-Za-z0-9+=` (covering base2/8/10/16/32/36/58/64
 * prefixes) that is not a legacy CIDv0. This is syntax only: decoding (and checking the hash and
 * codec) is `parseCid` in `@rsky/dag-cbor`.
 */
export function cidStringProblem(s: string): Problem | undefined {
  const len = s.length
  if (len < MIN_CID_STRING_LENGTH || len > MAX_CID_STRING_LENGTH) return P_LENGTH
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i)
    // One table read per character: no data-dependent branch for random base32 text.
    if (c >= 128 || CID_CHARS[c] === 0) {
      return { message: 'CID string contains a character outside A-Za-z0-9+=', offset: i }
    }
  }
  // A CIDv0 is a bare base58btc sha2-256 multihash: always 46 characters starting "Qm".
  if (len === 46 && s.charCodeAt(0) === 81 && s.charCodeAt(1) === 109) return P_V0
  return undefined
}

/**
 * Whether `s` has CID string syntax.
 * @example isValidCidString('bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm') // true
 */
export function isValidCidString(s: string): boolean {
  // cidStringProblem as a boolean, so the loop is inlined where it is called.
  if (typeof s !== 'string') return false
  const len = s.length
  if (len < MIN_CID_STRING_LENGTH || len > MAX_CID_STRING_LENGTH) return false
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i)
    if (c >= 128 || CID_CHARS[c] === 0) return false
  }
  return !(len === 46 && s.charCodeAt(0) === 81 && s.charCodeAt(1) === 109)
}

/**
 * Throws unless `s` has CID string syntax.
 * @throws {InvalidCidStringError} saying which rule failed.
 */
export function ensureValidCidString(s: string): void {
  if (typeof s !== 'string') throw new TypeError('ensureValidCidString: argument must be a string')
  const p = cidStringProblem(s)
  if (p) throw new InvalidCidStringError(s, p.message, p.offset)
}

/** Validates CID string syntax, returning the value or the issues. */
export function validateCidString(s: string): ValidationResult<string> {
  const p = typeof s === 'string' ? cidStringProblem(s) : { message: 'CID string must be a string' }
  return p ? failure('invalid_cid_string', p) : { success: true, value: s }
}
