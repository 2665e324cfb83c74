import { type Keypair, randomBytes, sha256 } from '@rsky/crypto'
import { base64urlEncode, toHex, utf8 } from './bytes.ts'
import { CLOCK_SKEW_SEC } from './credential.ts'
import { DpopProofError } from './errors.ts'
import { type EcPublicJwk, jwkThumbprint, p256PublicJwk, parseP256Jwk, verifyEs256WithJwk } from './jwk.ts'
import { decodeJwt, encodeJwt, type JtiStore } from './jwt.ts'

/** `typ` of a DPoP proof (RFC 9449). */
export const DPOP_PROOF_TYP = 'dpop+jwt'
/** Oldest `iat` accepted, in seconds, before the clock skew allowance. */
export const MAX_PROOF_AGE_SEC = 60
/** The only algorithm accepted for DPoP proofs. */
export const DPOP_ALG = 'ES256'

/** What a verified proof says. */
export interface DpopProof {
  readonly jti: string
  /** Thumbprint of the key that signed the proof. */
  readonly jkt: string
  readonly htm: string
  readonly htu: string
  readonly iat: number
}

/**
 * `htu` without query and fragment (RFC 9449 §4.2), so one proof covers any query on a path.
 * @throws {DpopProofError} `BadDpopProof` when the URL does not parse
 */
export function normalizeHtu(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new DpopProofError('BadDpopProof', `htu is not a URL; htu=${url}`)
  }
  return parsed.origin + parsed.pathname
}

const credentialHash = (credential: string): string => base64urlEncode(sha256(utf8(credential)))

/**
 * The public JWK of a P-256 keypair.
 * @throws {DpopProofError} `BadDpopProof` when the keypair is not P-256
 */
export function dpopPublicJwk(keypair: Keypair): EcPublicJwk {
  if (keypair.jwtAlg !== DPOP_ALG) {
    throw new DpopProofError('BadDpopProof', `a DPoP key must be ${DPOP_ALG}; alg=${keypair.jwtAlg}`)
  }
  return p256PublicJwk(keypair.publicKeyBytes())
}

/** The RFC 7638 thumbprint of a DPoP keypair, the `cnf.jkt` a credential binds to. */
export function dpopJktForKey(keypair: Keypair): string {
  return jwkThumbprint(dpopPublicJwk(keypair))
}

/** Options for {@link createDpopProof}. */
export interface CreateDpopProofOptions {
  htm: string
  htu: string
  /** The credential being presented; sets `ath`. Omit when obtaining a credential. */
  credential?: string
  /** Issue time in seconds (default now). */
  iatSec?: number
}

/**
 * Creates a DPoP proof signed by a P-256 keypair, with its public JWK in the header and a fresh `jti`.
 * @throws {DpopProofError} `BadDpopProof` for a non-P-256 key or a bad `htu`
 * @example
 * ```ts
 * const proof = await createDpopProof(dpopKey, { htm: 'GET', htu: url, credential })
 * ```
 */
export async function createDpopProof(keypair: Keypair, opts: CreateDpopProofOptions): Promise<string> {
  const jwk = dpopPublicJwk(keypair)
  const payload = {
    jti: toHex(randomBytes(16)),
    htm: opts.htm,
    htu: normalizeHtu(opts.htu),
    ...(opts.credential !== undefined ? { ath: credentialHash(opts.credential) } : {}),
    iat: opts.iatSec ?? Math.floor(Date.now() / 1000),
  }
  return encodeJwt({ typ: DPOP_PROOF_TYP, alg: DPOP_ALG, jwk }, payload, (input) => keypair.sign(input))
}

/** Options for {@link verifyDpopProof}. */
export interface VerifyDpopProofOptions {
  /** The request's method. */
  htm: string
  /** The request's URL (query and fragment are ignored). */
  htu: string
  /** The credential presented with the proof; the proof's `ath` must hash it. Omit for a credential exchange. */
  credential?: string
  /** The thumbprint the credential is bound to (`cnf.jkt`). */
  jkt?: string
  /** Refuses a reused `jti`. */
  jtiStore?: JtiStore
  /** Current time in seconds (default now). */
  nowSec?: number
}

/**
 * Verifies a DPoP proof: `typ` dpop+jwt, `alg` ES256 only, the signature against the proof's own
 * public JWK, `iat` within 60 s (plus 5 s skew either way), `htm`/`htu`, `ath` against the
 * credential (or absent when none), the key thumbprint against `jkt`, and `jti` against a store.
 * @throws {DpopProofError}
 */
export async function verifyDpopProof(proof: string, opts: VerifyDpopProofOptions): Promise<DpopProof> {
  let decoded: ReturnType<typeof decodeJwt>
  try {
    decoded = decodeJwt(proof)
  } catch (err) {
    throw new DpopProofError('BadDpopProofSignature', `not a DPoP proof; ${(err as Error).message}`, {
      cause: err,
    })
  }
  const { header, payload } = decoded
  if (header.typ !== DPOP_PROOF_TYP) {
    throw new DpopProofError('BadDpopProofSignature', `wrong proof type; typ=${String(header.typ)}`)
  }
  if (header.alg !== DPOP_ALG) {
    throw new DpopProofError('BadDpopProofSignature', `unsupported proof alg; alg=${String(header.alg)}`)
  }
  const jwk = parseP256Jwk(header.jwk)
  if (!jwk.success) throw new DpopProofError('BadDpopProofSignature', `bad proof jwk; ${jwk.message}`)
  if (!verifyEs256WithJwk(jwk.value, decoded.signingInput, decoded.signature)) {
    throw new DpopProofError('BadDpopProofSignature', 'DPoP proof signature does not verify')
  }
  const now = opts.nowSec ?? Math.floor(Date.now() / 1000)
  const { iat, jti, htm, htu, ath } = payload
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat)) {
    throw new DpopProofError('BadDpopProof', 'missing or invalid DPoP proof "iat"')
  }
  if (iat > now + CLOCK_SKEW_SEC) {
    throw new DpopProofError(
      'BadDpopProofSignature',
      `DPoP proof issued in the future; iat=${iat} now=${now}`,
    )
  }
  if (now - iat > MAX_PROOF_AGE_SEC + CLOCK_SKEW_SEC) {
    throw new DpopProofError('DpopProofExpired', `DPoP proof is too old; iat=${iat} now=${now}`)
  }
  if (typeof jti !== 'string' || jti.length === 0)
    throw new DpopProofError('BadDpopProof', 'missing DPoP proof "jti"')
  if (htm !== opts.htm)
    throw new DpopProofError('BadDpopProof', 'DPoP proof "htm" does not match the request')
  if (typeof htu !== 'string' || htu !== normalizeHtu(opts.htu)) {
    throw new DpopProofError('BadDpopProof', 'DPoP proof "htu" does not match the request')
  }
  if (opts.credential !== undefined) {
    if (ath !== credentialHash(opts.credential)) {
      throw new DpopProofError('BadDpopProof', 'DPoP proof "ath" does not match the credential')
    }
  } else if (ath !== undefined) {
    throw new DpopProofError('BadDpopProof', 'DPoP proof "ath" must be omitted when obtaining a credential')
  }
  const jkt = jwkThumbprint(jwk.value)
  if (opts.jkt !== undefined && jkt !== opts.jkt) {
    throw new DpopProofError(
      'DpopKeyMismatch',
      'DPoP proof is not signed by the key the credential is bound to',
    )
  }
  if (opts.jtiStore && !(await opts.jtiStore.consume(jti, iat + MAX_PROOF_AGE_SEC + 2 * CLOCK_SKEW_SEC))) {
    throw new DpopProofError('DpopProofReplayed', `DPoP proof "jti" was already used; jti=${jti}`)
  }
  return { jti, jkt, htm, htu, iat }
}
