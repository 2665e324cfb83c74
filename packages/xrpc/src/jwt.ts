// Parsing a compact JWS (header.payload.signature) from an untrusted Authorization header:
// length-capped, strict base64url, JSON objects only, and nothing else assumed about the claims.
import { base64UrlDecode, base64UrlDecodeText } from './base64url.ts'
import { ServiceAuthError } from './service-auth-error.ts'

/** Default cap on the length of a token accepted for parsing (a service token is ~400 chars). */
export const DEFAULT_MAX_JWT_LENGTH = 8192

/** A JWT split into its parts; claims are untyped until checked. */
export interface ParsedJwt {
  readonly header: Readonly<Record<string, unknown>>
  readonly payload: Readonly<Record<string, unknown>>
  /** The bytes the signature covers: ASCII of `header.payload`. */
  readonly signedText: string
  readonly signature: Uint8Array
}

function jsonObject(segment: string, what: string): Record<string, unknown> {
  const text = base64UrlDecodeText(segment)
  if (text === undefined) throw new ServiceAuthError('BAD_JWT', `jwt ${what} is not base64url`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new ServiceAuthError('BAD_JWT', `jwt ${what} is not JSON`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ServiceAuthError('BAD_JWT', `jwt ${what} is not a JSON object`)
  }
  return value as Record<string, unknown>
}

/**
 * Splits and decodes a compact JWT without checking any claim or the signature.
 * @throws {ServiceAuthError} code `BAD_JWT` for anything that is not three strict base64url parts
 * whose first two are JSON objects, or a token longer than `maxLength`.
 * @example parseJwt(token).payload.iss
 */
export function parseJwt(token: string, opts: { maxLength?: number } = {}): ParsedJwt {
  if (typeof token !== 'string') throw new ServiceAuthError('BAD_JWT', 'jwt is not a string')
  const maxLength = opts.maxLength ?? DEFAULT_MAX_JWT_LENGTH
  if (token.length > maxLength) {
    throw new ServiceAuthError('BAD_JWT', `jwt too long; length=${token.length} max=${maxLength}`)
  }
  const first = token.indexOf('.')
  const second = first === -1 ? -1 : token.indexOf('.', first + 1)
  if (first <= 0 || second <= first + 1 || token.indexOf('.', second + 1) !== -1) {
    throw new ServiceAuthError('BAD_JWT', 'poorly formatted jwt')
  }
  const header = jsonObject(token.slice(0, first), 'header')
  const payload = jsonObject(token.slice(first + 1, second), 'payload')
  const signature = base64UrlDecode(token.slice(second + 1))
  if (signature === undefined || signature.length === 0) {
    throw new ServiceAuthError('BAD_JWT', 'jwt signature is not base64url')
  }
  return { header, payload, signedText: token.slice(0, second), signature }
}
