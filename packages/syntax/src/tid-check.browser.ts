// The browser's isValidTid (#tid-check): tid-check.ts's rule as one pattern, so a browser bundle
// that checks a commit's rev carries neither the character table nor the alphabet it is built from.
// test/tid-check.test.ts holds the two equal.
const TID = /^[2-7a-j][2-7a-z]{12}$/

/**
 * Whether `s` has TID syntax: 13 characters of `234567abcdefghijklmnopqrstuvwxyz`, the first one
 * of `234567abcdefghij`.
 * @example isValidTid('3jzfcijpj2z2a') // true
 */
export function isValidTid(s: string): boolean {
  return typeof s === 'string' && TID.test(s)
}
