// Service auth (inter-service JWTs): minting for outgoing calls and verifying incoming ones.
import { type Keypair, randomStr, verifySignature } from '@rsky/crypto'
import { isValidDid, isValidNsid } from '@rsky/syntax'
import { base64UrlEncode, base64UrlEncodeText, utf8 } from './base64url.ts'
import { DEFAULT_MAX_JWT_LENGTH, parseJwt } from './jwt.ts'
import { MemoryReplayCache, type ReplayCache } from './replay-cache.ts'
import { ServiceAuthError } from './service-auth-error.ts'

/** Default lifetime of a minted token: 60 seconds, as the spec suggests. */
export const DEFAULT_SERVICE_JWT_TTL_SECONDS = 60
/** Default tolerance for clocks that disagree, applied to `exp` and `iat`. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 30
/** Default longest lifetime (`exp` from now) a verifier accepts: one hour, the PDS's own cap. */
export const DEFAULT_MAX_LIFETIME_SECONDS = 3600

/** `typ` values that belong to other token kinds and are never service tokens. */
const FOREIGN_TYPES = new Set(['at+jwt', 'refresh+jwt', 'dpop+jwt'])

/** Options of {@link createServiceJwt}. */
export interface CreateServiceJwtOptions {
  /** The account DID the call is made for. */
  iss: string
  /** The receiving service: DID with its `#service` fragment (a bare DID is legacy). */
  aud: string
  /** The NSID the token authorises. */
  lxm?: string
  /** The account's signing key. */
  keypair: Keypair
  /** Seconds until expiry; default 60. Ignored when `exp` is given. */
  ttlSeconds?: number
  /** Issue time (UNIX seconds); default now. */
  iat?: number
  /** Expiry (UNIX seconds); default `iat + ttlSeconds`. */
  exp?: number
  /** Nonce; default 16 random bytes as hex. */
  jti?: string
  /** Key id header (`#atproto`); omitted by default, which means `#atproto`. */
  kid?: string
}

/** Claims of a verified service token. */
export interface ServiceJwtPayload {
  iss: string
  aud: string
  exp: number
  iat?: number
  lxm?: string
  jti?: string
}

/**
 * Mints a service-auth JWT signed by `keypair` (ES256K or ES256 by the key's curve).
 * @throws {TypeError} when `iss` or `aud` is not a DID (with optional fragment) or `lxm` not an NSID.
 * @example
 * const jwt = await createServiceJwt({ iss: did, aud: 'did:web:feed.example#bsky_fg', lxm: 'app.bsky.feed.getFeedSkeleton', keypair })
 * fetch(url, { headers: { authorization: `Bearer ${jwt}` } })
 */
export async function createServiceJwt(opts: CreateServiceJwtOptions): Promise<string> {
  if (typeof opts.iss !== 'string' || !isValidDid(opts.iss))
    throw new TypeError(`iss must be a DID; iss=${opts.iss}`)
  if (typeof opts.aud !== 'string' || !isDidWithFragment(opts.aud)) {
    throw new TypeError(`aud must be a DID with an optional #fragment; aud=${opts.aud}`)
  }
  if (opts.lxm !== undefined && !isValidNsid(opts.lxm))
    throw new TypeError(`lxm must be an NSID; lxm=${opts.lxm}`)
  const iat = opts.iat ?? Math.floor(Date.now() / 1000)
  const exp = opts.exp ?? iat + (opts.ttlSeconds ?? DEFAULT_SERVICE_JWT_TTL_SECONDS)
  const header: Record<string, string> = { typ: 'JWT', alg: opts.keypair.jwtAlg }
  if (opts.kid !== undefined) header.kid = opts.kid
  const payload: Record<string, string | number> = { iat, iss: opts.iss, aud: opts.aud, exp }
  if (opts.lxm !== undefined) payload.lxm = opts.lxm
  payload.jti = opts.jti ?? randomStr(16, 'hex')
  const signed = `${base64UrlEncodeText(JSON.stringify(header))}.${base64UrlEncodeText(JSON.stringify(payload))}`
  const sig = await opts.keypair.sign(utf8(signed))
  return `${signed}.${base64UrlEncode(sig)}`
}

/** Where a verifier finds an issuer's signing key: `IdResolver`, `DidResolver`, or your own. */
export interface SigningKeySource {
  /** The DID's `#atproto` key as a did:key; `forceRefresh` skips any cache. */
  resolveAtprotoKey(did: string, opts?: { forceRefresh?: boolean; signal?: AbortSignal }): Promise<string>
}

/** Options of {@link ServiceAuthVerifier}. */
export interface ServiceAuthVerifierOptions {
  /**
   * This service's identities, each a DID with its `#service` fragment
   * (`did:web:feed.example#bsky_fg`). A token's `aud` must equal one of them.
   */
  audience: string | readonly string[]
  /** Also accept a bare DID `aud` equal to an audience's DID (legacy senders). Default false. */
  allowBareDidAudience?: boolean
  /** Issuer keys, usually an `IdResolver` from `@rsky/identity`. */
  keys: SigningKeySource
  /** Tolerance for clock disagreement in seconds; default 30. */
  clockSkewSeconds?: number
  /** Refuse tokens expiring further than this from now; default 3600 s. */
  maxLifetimeSeconds?: number
  /**
   * Remembers `jti`s until their tokens expire and refuses a second use. Default: none (tokens
   * may be replayed until expiry, as with the reference verifier); pass `true` for a
   * {@link MemoryReplayCache}. With a cache, a token without `jti` is refused.
   */
  replayCache?: ReplayCache | boolean
  /** Accept high-S / DER signatures. atproto requires low-S; default false. */
  allowMalleableSig?: boolean
  /** Key ids accepted in the `kid` header; default `['#atproto']` (a missing kid means `#atproto`). */
  acceptedKeyIds?: readonly string[]
  /** Longest token accepted; default 8192 characters. */
  maxJwtLength?: number
  /** Clock in milliseconds (tests). */
  now?: () => number
}

/** Per-call options of {@link ServiceAuthVerifier.verify}. */
export interface VerifyServiceJwtOptions {
  /** The NSID being called: the token's `lxm` must equal it. `null` skips the check. */
  lxm: string | null
  signal?: AbortSignal
}

/**
 * Verifies incoming service-auth JWTs: structure, `typ`/`alg`/`kid`, `aud`, `lxm`, expiry with
 * bounded skew, the signature by the issuer's `#atproto` key (fetched again once if a cached key
 * fails), and optionally a `jti` replay cache.
 * @example
 * const verifier = new ServiceAuthVerifier({ audience: 'did:web:feed.example#bsky_fg', keys: new IdResolver() })
 * const { iss } = await verifier.verify(token, { lxm: 'app.bsky.feed.getFeedSkeleton' })
 */
export class ServiceAuthVerifier {
  readonly #audience: ReadonlySet<string>
  readonly #bareDids: ReadonlySet<string>
  readonly #keys: SigningKeySource
  readonly #skew: number
  readonly #maxLifetime: number
  readonly #replay: ReplayCache | undefined
  readonly #malleable: boolean
  readonly #kids: ReadonlySet<string>
  readonly #maxLength: number
  readonly #now: () => number

  /** @throws {TypeError} when an audience is not a DID with an optional fragment or `keys` is missing. */
  constructor(opts: ServiceAuthVerifierOptions) {
    const audience = typeof opts.audience === 'string' ? [opts.audience] : [...opts.audience]
    if (audience.length === 0) throw new TypeError('audience must name at least one DID')
    for (const a of audience) {
      if (typeof a !== 'string' || !isDidWithFragment(a))
        throw new TypeError(`audience must be a DID; audience=${a}`)
    }
    if (typeof opts.keys?.resolveAtprotoKey !== 'function')
      throw new TypeError('keys must have resolveAtprotoKey')
    this.#audience = new Set(audience)
    this.#bareDids = new Set(opts.allowBareDidAudience ? audience.map((a) => a.split('#')[0] as string) : [])
    this.#keys = opts.keys
    this.#skew = nonNegative(opts.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS, 'clockSkewSeconds')
    this.#maxLifetime = nonNegative(
      opts.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS,
      'maxLifetimeSeconds',
    )
    this.#replay =
      opts.replayCache === true ? new MemoryReplayCache() : opts.replayCache ? opts.replayCache : undefined
    this.#malleable = opts.allowMalleableSig === true
    this.#kids = new Set(opts.acceptedKeyIds ?? ['#atproto'])
    this.#maxLength = opts.maxJwtLength ?? DEFAULT_MAX_JWT_LENGTH
    this.#now = opts.now ?? Date.now
  }

  /**
   * Checks `token` (without the `Bearer ` prefix) for a call to `opts.lxm`.
   * @returns the token's claims.
   * @throws {ServiceAuthError} (HTTP 401) naming the first check that failed.
   */
  async verify(token: string, opts: VerifyServiceJwtOptions): Promise<ServiceJwtPayload> {
    const jwt = parseJwt(token, { maxLength: this.#maxLength })
    const { header, payload } = jwt
    const typ = header.typ
    if (typ !== undefined && (typeof typ !== 'string' || FOREIGN_TYPES.has(typ.toLowerCase()))) {
      throw new ServiceAuthError('BAD_JWT_TYPE', `jwt typ is not a service token; typ=${String(typ)}`)
    }
    const alg = header.alg
    if (alg !== 'ES256K' && alg !== 'ES256') {
      throw new ServiceAuthError('BAD_JWT_ALG', `jwt alg must be ES256K or ES256; alg=${String(alg)}`)
    }
    const kid = header.kid
    if (kid !== undefined && (typeof kid !== 'string' || !this.#kids.has(kid))) {
      throw new ServiceAuthError('BAD_JWT_KID', `jwt kid is not an accepted key id; kid=${String(kid)}`)
    }
    const claims = readClaims(payload)
    const now = this.#now() / 1000
    if (now > claims.exp + this.#skew)
      throw new ServiceAuthError('JWT_EXPIRED', `jwt expired; exp=${claims.exp}`)
    if (claims.exp > now + this.#maxLifetime + this.#skew) {
      throw new ServiceAuthError('JWT_LIFETIME_TOO_LONG', `jwt expires too far ahead; exp=${claims.exp}`)
    }
    if (claims.iat !== undefined && claims.iat > now + this.#skew) {
      throw new ServiceAuthError('JWT_NOT_YET_VALID', `jwt issued in the future; iat=${claims.iat}`)
    }
    if (!this.#audience.has(claims.aud) && !this.#bareDids.has(claims.aud)) {
      throw new ServiceAuthError(
        'BAD_JWT_AUDIENCE',
        `jwt audience does not match this service; aud=${claims.aud}`,
      )
    }
    if (opts.lxm !== null && claims.lxm !== opts.lxm) {
      throw new ServiceAuthError(
        'BAD_JWT_LXM',
        claims.lxm === undefined
          ? `missing jwt lexicon method (lxm); expected=${opts.lxm}`
          : `bad jwt lexicon method (lxm); lxm=${claims.lxm} expected=${opts.lxm}`,
      )
    }
    if (!isValidDid(claims.iss))
      throw new ServiceAuthError('BAD_JWT_ISS', `jwt iss is not a DID; iss=${claims.iss}`)
    await this.#checkSignature(claims.iss, alg, jwt.signedText, jwt.signature, opts.signal)
    if (this.#replay !== undefined) {
      if (claims.jti === undefined)
        throw new ServiceAuthError('BAD_JWT', 'jwt has no jti and replays are checked')
      const fresh = await this.#replay.claim(`${claims.iss} ${claims.jti}`, (claims.exp + this.#skew) * 1000)
      if (!fresh) throw new ServiceAuthError('JWT_REPLAYED', `jwt already used; jti=${claims.jti}`)
    }
    return claims
  }

  async #checkSignature(iss: string, alg: string, signedText: string, sig: Uint8Array, signal?: AbortSignal) {
    const data = utf8(signedText)
    const check = (key: string): boolean => {
      try {
        return verifySignature(key, data, sig, { jwtAlg: alg, allowMalleableSig: this.#malleable })
      } catch {
        // A key of the other curve (JwtAlgMismatchError) or a malformed one: not a match.
        return false
      }
    }
    const key = await this.#resolve(iss, false, signal)
    if (check(key)) return
    // The account may have rotated its key since the cached document: look once more, fresh.
    const fresh = await this.#resolve(iss, true, signal)
    if (fresh !== key && check(fresh)) return
    throw new ServiceAuthError(
      'BAD_JWT_SIGNATURE',
      `jwt signature does not match the issuer's key; iss=${iss}`,
    )
  }

  async #resolve(iss: string, forceRefresh: boolean, signal?: AbortSignal): Promise<string> {
    try {
      return await this.#keys.resolveAtprotoKey(iss, { forceRefresh, signal })
    } catch (cause) {
      throw new ServiceAuthError(
        'ISSUER_UNRESOLVABLE',
        `could not resolve the jwt issuer's key; iss=${iss}`,
        { cause },
      )
    }
  }
}

function readClaims(p: Readonly<Record<string, unknown>>): ServiceJwtPayload {
  const { iss, aud, exp, iat, lxm, jti } = p
  if (typeof iss !== 'string') throw new ServiceAuthError('BAD_JWT', 'jwt iss missing or not a string')
  if (typeof aud !== 'string') throw new ServiceAuthError('BAD_JWT', 'jwt aud missing or not a string')
  if (typeof exp !== 'number' || !Number.isFinite(exp))
    throw new ServiceAuthError('BAD_JWT', 'jwt exp missing or not a number')
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) {
    throw new ServiceAuthError('BAD_JWT', 'jwt iat is not a number')
  }
  if (lxm !== undefined && typeof lxm !== 'string')
    throw new ServiceAuthError('BAD_JWT', 'jwt lxm is not a string')
  if (jti !== undefined && (typeof jti !== 'string' || jti.length === 0 || jti.length > 256)) {
    throw new ServiceAuthError('BAD_JWT', 'jwt jti is not a short string')
  }
  const out: ServiceJwtPayload = { iss, aud, exp }
  if (iat !== undefined) out.iat = iat as number
  if (lxm !== undefined) out.lxm = lxm as string
  if (jti !== undefined) out.jti = jti as string
  return out
}

function isDidWithFragment(s: string): boolean {
  const hash = s.indexOf('#')
  if (hash === -1) return isValidDid(s)
  const fragment = s.slice(hash + 1)
  return isValidDid(s.slice(0, hash)) && /^[A-Za-z0-9._~-]{1,128}$/.test(fragment)
}

function nonNegative(n: number, name: string): number {
  if (!Number.isFinite(n) || n < 0)
    throw new RangeError(`${name} must be a non-negative number; ${name}=${n}`)
  return n
}
