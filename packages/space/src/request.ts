import type { SpaceToken } from './credential.ts'
import { type VerifySpaceTokenOptions, verifySpaceToken } from './credential.ts'
import { type DpopProof, verifyDpopProof } from './dpop.ts'
import type { JtiStore } from './jwt.ts'

/** Inputs for {@link verifySpaceRequest}: what a repo host receives with a space read. */
export interface VerifySpaceRequestOptions {
  /** The space credential (the `Authorization: DPoP <credential>` value). */
  credential: string
  /** The DPoP proof (the `DPoP` header). */
  proof: string
  /** The request's method and full URL. */
  htm: string
  htu: string
  /** The space the request reads; the credential's `sub` must be it. */
  space: string
  /** The space authority; the credential's `iss` must be it. */
  authorityDid: string
  /** Resolves the authority's space signing key (see {@link VerifySpaceTokenOptions.getSigningKey}). */
  getSigningKey: VerifySpaceTokenOptions['getSigningKey']
  /** Refuses a replayed proof `jti` (RFC 9449 requires replay protection). */
  jtiStore?: JtiStore
  /** Current time in seconds (default now). */
  nowSec?: number
}

/**
 * Verifies a space read at a repo host: the credential (issuer, subject, expiry with skew,
 * alg, signature with key refresh, required `cnf.jkt`), then the DPoP proof bound to it (same
 * key thumbprint, `ath` of this credential, method, URL, freshness, `jti`).
 * @throws {SpaceTokenError} for the credential, {@link DpopProofError} for the proof
 * @example
 * ```ts
 * const { credential, proof } = await verifySpaceRequest({
 *   credential: authz.slice('DPoP '.length), proof: req.headers.dpop, htm: 'GET', htu: url,
 *   space, authorityDid, getSigningKey, jtiStore,
 * })
 * ```
 */
export async function verifySpaceRequest(
  opts: VerifySpaceRequestOptions,
): Promise<{ credential: SpaceToken; proof: DpopProof }> {
  const nowOpt = opts.nowSec !== undefined ? { nowSec: opts.nowSec } : {}
  const credential = await verifySpaceToken('credential', opts.credential, {
    getSigningKey: opts.getSigningKey,
    sub: opts.space,
    iss: opts.authorityDid,
    ...nowOpt,
  })
  const proof = await verifyDpopProof(opts.proof, {
    htm: opts.htm,
    htu: opts.htu,
    credential: opts.credential,
    // parseSpaceToken refused a credential without cnf.jkt.
    jkt: credential.payload.cnf!.jkt,
    ...(opts.jtiStore ? { jtiStore: opts.jtiStore } : {}),
    ...nowOpt,
  })
  return { credential, proof }
}
