// The browser's base58Encode (#base58-encode): the bytes as one BigInt, divided by 58 digit by
// digit. Fewer bytes than base58-encode.ts's digit array; slower (about 6 µs against 3 for a
// 35-byte did:key in V8), which is nothing for what a browser encodes (a did:key, a CIDv0's string,
// cached). test/base58.test.ts holds the two equal.
import { BASE58_ALPHABET } from './base58-alphabet.ts'

/** base58btc text of `bytes` (no multibase prefix). */
export function base58Encode(bytes: Uint8Array): string {
  let zeros = 0
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++
  let n = 0n
  for (let i = zeros; i < bytes.length; i++) n = (n << 8n) | BigInt(bytes[i] as number)
  let out = ''
  for (; n > 0n; n /= 58n) out = BASE58_ALPHABET[Number(n % 58n)] + out
  return '1'.repeat(zeros) + out
}
