import { keyHeight } from '#digest'
import { InvalidMstKeyError } from './errors.ts'

/** Longest key the reference implementation accepts (characters, which are bytes: keys are ASCII). */
export const MAX_MST_KEY_LENGTH = 1024

// Allowed bytes in either half of a key: A-Z a-z 0-9 _ ~ - : . (1 in the table).
/** @internal */
export const ALLOWED: Uint8Array = (() => {
  const t = new Uint8Array(128)
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 1
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1
  for (const ch of '_~-:.') t[ch.charCodeAt(0)] = 1
  return t
})()

/** Why `key` is not a valid MST key, or `null` when it is. */
export function mstKeyProblem(key: string): string | null {
  const len = key.length
  if (len === 0) return 'empty'
  if (len > MAX_MST_KEY_LENGTH) return `longer than ${MAX_MST_KEY_LENGTH}`
  let slash = -1
  for (let i = 0; i < len; i++) {
    const c = key.charCodeAt(i)
    if (c === 0x2f) {
      if (slash !== -1) return 'more than one "/"'
      slash = i
    } else if (c >= 128 || ALLOWED[c] !== 1) {
      return `character not allowed at ${i}`
    }
  }
  if (slash === -1) return 'no "/"'
  if (slash === 0) return 'empty collection part'
  if (slash === len - 1) return 'empty record key part'
  return null
}

/**
 * Whether `key` is a valid MST key: `<collection>/<rkey>`, both parts non-empty, only
 * `A-Za-z0-9_~-:.`, at most 1024 characters (the reference implementation's rule).
 * @example isValidMstKey('app.bsky.feed.post/3jzfcijpj2z2a') // true
 */
export function isValidMstKey(key: string): boolean {
  return typeof key === 'string' && mstKeyProblem(key) === null
}

/**
 * Throws when `key` is not a valid MST key.
 * @throws InvalidMstKeyError
 */
export function ensureValidMstKey(key: string): void {
  if (typeof key !== 'string') throw new TypeError('MST key must be a string')
  const problem = mstKeyProblem(key)
  if (problem !== null) throw new InvalidMstKeyError(key, problem)
}

/** Leading zero bits of `hash` counted in 2-bit chunks: the MST layer (fanout 4). */
export function leadingZerosOnHash(hash: Uint8Array): number {
  let zeros = 0
  for (let i = 0; i < hash.length; i++) {
    const b = hash[i] as number
    if (b === 0) {
      zeros += 4
      continue
    }
    if (b < 4) zeros += 3
    else if (b < 16) zeros += 2
    else if (b < 64) zeros += 1
    break
  }
  return zeros
}

/**
 * Height (layer) of a key: leading zero bits of sha256(key), divided by two, rounded down.
 * @example heightForKey('blue') // 1
 */
export function heightForKey(key: string): number {
  return keyHeight(key)
}

/** Number of leading characters `a` and `b` share (the node prefix compression). */
export function countPrefixLen(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  let i = 0
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++
  return i
}
