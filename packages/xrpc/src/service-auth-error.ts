import { XrpcError } from './errors.ts'

/** Why a service-auth token was refused. */
export type ServiceAuthErrorCode =
  | 'MISSING_JWT'
  | 'BAD_JWT'
  | 'BAD_JWT_TYPE'
  | 'BAD_JWT_ALG'
  | 'BAD_JWT_KID'
  | 'BAD_JWT_ISS'
  | 'BAD_JWT_AUDIENCE'
  | 'BAD_JWT_LXM'
  | 'JWT_EXPIRED'
  | 'JWT_NOT_YET_VALID'
  | 'JWT_LIFETIME_TOO_LONG'
  | 'JWT_REPLAYED'
  | 'BAD_JWT_SIGNATURE'
  | 'ISSUER_UNRESOLVABLE'

// XRPC error names on the wire: the ones the reference verifier uses where it has one, so
// clients see the same names from either implementation.
const WIRE_NAME: Record<ServiceAuthErrorCode, string> = {
  MISSING_JWT: 'AuthenticationRequired',
  BAD_JWT: 'BadJwt',
  BAD_JWT_TYPE: 'BadJwtType',
  BAD_JWT_ALG: 'BadJwt',
  BAD_JWT_KID: 'BadJwt',
  BAD_JWT_ISS: 'BadJwtIss',
  BAD_JWT_AUDIENCE: 'BadJwtAudience',
  BAD_JWT_LXM: 'BadJwtLexiconMethod',
  JWT_EXPIRED: 'JwtExpired',
  JWT_NOT_YET_VALID: 'BadJwt',
  JWT_LIFETIME_TOO_LONG: 'BadJwt',
  JWT_REPLAYED: 'JwtReplayed',
  BAD_JWT_SIGNATURE: 'BadJwtSignature',
  ISSUER_UNRESOLVABLE: 'BadJwtIss',
}

/**
 * A refused service-auth token: HTTP 401 with the XRPC error name of the reason
 * (`BadJwt`, `JwtExpired`, `BadJwtAudience`, `BadJwtLexiconMethod`, `BadJwtSignature`...).
 */
export class ServiceAuthError extends XrpcError {
  override name = 'ServiceAuthError'
  /** Why the token was refused (finer than the wire name). */
  readonly reason: ServiceAuthErrorCode
  constructor(reason: ServiceAuthErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(WIRE_NAME[reason], `${message}; code=${reason}`, {
      status: 401,
      code: 'XRPC_AUTH',
      cause: opts.cause,
    })
    this.reason = reason
  }
}
