import { type Keypair, randomBytes } from '@rsky/crypto'
import { spaceHostAud } from './address.ts'
import { toHex } from './bytes.ts'
import { SpaceTokenError } from './errors.ts'
import { decodeJwt, encodeJwt, type JtiStore, verifyJwtSignature } from './jwt.ts'

/** Seconds of clock difference tolerated when checking `exp` and `iat`. */
export const CLOCK_SKEW_SEC = 5
/** `typ` of a delegation token. */
export const DELEGATION_TYP = 'atproto-space-delegation+jwt'
/** `typ` of a space credential. */
export const CREDENTIAL_TYP = 'atproto-space-credential+jwt'
/** `typ` of a client attestation. */
export const CLIENT_ATTESTATION_TYP = 'atproto-client-attestation+jwt'
/** Default lifetime of a delegation token. */
export const DELEGATION_TTL_SEC = 60
/** Default lifetime of a space credential. */
export const CREDENTIAL_TTL_SEC = 7200

/** How each token class is shaped: who it is for, how long it lives, what it must carry. */
export interface SpaceTokenSpec {
  readonly typ: string
  readonly kid: string | undefined
  readonly expiresInSec: number
  readonly requireAud: boolean
  readonly requireCnf: boolean
  readonly singleUse: boolean
}

/**
 * The three token classes share one wire shape. A delegation token (user -> authority) and a
 * client attestation are single-use and addressed; a space credential is multi-use across repo
 * hosts, so it has no `aud` and must be bound to the holder's DPoP key instead.
 */
export const SPACE_TOKEN_TYPES: {
  readonly delegation: SpaceTokenSpec
  readonly credential: SpaceTokenSpec
  readonly clientAttestation: SpaceTokenSpec
} = {
  delegation: {
    typ: DELEGATION_TYP,
    kid: '#atproto',
    expiresInSec: DELEGATION_TTL_SEC,
    requireAud: true,
    requireCnf: false,
    singleUse: true,
  },
  credential: {
    typ: CREDENTIAL_TYP,
    kid: '#atproto',
    expiresInSec: CREDENTIAL_TTL_SEC,
    requireAud: false,
    requireCnf: true,
    singleUse: false,
  },
  clientAttestation: {
    typ: CLIENT_ATTESTATION_TYP,
    kid: undefined,
    expiresInSec: 60,
    requireAud: true,
    requireCnf: false,
    singleUse: true,
  },
}

/** A token class name. */
export type SpaceTokenType = keyof typeof SPACE_TOKEN_TYPES

/** Header of a space token. */
export interface SpaceTokenHeader {
  readonly alg: string
  readonly typ: string
  readonly kid?: string
}

/** Claims of a space token. `sub` is the space URI (the client_id for an attestation). */
export interface SpaceTokenPayload {
  readonly iss: string
  readonly sub: string
  readonly aud?: string
  readonly iat: number
  readonly exp: number
  readonly jti: string
  readonly cnf?: { readonly jkt: string }
}

/** A parsed space token. */
export interface SpaceToken {
  readonly header: SpaceTokenHeader
  readonly payload: SpaceTokenPayload
}

const nowSec = (): number => Math.floor(Date.now() / 1000)

/** Options for {@link createSpaceToken}. */
export interface CreateSpaceTokenOptions {
  iss: string
  sub: string
  aud?: string
  /** Thumbprint of the holder's DPoP key; required for a credential. */
  dpopJkt?: string
  expiresInSec?: number
  kid?: string
  /** Issue time in seconds (default now). */
  iatSec?: number
}

/**
 * Mints and signs a delegation token, space credential or client attestation with a fresh
 * 128-bit `jti`. The header `alg` is the keypair's.
 * @throws {SpaceTokenError} `BadJwtAudience` without a required `aud`, `BadJwtCnf` without a required `dpopJkt`
 * @example
 * ```ts
 * const token = await createSpaceToken('delegation', { iss: userDid, sub: space, aud: spaceHostAud(authority) }, userKey)
 * ```
 */
export async function createSpaceToken(
  type: SpaceTokenType,
  opts: CreateSpaceTokenOptions,
  keypair: Keypair,
): Promise<string> {
  const spec = SPACE_TOKEN_TYPES[type]
  if (!spec) throw new TypeError(`unknown space token type; type=${String(type)}`)
  if (spec.requireAud && !opts.aud)
    throw new SpaceTokenError('BadJwtAudience', `a ${type} token requires an "aud"`)
  if (spec.requireCnf && !opts.dpopJkt)
    throw new SpaceTokenError('BadJwtCnf', `a ${type} token requires a "dpopJkt"`)
  const iat = opts.iatSec ?? nowSec()
  const kid = opts.kid ?? spec.kid
  const header: SpaceTokenHeader = { alg: keypair.jwtAlg, typ: spec.typ, ...(kid ? { kid } : {}) }
  const payload: SpaceTokenPayload = {
    iss: opts.iss,
    sub: opts.sub,
    ...(opts.aud ? { aud: opts.aud } : {}),
    ...(opts.dpopJkt ? { cnf: { jkt: opts.dpopJkt } } : {}),
    iat,
    exp: iat + (opts.expiresInSec ?? spec.expiresInSec),
    jti: toHex(randomBytes(16)),
  }
  return encodeJwt(header, payload, (input) => keypair.sign(input))
}

const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0

/**
 * Checks a token's structure for its class without checking the signature: `typ`, `alg`
 * (ES256K or ES256), `iss`, `sub`, `iat`, `exp`, `aud` and `cnf.jkt` where required, `jti`
 * where single-use, and `iss == sub` for a client attestation.
 * @throws {SpaceTokenError} with the code of the first problem found
 */
export function parseSpaceToken(
  type: SpaceTokenType,
  jwt: string,
): SpaceToken & { signingInput: Uint8Array; signature: Uint8Array } {
  const spec = SPACE_TOKEN_TYPES[type]
  if (!spec) throw new TypeError(`unknown space token type; type=${String(type)}`)
  const decoded = decodeJwt(jwt)
  const h = decoded.header
  const p = decoded.payload
  if (h.typ !== spec.typ) {
    throw new SpaceTokenError('BadJwtType', `wrong token type; expected=${spec.typ} typ=${String(h.typ)}`)
  }
  if (h.alg !== 'ES256K' && h.alg !== 'ES256') {
    throw new SpaceTokenError('BadJwtAlg', `unsupported token alg; alg=${String(h.alg)}`)
  }
  if (h.kid !== undefined && typeof h.kid !== 'string')
    throw new SpaceTokenError('BadJwt', 'token "kid" must be a string')
  if (!isNonEmptyString(p.iss)) throw new SpaceTokenError('BadJwtIss', 'missing token "iss"')
  if (!isNonEmptyString(p.sub)) throw new SpaceTokenError('BadJwtSub', 'missing token "sub"')
  if (!isTime(p.exp)) throw new SpaceTokenError('BadJwt', 'missing or invalid token "exp"')
  if (!isTime(p.iat)) throw new SpaceTokenError('BadJwt', 'missing or invalid token "iat"')
  if (p.aud !== undefined && typeof p.aud !== 'string')
    throw new SpaceTokenError('BadJwtAudience', 'token "aud" must be a string')
  if (spec.requireAud && !isNonEmptyString(p.aud))
    throw new SpaceTokenError('BadJwtAudience', 'missing token "aud"')
  let cnf: { jkt: string } | undefined
  if (p.cnf !== undefined) {
    const jkt = p.cnf !== null && typeof p.cnf === 'object' ? (p.cnf as { jkt?: unknown }).jkt : undefined
    if (!isNonEmptyString(jkt)) throw new SpaceTokenError('BadJwtCnf', 'token "cnf" must carry a "jkt"')
    cnf = { jkt }
  }
  if (spec.requireCnf && !cnf) throw new SpaceTokenError('BadJwtCnf', 'missing token "cnf.jkt"')
  if (p.jti !== undefined && typeof p.jti !== 'string')
    throw new SpaceTokenError('BadJwt', 'token "jti" must be a string')
  if (spec.singleUse && !isNonEmptyString(p.jti)) {
    throw new SpaceTokenError('BadJwt', `a ${type} token requires a "jti"`)
  }
  if (type === 'clientAttestation' && p.iss !== p.sub) {
    throw new SpaceTokenError('BadJwtIss', 'client attestation "iss" and "sub" must both be the client_id')
  }
  const header: SpaceTokenHeader = {
    alg: h.alg,
    typ: h.typ,
    ...(typeof h.kid === 'string' ? { kid: h.kid } : {}),
  }
  const payload: SpaceTokenPayload = {
    iss: p.iss,
    sub: p.sub,
    ...(typeof p.aud === 'string' ? { aud: p.aud } : {}),
    iat: p.iat,
    exp: p.exp,
    jti: typeof p.jti === 'string' ? p.jti : '',
    ...(cnf ? { cnf } : {}),
  }
  return { header, payload, signingInput: decoded.signingInput, signature: decoded.signature }
}

/** Options for {@link verifySpaceToken}. */
export interface VerifySpaceTokenOptions {
  /**
   * Resolves the issuer's signing key as a did:key. Called again with `forceRefresh: true`
   * when the signature fails, since the key may have rotated since it was cached.
   */
  getSigningKey: (iss: string, kid: string | undefined, forceRefresh: boolean) => string | Promise<string>
  /** Required audience (this service). */
  aud?: string
  /** Required subject (the space URI). */
  sub?: string
  /** Required issuer. */
  iss?: string
  /** Consumes the `jti` of single-use tokens; a reused one is refused. */
  jtiStore?: JtiStore
  /** Current time in seconds (default now). */
  nowSec?: number
}

/**
 * Verifies a space token: structure ({@link parseSpaceToken}), expiry and issue time with a
 * 5 s clock skew, audience, subject, issuer, `alg` against the key type, the signature (retrying
 * once with a freshly resolved key), and, for single-use classes, the `jti` against a store.
 * @throws {SpaceTokenError}
 * @example
 * ```ts
 * const { payload } = await verifySpaceToken('credential', jwt, { getSigningKey, sub: space })
 * payload.cnf?.jkt // the DPoP key thumbprint the holder must prove
 * ```
 */
export async function verifySpaceToken(
  type: SpaceTokenType,
  jwt: string,
  opts: VerifySpaceTokenOptions,
): Promise<SpaceToken> {
  const spec = SPACE_TOKEN_TYPES[type]
  const { header, payload, signingInput, signature } = parseSpaceToken(type, jwt)
  const now = opts.nowSec ?? nowSec()
  if (now - CLOCK_SKEW_SEC >= payload.exp) {
    throw new SpaceTokenError('JwtExpired', `token expired; exp=${payload.exp} now=${now}`)
  }
  if (payload.iat > now + CLOCK_SKEW_SEC) {
    throw new SpaceTokenError('JwtNotYetValid', `token issued in the future; iat=${payload.iat} now=${now}`)
  }
  if (opts.aud !== undefined && payload.aud !== opts.aud) {
    throw new SpaceTokenError(
      'BadJwtAudience',
      `token audience does not match this service; aud=${String(payload.aud)}`,
    )
  }
  if (opts.sub !== undefined && payload.sub !== opts.sub) {
    throw new SpaceTokenError(
      'BadJwtSub',
      `token subject does not match the requested space; sub=${payload.sub}`,
    )
  }
  if (opts.iss !== undefined && payload.iss !== opts.iss) {
    throw new SpaceTokenError('BadJwtIss', `token issuer is not the expected one; iss=${payload.iss}`)
  }
  const decoded = { header, signingInput, signature }
  // A mismatched alg on the first key may just mean the cached key is stale (rotated to the
  // other curve), so it gets the same one retry as a bad signature.
  const attempt = (didKey: string): true | SpaceTokenError => {
    try {
      return (
        verifyJwtSignature(decoded, didKey) ||
        new SpaceTokenError('BadJwtSignature', 'invalid token signature')
      )
    } catch (err) {
      if (err instanceof SpaceTokenError) return err
      throw err
    }
  }
  const key = await opts.getSigningKey(payload.iss, header.kid, false)
  const first = attempt(key)
  if (first !== true) {
    const fresh = await opts.getSigningKey(payload.iss, header.kid, true)
    if (fresh === key) throw first
    const second = attempt(fresh)
    if (second !== true) throw second
  }
  if (spec.singleUse && opts.jtiStore) {
    // Kept until exp plus the skew, the last moment the token could still be accepted.
    if (!(await opts.jtiStore.consume(payload.jti, payload.exp + CLOCK_SKEW_SEC))) {
      throw new SpaceTokenError('JwtReplayed', `token "jti" was already used; jti=${payload.jti}`)
    }
  }
  return { header, payload }
}

/**
 * Verifies a delegation token at a space authority: addressed to `{authorityDid}#atproto_space_host`,
 * subject `space`. Returns the user DID (`iss`).
 * @throws {SpaceTokenError}
 */
export async function verifyDelegationToken(opts: {
  jwt: string
  space: string
  authorityDid: string
  getSigningKey: VerifySpaceTokenOptions['getSigningKey']
  jtiStore?: JtiStore
  nowSec?: number
}): Promise<string> {
  const { payload } = await verifySpaceToken('delegation', opts.jwt, {
    getSigningKey: opts.getSigningKey,
    aud: spaceHostAud(opts.authorityDid),
    sub: opts.space,
    ...(opts.jtiStore ? { jtiStore: opts.jtiStore } : {}),
    ...(opts.nowSec !== undefined ? { nowSec: opts.nowSec } : {}),
  })
  return payload.iss
}

/**
 * Verifies a space credential at a repo host: issued by `authorityDid` for `space` and bound
 * to a DPoP key. Returns that key's thumbprint (`cnf.jkt`), which the request's DPoP proof must match.
 * @throws {SpaceTokenError}
 */
export async function verifySpaceCredential(opts: {
  jwt: string
  space: string
  authorityDid: string
  getSigningKey: VerifySpaceTokenOptions['getSigningKey']
  nowSec?: number
}): Promise<string> {
  const { payload } = await verifySpaceToken('credential', opts.jwt, {
    getSigningKey: opts.getSigningKey,
    sub: opts.space,
    iss: opts.authorityDid,
    ...(opts.nowSec !== undefined ? { nowSec: opts.nowSec } : {}),
  })
  // parseSpaceToken already refused a credential without cnf.jkt.
  return payload.cnf!.jkt
}
