import { failure, InvalidDatetimeError, type Problem, type ValidationResult } from './errors.ts'

/** A string that passed atproto datetime validation. */
export type DatetimeString = `${string}-${string}-${string}T${string}:${string}:${string}`

export const MAX_DATETIME_LENGTH = 64
/** What {@link normalizeDatetimeAlways} returns for input it cannot parse. */
export const EPOCH_DATETIME = '1970-01-01T00:00:00.000Z'

const P_LENGTH: Problem = { message: 'datetime must be 20 to 64 characters' }
const P_NEG_ZERO: Problem = { message: 'datetime can not use "-00:00" as its timezone (use "Z")' }
const P_NEGATIVE: Problem = { message: 'datetime normalises to a year before 0000' }
const P_FUTURE: Problem = { message: 'datetime normalises to a year after 9999' }

function digit(s: string, i: number): number {
  const v = s.charCodeAt(i) - 48
  return v >= 0 && v <= 9 ? v : -1
}

function two(s: string, i: number): number {
  const a = digit(s, i)
  const b = digit(s, i + 1)
  return a < 0 || b < 0 ? -1 : a * 10 + b
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeapYear(y) ? 29 : (DAYS_IN_MONTH[m - 1] as number)
}

function bad(message: string, offset: number): Problem {
  return { message, offset }
}

/** Fields of a datetime that passed the scanner, kept for parseDatetime. */
interface Fields {
  y: number
  mo: number
  d: number
  h: number
  mi: number
  s: number
  ms: number
  offsetSec: number
}

const scratch: Fields = { y: 0, mo: 0, d: 0, h: 0, mi: 0, s: 0, ms: 0, offsetSec: 0 }

/**
 * @internal `undefined` when `s` is a valid atproto datetime (specs/lexicon.md "datetime"), else
 * why. `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`, real calendar dates, no leap seconds,
 * no `-00:00`, and the UTC instant must fall in years 0000-9999. Fills `scratch` on success.
 */
export function datetimeProblem(s: string): Problem | undefined {
  const len = s.length
  if (len < 20 || len > MAX_DATETIME_LENGTH) return P_LENGTH
  const y0 = two(s, 0)
  const y1 = two(s, 2)
  if (y0 < 0 || y1 < 0) return bad('datetime year must be four digits', 0)
  const y = y0 * 100 + y1
  if (s.charCodeAt(4) !== 45) return bad('datetime expected "-" after the year', 4)
  const mo = two(s, 5)
  if (mo < 1 || mo > 12) return bad('datetime month must be 01-12', 5)
  if (s.charCodeAt(7) !== 45) return bad('datetime expected "-" after the month', 7)
  const d = two(s, 8)
  if (d < 1 || d > daysInMonth(y, mo)) return bad('datetime day is not a day of that month', 8)
  if (s.charCodeAt(10) !== 84 /* T */)
    return bad('datetime expected upper-case "T" between date and time', 10)
  const h = two(s, 11)
  if (h < 0 || h > 23) return bad('datetime hour must be 00-23', 11)
  if (s.charCodeAt(13) !== 58) return bad('datetime expected ":" after the hour', 13)
  const mi = two(s, 14)
  if (mi < 0 || mi > 59) return bad('datetime minute must be 00-59', 14)
  if (s.charCodeAt(16) !== 58) return bad('datetime expected ":" after the minute', 16)
  const sec = two(s, 17)
  if (sec < 0 || sec > 59) return bad('datetime second must be 00-59', 17)
  let i = 19
  let ms = 0
  if (s.charCodeAt(i) === 46 /* . */) {
    i++
    const fracStart = i
    while (i < len && digit(s, i) >= 0) {
      if (i - fracStart < 3) ms = ms * 10 + digit(s, i)
      i++
    }
    if (i === fracStart) return bad('datetime fraction needs at least one digit after "."', i)
    for (let k = i - fracStart; k < 3; k++) ms *= 10
  }
  let offsetSec = 0
  const tz = s.charCodeAt(i)
  if (tz === 90 /* Z */) {
    if (i + 1 !== len) return bad('datetime has characters after the timezone', i + 1)
  } else if (tz === 43 /* + */ || tz === 45 /* - */) {
    if (i + 6 !== len) return bad('datetime timezone offset must be "+HH:MM" or "-HH:MM" at the end', i)
    const oh = two(s, i + 1)
    const om = two(s, i + 4)
    if (oh < 0 || oh > 23 || s.charCodeAt(i + 3) !== 58 || om < 0 || om > 59) {
      return bad('datetime timezone offset must be "+HH:MM" or "-HH:MM" with HH 00-23 and MM 00-59', i)
    }
    if (tz === 45 && oh === 0 && om === 0) return P_NEG_ZERO
    offsetSec = (tz === 43 ? 1 : -1) * (oh * 3600 + om * 60)
  } else {
    return bad('datetime must end with a timezone ("Z" or "+HH:MM"/"-HH:MM")', i)
  }
  const utcSecOfDay = h * 3600 + mi * 60 + sec - offsetSec
  if (y === 0 && mo === 1 && d === 1 && utcSecOfDay < 0) return P_NEGATIVE
  if (y === 9999 && mo === 12 && d === 31 && utcSecOfDay >= 86400) return P_FUTURE
  scratch.y = y
  scratch.mo = mo
  scratch.d = d
  scratch.h = h
  scratch.mi = mi
  scratch.s = sec
  scratch.ms = ms
  scratch.offsetSec = offsetSec
  return undefined
}

/** Two ASCII digits at `i` (which must be inside `s`) as a number, or -1. */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48
  const b = s.charCodeAt(i + 1) - 48
  return a >>> 0 < 10 && b >>> 0 < 10 ? a * 10 + b : -1
}

/**
 * @internal The boolean form of {@link datetimeProblem}, on char codes with no regular
 * expression and no messages: what `isValidDatetime` runs. test/boolean-paths.test.ts keeps
 * the two equal.
 */
export function isDatetime(s: string): boolean {
  const len = s.length
  if (len < 20 || len > MAX_DATETIME_LENGTH) return false
  const y0 = twoDigits(s, 0)
  const y1 = twoDigits(s, 2)
  const y = y0 * 100 + y1
  const mo = twoDigits(s, 5)
  const d = twoDigits(s, 8)
  const h = twoDigits(s, 11)
  const mi = twoDigits(s, 14)
  const sec = twoDigits(s, 17)
  if (
    (y0 | y1) < 0 ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    h < 0 ||
    h > 23 ||
    mi < 0 ||
    mi > 59 ||
    sec < 0 ||
    sec > 59 ||
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 /* T */ ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58 ||
    (d > 28 && d > daysInMonth(y, mo))
  ) {
    return false
  }
  let i = 19
  if (s.charCodeAt(i) === 46 /* . */) {
    while (++i < len && (s.charCodeAt(i) - 48) >>> 0 < 10);
    if (i === 20) return false
  }
  const tz = s.charCodeAt(i)
  if (tz === 90 /* Z */) return i + 1 === len
  if ((tz !== 43 && tz !== 45) || i + 6 !== len || s.charCodeAt(i + 3) !== 58) return false
  const oh = twoDigits(s, i + 1)
  const om = twoDigits(s, i + 4)
  if (oh < 0 || oh > 23 || om < 0 || om > 59 || (tz === 45 && oh + om === 0)) return false
  // The UTC instant must stay within years 0000-9999.
  const utc = h * 3600 + mi * 60 + sec - (tz === 43 ? 1 : -1) * (oh * 3600 + om * 60)
  return (
    !(y === 0 && mo === 1 && d === 1 && utc < 0) && !(y === 9999 && mo === 12 && d === 31 && utc >= 86400)
  )
}

/**
 * Whether `s` is a valid atproto datetime.
 * @example isValidDatetime('1985-04-12T23:20:50.123Z') // true
 */
export function isValidDatetime(s: string): boolean {
  return typeof s === 'string' && isDatetime(s)
}

/**
 * Throws unless `s` is a valid atproto datetime.
 * @throws {InvalidDatetimeError} saying which rule failed.
 * @example ensureValidDatetime('1985-04-12T23:20:50.123Z')
 */
export function ensureValidDatetime(s: string): void {
  if (typeof s !== 'string') throw new TypeError('ensureValidDatetime: argument must be a string')
  const p = datetimeProblem(s)
  if (p) throw new InvalidDatetimeError(s, p.message, p.offset)
}

/** Validates a datetime, returning the value or the issues. */
export function validateDatetime(s: string): ValidationResult<DatetimeString> {
  const p = typeof s === 'string' ? datetimeProblem(s) : { message: 'datetime must be a string' }
  return p ? failure('invalid_datetime', p) : { success: true, value: s as DatetimeString }
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's
// days_from_civil), valid for year 0 and for years below 100, where Date.UTC misbehaves.
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/**
 * Validates and parses a datetime to a `Date`. Precision beyond milliseconds is truncated.
 * @throws {InvalidDatetimeError} when `s` is not a valid atproto datetime.
 * @example parseDatetime('1985-04-12T23:20:50.123Z').getTime() // 482196050123
 */
export function parseDatetime(s: string): Date {
  ensureValidDatetime(s)
  const f = scratch
  const secs = daysFromCivil(f.y, f.mo, f.d) * 86400 + f.h * 3600 + f.mi * 60 + f.s - f.offsetSec
  return new Date(secs * 1000 + f.ms)
}

function inAtprotoRange(date: Date): boolean {
  const y = date.getUTCFullYear()
  return y >= 0 && y <= 9999
}

/**
 * Normalises a datetime to the canonical `YYYY-MM-DDTHH:mm:ss.sssZ` form (UTC, milliseconds).
 * Valid atproto datetimes convert exactly (sub-millisecond digits truncated). Other input is
 * parsed leniently with `Date`: with a timezone as written, without one as UTC. Unlike the
 * reference, the result never depends on the machine's local timezone.
 * @throws {InvalidDatetimeError} when nothing parses to a datetime within years 0000-9999.
 * @example normalizeDatetime('1985-04-12T23:20:50.123+01:00') // '1985-04-12T22:20:50.123Z'
 */
export function normalizeDatetime(s: string): string {
  if (typeof s !== 'string') throw new TypeError('normalizeDatetime: argument must be a string')
  if (datetimeProblem(s) === undefined) return parseDatetime(s).toISOString()
  if (s.length <= 256) {
    const hasZone = /[+-]\d\d:?\d\d|\dZ\b|\b[A-Z]{3,4}\b/.test(s)
    const candidates = hasZone ? [s] : [`${s}Z`, `${s} UTC`]
    for (const c of candidates) {
      const date = new Date(c)
      if (!Number.isNaN(date.getTime()) && inAtprotoRange(date)) return date.toISOString()
    }
  }
  throw new InvalidDatetimeError(s, 'datetime did not parse as any timestamp format')
}

/**
 * Like {@link normalizeDatetime} but never throws: unparseable input becomes the UNIX epoch
 * (`1970-01-01T00:00:00.000Z`).
 * @example normalizeDatetimeAlways('garbage') // '1970-01-01T00:00:00.000Z'
 */
export function normalizeDatetimeAlways(s: string): string {
  try {
    return normalizeDatetime(s)
  } catch (err) {
    if (err instanceof InvalidDatetimeError) return EPOCH_DATETIME
    throw err
  }
}
