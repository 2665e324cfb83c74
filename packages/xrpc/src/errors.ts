// One error class for both sides of XRPC: a server throws it to answer with `{ error, message }`
// and a status; a client raises it for every non-2xx answer and for transport failures.
import { errorNameForStatus, XRPC_STATUS, XRPC_STATUS_TEXT } from './status.ts'

/** Stable codes of {@link XrpcError}: where the failure came from. */
export type XrpcErrorCode =
  /** The remote service answered with an XRPC error (client side) or a handler threw one (server side). */
  | 'XRPC_RESPONSE'
  /** The request never got an answer (DNS, connection, timeout, abort). */
  | 'XRPC_TRANSPORT'
  /** The answer was not what the lexicon or the protocol promised. */
  | 'XRPC_INVALID_RESPONSE'
  /** Service auth refused the token. */
  | 'XRPC_AUTH'

/** Options of {@link XrpcError}. */
export interface XrpcErrorOptions {
  /** HTTP status; defaults to the status of a known error name, else 500. */
  status?: number
  code?: XrpcErrorCode
  /** Response headers (client side) or headers to send with the error (server side). */
  headers?: Readonly<Record<string, string>>
  /** The NSID of the call, when known. */
  nsid?: string
  cause?: unknown
}

/**
 * An XRPC error: the lexicon error name (`error`), the HTTP status and a human message.
 * @example
 * throw new XrpcError('UnknownFeed', 'no such feed', { status: 400 })
 * // server answers 400 {"error":"UnknownFeed","message":"no such feed"}
 */
export class XrpcError extends Error {
  override name = 'XrpcError'
  readonly code: XrpcErrorCode
  /** The XRPC error name (`InvalidRequest`, `ExpiredToken`, a lexicon-declared name...). */
  readonly error: string
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly nsid: string | undefined

  constructor(error: string, message?: string, opts: XrpcErrorOptions = {}) {
    const status = opts.status ?? XRPC_STATUS[error] ?? 500
    super(message || XRPC_STATUS_TEXT[status] || error, opts.cause === undefined ? {} : { cause: opts.cause })
    this.error = error
    this.status = status
    this.code = opts.code ?? 'XRPC_RESPONSE'
    this.headers = opts.headers ?? {}
    this.nsid = opts.nsid
  }

  /** The JSON body a server sends: `{ error, message }` (500s never leak their message). */
  toJSON(): { error: string; message: string } {
    if (this.status === 500 && this.error === 'InternalServerError') {
      return { error: this.error, message: XRPC_STATUS_TEXT[500] as string }
    }
    return { error: this.error, message: this.message }
  }

  /** True for statuses worth retrying: 429 and the 5xx family except 501. */
  get retryable(): boolean {
    return (
      this.status === 429 || (this.status >= 500 && this.status !== 501) || this.code === 'XRPC_TRANSPORT'
    )
  }
}

/** `XrpcError` for a status, with the generic name of that status. */
export function xrpcErrorForStatus(status: number, message?: string, opts: XrpcErrorOptions = {}): XrpcError {
  return new XrpcError(errorNameForStatus(status), message, { ...opts, status })
}

/** 400 `InvalidRequest` (or a custom name) — the usual answer to a bad request. */
export function invalidRequest(message: string, error = 'InvalidRequest'): XrpcError {
  return new XrpcError(error, message, { status: 400 })
}

/** 401 `AuthenticationRequired` (or a custom name such as `BadJwt`). */
export function authRequired(message: string, error = 'AuthenticationRequired'): XrpcError {
  return new XrpcError(error, message, { status: 401, code: 'XRPC_AUTH' })
}
