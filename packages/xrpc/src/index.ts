// @rsky/xrpc: XRPC client and server with service auth (JWT mint and verify), for fetch-style
// hosts (browsers, Bun, Deno, workers, Node). node:http and WebSocket hosting: `@rsky/xrpc/node`.
export { base64UrlDecode, base64UrlEncode } from './base64url.ts'
export {
  type CallOptions,
  type CallResult,
  type ClientAuth,
  errorFromResponse,
  queryString,
  XrpcClient,
  type XrpcClientOptions,
} from './client.ts'
export {
  bearerAuth,
  PasswordSession,
  type PasswordSessionOptions,
  type SessionData,
  serviceJwtAuth,
} from './client-auth.ts'
export { type CorsOptions, type CorsPolicy, corsPolicy } from './cors.ts'
export { encodingAccepts, isJsonMime, mimeOf } from './encoding.ts'
export {
  authRequired,
  invalidRequest,
  XrpcError,
  type XrpcErrorCode,
  type XrpcErrorOptions,
  xrpcErrorForStatus,
} from './errors.ts'
export { fromFetchRequest, toFetchHandler, toFetchResponse } from './fetch.ts'
export { DEFAULT_MAX_JWT_LENGTH, type ParsedJwt, parseJwt } from './jwt.ts'
export { MemoryReplayCache, type MemoryReplayCacheOptions, type ReplayCache } from './replay-cache.ts'
export { isRetryableStatus, type RetryOptions, retryDelayMs } from './retry.ts'
export {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_JSON_DEPTH,
  type RouteOptions,
  type SubscriptionOptions,
  type SubscriptionRoute,
  XrpcServer,
  type XrpcServerOptions,
} from './server.ts'
export { serviceAuthHook } from './server-auth.ts'
export {
  type CreateServiceJwtOptions,
  createServiceJwt,
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_MAX_LIFETIME_SECONDS,
  DEFAULT_SERVICE_JWT_TTL_SECONDS,
  ServiceAuthVerifier,
  type ServiceAuthVerifierOptions,
  type ServiceJwtPayload,
  type SigningKeySource,
  type VerifyServiceJwtOptions,
} from './service-auth.ts'
export { ServiceAuthError, type ServiceAuthErrorCode } from './service-auth-error.ts'
export { errorNameForStatus, XRPC_STATUS, XRPC_STATUS_TEXT } from './status.ts'
export type {
  AuthHook,
  BinaryInput,
  Handler,
  HandlerContext,
  HandlerOutput,
  SubscriptionHandler,
  SubscriptionMessage,
  XrpcRequest,
  XrpcResponse,
} from './types.ts'
