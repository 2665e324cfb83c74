// base58btc encoding everywhere but in browsers (#base58-encode): base-58 digits in an array, the
// fastest form measured in V8. base58-encode.browser.ts gives the same text in fewer bytes.
import { BASE58_ALPHABET } from './base58-alphabet.ts'

/** base58btc text of `bytes` (no multibase prefix). */
export function base58Encode(bytes: Uint8Array): string {
  let zeros = 0
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++
  // log(256) / log(58) ~= 1.366: an upper bound on the digit count.
  const digits = new Uint8Array(Math.ceil((bytes.length - zeros) * 1.366) + 1)
  let used = 0
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i]!
    for (let j = 0; j < used; j++) {
      carry += digits[j]! * 256
      digits[j] = carry % 58
      carry = (carry / 58) | 0
    }
    while (carry > 0) {
      digits[used++] = carry % 58
      carry = (carry / 58) | 0
    }
  }
  let out = '1'.repeat(zeros)
  for (let j = used - 1; j >= 0; j--) out += BASE58_ALPHABET[digits[j]!]
  return out
}
