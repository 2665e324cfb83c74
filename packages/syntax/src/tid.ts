import { isValidTid } from '#tid-check'
import { S32_ALPHABET, S32_VALUE } from './chars.ts'
import { failure, InvalidS32Error, InvalidTidError, type Problem, type ValidationResult } from './errors.ts'

export const TID_LENGTH = 13
/** Largest timestamp a TID holds: 53 bits of microseconds since the UNIX epoch. */
export const MAX_TID_TIMESTAMP: number = Number.MAX_SAFE_INTEGER
/** Largest clock identifier: 10 bits. */
export const MAX_TID_CLOCK_ID = 1023

const P_LENGTH: Problem = { message: 'TID must be 13 characters' }

/**
 * @internal `undefined` when `s` has TID syntax (specs/tid.md): 13 characters of
 * `234567abcdefghijklmnopqrstuvwxyz`, the first one of `234567abcdefghij`.
 */
export function tidProblem(s: string): Problem | undefined {
  if (s.length !== TID_LENGTH) return P_LENGTH
  for (let i = 0; i < TID_LENGTH; i++) {
    const c = s.charCodeAt(i)
    const v = c < 128 ? (S32_VALUE[c] as number) : -1
    if (v < 0) return { message: 'TID contains a character outside base32-sortable (234567a-z)', offset: i }
    if (i === 0 && v > 15)
      return { message: 'TID first character must be one of 234567abcdefghij', offset: 0 }
  }
  return undefined
}

// isValidTid is chosen through the package's "imports" map (#tid-check): a table read per
// character (tid-check.ts) everywhere but in browsers, which get one pattern (tid-check.browser.ts).
export { isValidTid }

/**
 * Throws unless `s` has TID syntax.
 * @throws {InvalidTidError} saying which rule failed.
 * @example ensureValidTid('3jzfcijpj2z2a')
 */
export function ensureValidTid(s: string): void {
  if (typeof s !== 'string') throw new TypeError('ensureValidTid: argument must be a string')
  const p = tidProblem(s)
  if (p) throw new InvalidTidError(s, p.message, p.offset)
}

/** Validates TID syntax, returning the value or the issues. */
export function validateTid(s: string): ValidationResult<string> {
  const p = typeof s === 'string' ? tidProblem(s) : { message: 'TID must be a string' }
  return p ? failure('invalid_tid', p) : { success: true, value: s }
}

/**
 * Encodes a non-negative safe integer in base32-sortable (no padding; `0` is `'2'`).
 * @throws {RangeError} when `n` is not a non-negative safe integer.
 * @example s32encode(1023) // 'zz'
 */
export function s32encode(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`s32encode: expected a non-negative safe integer; n=${n}`)
  }
  let out = ''
  do {
    out = S32_ALPHABET[n % 32] + out
    n = Math.floor(n / 32)
  } while (n > 0)
  return out
}

/**
 * Decodes base32-sortable to a number.
 * @throws {InvalidS32Error} for an empty string, a character outside the alphabet, or a value
 * above `Number.MAX_SAFE_INTEGER`.
 * @example s32decode('zz') // 1023
 */
export function s32decode(s: string): number {
  if (typeof s !== 'string') throw new TypeError('s32decode: argument must be a string')
  if (s.length === 0) throw new InvalidS32Error(s, 'empty string')
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    const v = c < 128 ? (S32_VALUE[c] as number) : -1
    if (v < 0) throw new InvalidS32Error(s, 'character outside base32-sortable (234567a-z)', i)
    n = n * 32 + v
    if (n > Number.MAX_SAFE_INTEGER) throw new InvalidS32Error(s, 'value exceeds 2^53-1', i)
  }
  return n
}

function encodeFixed(n: number, width: number): string {
  let out = ''
  for (let i = 0; i < width; i++) {
    out = S32_ALPHABET[n % 32] + out
    n = Math.floor(n / 32)
  }
  return out
}

/** A source of microseconds since the UNIX epoch; injectable for tests. */
export type MicrosClock = () => number

/**
 * Wall-clock time at process start plus a monotonic offset, in whole microseconds. Using the
 * monotonic clock means NTP steps backwards cannot make TIDs go backwards.
 */
const defaultClock: MicrosClock = () => Math.floor((performance.timeOrigin + performance.now()) * 1000)

function randomClockId(): number {
  const buf = new Uint16Array(1)
  crypto.getRandomValues(buf)
  return (buf[0] as number) & MAX_TID_CLOCK_ID
}

/** Options of {@link createTidGenerator}. */
export interface TidGeneratorOptions {
  /** Clock identifier 0-1023; random by default. */
  readonly clockId?: number
  /** Microsecond clock; defaults to a monotonic clock anchored at the wall clock. */
  readonly clock?: MicrosClock
}

/** A TID source whose output is strictly increasing, whatever its clock does. */
export interface TidGenerator {
  readonly clockId: number
  next(prev?: Tid | string): Tid
}

/**
 * Creates an independent TID generator. Most callers want {@link Tid.next}, which shares one
 * generator per process.
 * @throws {RangeError} when `clockId` is not an integer 0-1023.
 */
export function createTidGenerator(opts: TidGeneratorOptions = {}): TidGenerator {
  const clockId = opts.clockId ?? randomClockId()
  if (!Number.isInteger(clockId) || clockId < 0 || clockId > MAX_TID_CLOCK_ID) {
    throw new RangeError(
      `createTidGenerator: clockId must be an integer 0-${MAX_TID_CLOCK_ID}; clockId=${clockId}`,
    )
  }
  const clock = opts.clock ?? defaultClock
  let last = -1
  return {
    clockId,
    next(prev?: Tid | string): Tid {
      let ts = Math.floor(clock())
      if (!(ts > last)) ts = last + 1
      if (prev !== undefined) {
        const p = typeof prev === 'string' ? Tid.parse(prev) : prev
        // Strictly after prev even when prev came from another process with a faster clock.
        if (p.timestamp() >= ts) ts = p.timestamp() + 1
      }
      if (ts > MAX_TID_TIMESTAMP) throw new RangeError('TID timestamp overflow; clock is past year 287396')
      last = ts
      return Tid.fromTime(ts, clockId)
    },
  }
}

let shared: TidGenerator | undefined

/**
 * Timestamp identifier: 53 bits of microseconds since the UNIX epoch and a 10-bit clock id,
 * written as 13 base32-sortable characters so string order is time order. Immutable.
 */
export class Tid {
  readonly str: string
  readonly #timestamp: number
  readonly #clockId: number

  private constructor(str: string, timestamp: number, clockId: number) {
    this.str = str
    this.#timestamp = timestamp
    this.#clockId = clockId
  }

  /**
   * The next TID of this process: strictly greater than every TID `Tid.next` returned before,
   * and than `prev` if given.
   * @example const rev = Tid.next().toString()
   */
  static next(prev?: Tid | string): Tid {
    shared ??= createTidGenerator()
    return shared.next(prev)
  }

  /** `Tid.next(prev).toString()`. */
  static nextStr(prev?: Tid | string): string {
    return Tid.next(prev).str
  }

  /**
   * Parses a TID string.
   * @throws {InvalidTidError} for bad syntax, or when the top bit is set (the first character is
   * one of `cdefghij`), which TID syntax allows but the 64-bit layout forbids.
   * @example Tid.parse('3jzfcijpj2z2a').timestamp()
   */
  static parse(s: string): Tid {
    ensureValidTid(s)
    if ((S32_VALUE[s.charCodeAt(0)] as number) > 7) {
      throw new InvalidTidError(s, 'TID top bit must be zero (first character must be one of 234567ab)', 0)
    }
    let ts = 0
    for (let i = 0; i < 11; i++) ts = ts * 32 + (S32_VALUE[s.charCodeAt(i)] as number)
    const clockId = (S32_VALUE[s.charCodeAt(11)] as number) * 32 + (S32_VALUE[s.charCodeAt(12)] as number)
    return new Tid(s, ts, clockId)
  }

  /**
   * Builds a TID from a timestamp in microseconds and a clock id.
   * @throws {RangeError} when either is out of range (0..2^53-1, 0..1023) or not an integer.
   * @example Tid.fromTime(Date.now() * 1000, 0)
   */
  static fromTime(micros: number, clockId: number): Tid {
    if (!Number.isSafeInteger(micros) || micros < 0) {
      throw new RangeError(`Tid.fromTime: micros must be an integer 0..2^53-1; micros=${micros}`)
    }
    if (!Number.isInteger(clockId) || clockId < 0 || clockId > MAX_TID_CLOCK_ID) {
      throw new RangeError(
        `Tid.fromTime: clockId must be an integer 0-${MAX_TID_CLOCK_ID}; clockId=${clockId}`,
      )
    }
    return new Tid(encodeFixed(micros, 11) + encodeFixed(clockId, 2), micros, clockId)
  }

  /** Whether `s` has TID syntax. */
  static isValid(s: string): boolean {
    return isValidTid(s)
  }

  /** Orders TIDs by time, then clock id (the same as string order). */
  static compare(a: Tid, b: Tid): -1 | 0 | 1 {
    return a.str < b.str ? -1 : a.str > b.str ? 1 : 0
  }

  /** Sort comparator, oldest first. */
  static oldestFirst(a: Tid, b: Tid): -1 | 0 | 1 {
    return Tid.compare(a, b)
  }

  /** Sort comparator, newest first. */
  static newestFirst(a: Tid, b: Tid): -1 | 0 | 1 {
    return Tid.compare(b, a)
  }

  /** Microseconds since the UNIX epoch. */
  timestamp(): number {
    return this.#timestamp
  }

  clockId(): number {
    return this.#clockId
  }

  compareTo(other: Tid): -1 | 0 | 1 {
    return Tid.compare(this, other)
  }

  equals(other: Tid): boolean {
    return this.str === other.str
  }

  newerThan(other: Tid): boolean {
    return this.str > other.str
  }

  olderThan(other: Tid): boolean {
    return this.str < other.str
  }

  toString(): string {
    return this.str
  }

  toJSON(): string {
    return this.str
  }
}

/** Removes the dashes of the legacy `3jzf-cij-pj2z-2a` TID form. Does not validate. */
export function dedashTid(s: string): string {
  return s.replaceAll('-', '')
}
