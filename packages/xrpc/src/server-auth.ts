// The auth hook that puts service auth in front of server routes.
import { XrpcError } from './errors.ts'
import type { ServiceAuthVerifier, ServiceJwtPayload } from './service-auth.ts'
import { ServiceAuthError } from './service-auth-error.ts'
import type { AuthHook } from './types.ts'

/**
 * An auth hook requiring a service-auth JWT (`Authorization: Bearer`) whose `lxm` is the called
 * NSID; handlers receive its claims (`ctx.auth.iss` is the calling account).
 * @example server.add(nsid, { auth: serviceAuthHook(verifier), handler: ({ auth }) => ... })
 */
export function serviceAuthHook(
  verifier: ServiceAuthVerifier,
  opts: { optional?: boolean } = {},
): AuthHook<ServiceJwtPayload | undefined> {
  return async ({ nsid, request }) => {
    const header = request.header('authorization')
    if (header === undefined || header === '') {
      if (opts.optional) return undefined
      throw new ServiceAuthError('MISSING_JWT', 'Authentication Required')
    }
    if (!/^bearer /i.test(header))
      throw new XrpcError('AuthenticationRequired', 'expected a Bearer token', {
        status: 401,
        code: 'XRPC_AUTH',
      })
    return verifier.verify(header.slice(7).trim(), { lxm: nsid, signal: request.signal })
  }
}
