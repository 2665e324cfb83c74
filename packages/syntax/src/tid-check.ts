// isValidTid everywhere but in browsers (#tid-check): a table read per character, which beats a
// regular expression here. tid-check.browser.ts is the same rule as one pattern.
import { S32_VALUE } from './chars.ts'

/**
 * Whether `s` has TID syntax: 13 characters of `234567abcdefghijklmnopqrstuvwxyz`, the first one
 * of `234567abcdefghij`.
 * @example isValidTid('3jzfcijpj2z2a') // true
 */
export function isValidTid(s: string): boolean {
  if (typeof s !== 'string' || s.length !== 13) return false
  for (let i = 0; i < 13; i++) {
    const c = s.charCodeAt(i)
    const v = c < 128 ? (S32_VALUE[c] as number) : -1
    if (v < 0 || (i === 0 && v > 15)) return false
  }
  return true
}
