// XRPC error names and the HTTP status each one travels with (the names the reference servers use).

/** Error name -> HTTP status for the XRPC error names every implementation shares. */
export const XRPC_STATUS: Readonly<Record<string, number>> = Object.freeze({
  InvalidRequest: 400,
  AuthenticationRequired: 401,
  Forbidden: 403,
  XRPCNotSupported: 404,
  NotAcceptable: 406,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  RateLimitExceeded: 429,
  InternalServerError: 500,
  MethodNotImplemented: 501,
  UpstreamFailure: 502,
  NotEnoughResources: 503,
  UpstreamTimeout: 504,
})

/** The default message of each status, used when a server sends an error without one. */
export const XRPC_STATUS_TEXT: Readonly<Record<number, string>> = Object.freeze({
  400: 'Invalid Request',
  401: 'Authentication Required',
  403: 'Forbidden',
  404: 'XRPC Not Supported',
  406: 'Not Acceptable',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Rate Limit Exceeded',
  500: 'Internal Server Error',
  501: 'Method Not Implemented',
  502: 'Upstream Failure',
  503: 'Not Enough Resources',
  504: 'Upstream Timeout',
})

/** The generic error name for an HTTP status (`InvalidRequest` for an unlisted 4xx, and so on). */
export function errorNameForStatus(status: number): string {
  for (const [name, s] of Object.entries(XRPC_STATUS)) if (s === status) return name
  if (status >= 400 && status < 500) return 'InvalidRequest'
  if (status >= 500 && status < 600) return 'InternalServerError'
  return 'Unknown'
}
