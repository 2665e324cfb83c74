import { parseDidKey, verifySignature } from '@rsky/crypto'
import { base64urlDecode, base64urlEncode, utf8, utf8Decode } from './bytes.ts'
import { SpaceTokenError } from './errors.ts'

/** Default cap on the length of a token string. */
export const MAX_JWT_LENGTH: number = 16 * 1024

/** A JWT split into its parts, with the signature not yet checked. */
export interface DecodedJwt {
  readonly header: Readonly<Record<string, unknown>>
  readonly payload: Readonly<Record<string, unknown>>
  /** The bytes the signature covers: `base64url(header).base64url(payload)`. */
  readonly signingInput: Uint8Array
  readonly signature: Uint8Array
}

function decodeJsonPart(b64: string, part: 'header' | 'payload'): Record<string, unknown> {
  const bytes = base64urlDecode(b64)
  const text = bytes && utf8Decode(bytes)
  if (text === undefined) throw new SpaceTokenError('BadJwt', `token ${part} is not base64url UTF-8`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new SpaceTokenError('BadJwt', `token ${part} is not JSON`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SpaceTokenError('BadJwt', `token ${part} is not a JSON object`)
  }
  return value as Record<string, unknown>
}

/**
 * Splits a compact JWS into header, payload and signature without checking the signature.
 * @throws {SpaceTokenError} `BadJwt` for anything that is not three base64url parts of JSON objects
 */
export function decodeJwt(jwt: string, opts: { maxLength?: number } = {}): DecodedJwt {
  if (typeof jwt !== 'string') throw new SpaceTokenError('BadJwt', 'token must be a string')
  const max = opts.maxLength ?? MAX_JWT_LENGTH
  if (jwt.length > max)
    throw new SpaceTokenError('BadJwt', `token is too long; length=${jwt.length} max=${max}`)
  const parts = jwt.split('.')
  if (parts.length !== 3)
    throw new SpaceTokenError('BadJwt', `malformed token; parts=${parts.length} expected=3`)
  const [h, p, s] = parts as [string, string, string]
  const header = decodeJsonPart(h, 'header')
  const payload = decodeJsonPart(p, 'payload')
  const signature = base64urlDecode(s)
  if (!signature || signature.length === 0)
    throw new SpaceTokenError('BadJwt', 'token signature is not base64url')
  return { header, payload, signingInput: utf8(`${h}.${p}`), signature }
}

/** `base64url(JSON(header)).base64url(JSON(payload))`, the part a JWS signs. */
export function jwtSigningInput(header: object, payload: object): string {
  return `${base64urlEncode(utf8(JSON.stringify(header)))}.${base64urlEncode(utf8(JSON.stringify(payload)))}`
}

/**
 * Assembles a compact JWS; `sign` receives the signing input and returns the compact signature
 * (for ES256K/ES256 keys, r||s over sha256 of the input, as `Keypair.sign` produces).
 */
export async function encodeJwt(
  header: object,
  payload: object,
  sign: (input: Uint8Array) => Uint8Array | Promise<Uint8Array>,
): Promise<string> {
  const input = jwtSigningInput(header, payload)
  const sig = await sign(utf8(input))
  return `${input}.${base64urlEncode(sig)}`
}

/**
 * Verifies a decoded JWT's signature against a did:key, after checking that the header's `alg`
 * is the key's algorithm (ES256K for secp256k1, ES256 for P-256). Low-S is required, as for
 * every atproto signature.
 * @throws {SpaceTokenError} `BadJwtAlg` when `alg` does not fit the key, `BadJwtSignature` for a malformed key
 */
export function verifyJwtSignature(
  decoded: {
    readonly header: { readonly alg?: unknown }
    readonly signingInput: Uint8Array
    readonly signature: Uint8Array
  },
  didKey: string,
): boolean {
  let keyAlg: string
  try {
    keyAlg = parseDidKey(didKey).jwtAlg
  } catch (err) {
    throw new SpaceTokenError('BadJwtSignature', `could not parse the signing key; didKey=${didKey}`, {
      cause: err,
    })
  }
  if (decoded.header.alg !== keyAlg) {
    throw new SpaceTokenError(
      'BadJwtAlg',
      `token alg does not match the signing key; alg=${String(decoded.header.alg)} key=${keyAlg}`,
    )
  }
  try {
    return verifySignature(didKey, decoded.signingInput, decoded.signature, { jwtAlg: keyAlg })
  } catch (err) {
    throw new SpaceTokenError('BadJwtSignature', 'could not verify the token signature', { cause: err })
  }
}

/**
 * Remembers single-use token ids (`jti`) until they expire. `consume` returns false when the id
 * was already seen, so a replay is refused.
 */
export interface JtiStore {
  consume(jti: string, expiresAtSec: number): boolean | Promise<boolean>
}

/**
 * An in-memory {@link JtiStore} for one process. Expired ids are dropped as new ones arrive;
 * past `maxEntries` live ids, the ones closest to expiry are dropped first.
 */
export class MemoryJtiStore implements JtiStore {
  readonly #seen = new Map<string, number>()
  readonly #max: number
  readonly #now: () => number

  constructor(opts: { maxEntries?: number; nowSec?: () => number } = {}) {
    this.#max = opts.maxEntries ?? 100_000
    this.#now = opts.nowSec ?? (() => Math.floor(Date.now() / 1000))
  }

  consume(jti: string, expiresAtSec: number): boolean {
    const now = this.#now()
    const prior = this.#seen.get(jti)
    if (prior !== undefined && prior >= now) return false
    this.#seen.set(jti, expiresAtSec)
    if (this.#seen.size > this.#max) {
      for (const [k, exp] of this.#seen) if (exp < now) this.#seen.delete(k)
      if (this.#seen.size > this.#max) {
        const byExpiry = [...this.#seen].sort((a, b) => a[1] - b[1])
        for (let i = 0; this.#seen.size > this.#max; i++) this.#seen.delete(byExpiry[i]![0])
      }
    }
    return true
  }

  get size(): number {
    return this.#seen.size
  }
}
