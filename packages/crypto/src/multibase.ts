import { base58DecodeOrOffset, base58Encode } from './base58.ts'
import { abytes, astring, fromHexOrNull, toHex } from './bytes.ts'
import { InvalidMultibaseError } from './errors.ts'

/** Text encodings of bytes understood by `randomStr`, `bytesToMultibase` and `multibaseToBytes`. */
export type ByteEncoding =
  | 'hex'
  | 'base16'
  | 'base16upper'
  | 'base32'
  | 'base32upper'
  | 'base58btc'
  | 'base64'
  | 'base64pad'
  | 'base64url'
  | 'base64urlpad'

const PREFIX: Record<Exclude<ByteEncoding, 'hex'>, string> = {
  base16: 'f',
  base16upper: 'F',
  base32: 'b',
  base32upper: 'B',
  base58btc: 'z',
  base64: 'm',
  base64pad: 'M',
  base64url: 'u',
  base64urlpad: 'U',
}
const BY_PREFIX: Record<string, Exclude<ByteEncoding, 'hex'>> = Object.fromEntries(
  Object.entries(PREFIX).map(([k, v]) => [v, k as Exclude<ByteEncoding, 'hex'>]),
)

const B32 = 'abcdefghijklmnopqrstuvwxyz234567'
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Default cap on the length of a multibase string given to `multibaseToBytes`. */
export const DEFAULT_MAX_MULTIBASE_LENGTH = 4096

function encodeRadix2(bytes: Uint8Array, alphabet: string, bits: number, pad: boolean): string {
  const mask = (1 << bits) - 1
  let out = ''
  let buffer = 0
  let count = 0
  for (let i = 0; i < bytes.length; i++) {
    buffer = ((buffer << 8) | bytes[i]!) & 0xffff
    count += 8
    while (count >= bits) {
      count -= bits
      out += alphabet[(buffer >> count) & mask]
    }
  }
  if (count > 0) out += alphabet[(buffer << (bits - count)) & mask]
  if (pad) {
    const block = bits === 6 ? 4 : 8
    while (out.length % block !== 0) out += '='
  }
  return out
}

function decodeRadix2(text: string, alphabet: string, bits: number, full: string): Uint8Array {
  let end = text.length
  while (end > 0 && text[end - 1] === '=') end--
  const out = new Uint8Array(Math.floor((end * bits) / 8))
  let buffer = 0
  let count = 0
  let w = 0
  for (let i = 0; i < end; i++) {
    const v = alphabet.indexOf(text[i]!)
    if (v < 0) throw new InvalidMultibaseError(full, i + 1, 'character outside the alphabet')
    buffer = ((buffer << bits) | v) & 0xffff
    count += bits
    if (count >= 8) {
      count -= 8
      out[w++] = (buffer >> count) & 0xff
    }
  }
  if (count >= bits || (buffer & ((1 << count) - 1)) !== 0) {
    throw new InvalidMultibaseError(full, end, 'non-canonical trailing bits')
  }
  return out
}

/**
 * Text of `bytes` in `encoding`, without a multibase prefix.
 * @throws {TypeError} when `bytes` is not a Uint8Array or the encoding is unknown.
 */
export function encodeBytes(bytes: Uint8Array, encoding: ByteEncoding): string {
  abytes(bytes, 'bytes')
  switch (encoding) {
    case 'hex':
    case 'base16':
      return toHex(bytes)
    case 'base16upper':
      return toHex(bytes).toUpperCase()
    case 'base32':
      return encodeRadix2(bytes, B32, 5, false)
    case 'base32upper':
      return encodeRadix2(bytes, B32, 5, false).toUpperCase()
    case 'base58btc':
      return base58Encode(bytes)
    case 'base64':
      return encodeRadix2(bytes, B64, 6, false)
    case 'base64pad':
      return encodeRadix2(bytes, B64, 6, true)
    case 'base64url':
      return encodeRadix2(bytes, B64URL, 6, false)
    case 'base64urlpad':
      return encodeRadix2(bytes, B64URL, 6, true)
    default:
      throw new TypeError(`unknown encoding; encoding=${String(encoding)}`)
  }
}

/**
 * Multibase text of `bytes`: the encoding's one-character prefix, then the encoded bytes.
 * @throws {TypeError} when the encoding has no multibase prefix (`hex`) or is unknown.
 * @example bytesToMultibase(new Uint8Array([1, 2]), 'base58btc') // 'z5T'
 */
export function bytesToMultibase(bytes: Uint8Array, encoding: Exclude<ByteEncoding, 'hex'>): string {
  const prefix = PREFIX[encoding]
  if (prefix === undefined) throw new TypeError(`encoding has no multibase prefix; encoding=${encoding}`)
  return prefix + encodeBytes(bytes, encoding)
}

/**
 * Bytes of a multibase string (base16, base32, base58btc or base64 families).
 * @throws {InvalidMultibaseError} on an unknown prefix, a bad character, or a string over `maxLength`.
 * @example multibaseToBytes('z5T') // Uint8Array [1, 2]
 */
export function multibaseToBytes(multibase: string, opts?: { maxLength?: number }): Uint8Array {
  astring(multibase, 'multibase')
  const maxLength = opts?.maxLength ?? DEFAULT_MAX_MULTIBASE_LENGTH
  if (multibase.length > maxLength) {
    throw new InvalidMultibaseError(multibase, maxLength, `longer than maxLength=${maxLength}`)
  }
  const encoding = BY_PREFIX[multibase.charAt(0)]
  if (encoding === undefined) throw new InvalidMultibaseError(multibase, -1, 'unknown multibase prefix')
  const body = multibase.slice(1)
  switch (encoding) {
    case 'base16':
    case 'base16upper': {
      const out = fromHexOrNull(body)
      if (out === null) throw new InvalidMultibaseError(multibase, 1, 'not hex of even length')
      return out
    }
    case 'base32':
      return decodeRadix2(body, B32, 5, multibase)
    case 'base32upper':
      return decodeRadix2(body.toLowerCase(), B32, 5, multibase)
    case 'base58btc':
      return base58DecodeOrThrow(body, multibase, 1)
    case 'base64':
    case 'base64pad':
      return decodeRadix2(body, B64, 6, multibase)
    default:
      return decodeRadix2(body, B64URL, 6, multibase)
  }
}

/** base58btc decode that reports the first bad character as an InvalidMultibaseError. */
export function base58DecodeOrThrow(text: string, full: string, offsetBase: number): Uint8Array {
  const out = base58DecodeOrOffset(text)
  if (typeof out === 'number') {
    throw new InvalidMultibaseError(full, offsetBase - 1 - out, 'character outside the base58btc alphabet')
  }
  return out
}
