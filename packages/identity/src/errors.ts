// Every failure the package reports is one of these named classes: callers branch on `code` (or
// `instanceof`), never on message text.

/** One problem found in a DID document: where it is (`path`) and what rule it broke. */
export interface DocumentIssue {
  readonly code: string
  readonly path: string
  readonly message: string
}

/** Base class of every identity error; `code` is stable across releases. */
export class IdentityError extends Error {
  override name = 'IdentityError'
  readonly code: string = 'IDENTITY_ERROR'
}

/** The DID is not syntactically a DID (or is a did:web we refuse, e.g. with a path or a banned TLD). */
export class PoorlyFormattedDidError extends IdentityError {
  override name = 'PoorlyFormattedDidError'
  override readonly code: string = 'DID_POORLY_FORMATTED'
  readonly did: string
  readonly reason: string
  constructor(did: string, reason: string) {
    super(`poorly formatted DID; reason=${reason} did=${clip(did)}`)
    this.did = did
    this.reason = reason
  }
}

/** The DID method is neither `plc` nor `web`. */
export class UnsupportedDidMethodError extends IdentityError {
  override name = 'UnsupportedDidMethodError'
  override readonly code: string = 'DID_METHOD_UNSUPPORTED'
  readonly did: string
  readonly method: string
  constructor(did: string, method: string) {
    super(`unsupported DID method; method=${clip(method)} did=${clip(did)}`)
    this.did = did
    this.method = method
  }
}

/** The DID method's server says the DID does not exist (HTTP 404) or is gone (HTTP 410). */
export class DidNotFoundError extends IdentityError {
  override name = 'DidNotFoundError'
  override readonly code: string = 'DID_NOT_FOUND'
  readonly did: string
  readonly status: number | undefined
  constructor(did: string, status?: number) {
    super(`DID not found; did=${clip(did)}${status === undefined ? '' : ` status=${status}`}`)
    this.did = did
    this.status = status
  }
}

/** The fetched body is not a valid DID document (bad JSON, wrong shape); `issues` says where. */
export class DidDocumentInvalidError extends IdentityError {
  override name = 'DidDocumentInvalidError'
  override readonly code: string = 'DID_DOCUMENT_INVALID'
  readonly did: string | undefined
  readonly issues: readonly DocumentIssue[]
  constructor(did: string | undefined, issues: readonly DocumentIssue[]) {
    const first = issues[0]
    super(
      `invalid DID document; did=${clip(did ?? '')} path=${first?.path ?? ''} issue=${first?.message ?? 'unknown'}`,
    )
    this.did = did
    this.issues = issues
  }
}

/** The document is well formed but its `id` is not the DID that was resolved. */
export class DidDocumentIdMismatchError extends IdentityError {
  override name = 'DidDocumentIdMismatchError'
  override readonly code: string = 'DID_DOCUMENT_ID_MISMATCH'
  readonly did: string
  readonly documentId: string
  constructor(did: string, documentId: string) {
    super(`DID document id does not match the DID; did=${clip(did)} id=${clip(documentId)}`)
    this.did = did
    this.documentId = documentId
  }
}

/** A response body (or its declared length) is larger than the configured cap. */
export class ResponseTooLargeError extends IdentityError {
  override name = 'ResponseTooLargeError'
  override readonly code: string = 'RESPONSE_TOO_LARGE'
  readonly url: string
  readonly limit: number
  constructor(url: string, limit: number) {
    super(`response body exceeds the size limit; limit=${limit} url=${clip(url)}`)
    this.url = url
    this.limit = limit
  }
}

/** A network call (HTTP request or DNS query) did not finish within the configured timeout. */
export class ResolutionTimeoutError extends IdentityError {
  override name = 'ResolutionTimeoutError'
  override readonly code: string = 'RESOLUTION_TIMEOUT'
  readonly target: string
  readonly timeoutMs: number
  constructor(target: string, timeoutMs: number) {
    super(`identity lookup timed out; timeoutMs=${timeoutMs} target=${clip(target)}`)
    this.target = target
    this.timeoutMs = timeoutMs
  }
}

/** The server answered with an HTTP status that is neither success nor "not found". */
export class HttpStatusError extends IdentityError {
  override name = 'HttpStatusError'
  override readonly code: string = 'HTTP_STATUS'
  readonly url: string
  readonly status: number
  constructor(url: string, status: number) {
    super(`unexpected HTTP status; status=${status} url=${clip(url)}`)
    this.url = url
    this.status = status
  }
}

/** The connection failed (refused, reset, DNS failure of the host); `cause` holds the runtime error. */
export class NetworkError extends IdentityError {
  override name = 'NetworkError'
  override readonly code: string = 'NETWORK_ERROR'
  readonly target: string
  constructor(target: string, cause: unknown) {
    super(`network request failed; target=${clip(target)} cause=${describe(cause)}`, { cause })
    this.target = target
  }
}

/** A redirect was refused: to another host (not allowed by options), to a non-HTTP URL, or too many hops. */
export class RedirectRefusedError extends IdentityError {
  override name = 'RedirectRefusedError'
  override readonly code: string = 'REDIRECT_REFUSED'
  readonly url: string
  readonly location: string
  readonly reason: string
  constructor(url: string, location: string, reason: string) {
    super(`redirect refused; reason=${reason} url=${clip(url)} location=${clip(location)}`)
    this.url = url
    this.location = location
    this.reason = reason
  }
}

/** A DNS answer was unusable: malformed packet, server failure code, truncation. */
export class DnsError extends IdentityError {
  override name = 'DnsError'
  override readonly code: string = 'DNS_ERROR'
  readonly reason: string
  readonly server: string
  constructor(server: string, reason: string) {
    super(`DNS query failed; reason=${reason} server=${clip(server)}`)
    this.server = server
    this.reason = reason
  }
}

/** Base of the errors `getAtprotoData` raises when a document lacks an atproto part. */
export class AtprotoDataError extends IdentityError {
  override name = 'AtprotoDataError'
  override readonly code: string = 'ATPROTO_DATA'
  readonly did: string
  constructor(did: string, message: string) {
    super(`${message}; did=${clip(did)}`)
    this.did = did
  }
}

/** No syntactically valid `at://` handle in `alsoKnownAs`. */
export class MissingHandleError extends AtprotoDataError {
  override name = 'MissingHandleError'
  override readonly code: string = 'MISSING_HANDLE'
  constructor(did: string) {
    super(did, 'DID document has no valid at:// handle in alsoKnownAs')
  }
}

/** No usable `#atproto` verification method (wrong controller, unknown type, undecodable key). */
export class MissingSigningKeyError extends AtprotoDataError {
  override name = 'MissingSigningKeyError'
  override readonly code: string = 'MISSING_SIGNING_KEY'
  constructor(did: string) {
    super(did, 'DID document has no valid #atproto signing key')
  }
}

/** No `#atproto_pds` service of type `AtprotoPersonalDataServer` with an http(s) URL. */
export class MissingPdsEndpointError extends AtprotoDataError {
  override name = 'MissingPdsEndpointError'
  override readonly code: string = 'MISSING_PDS_ENDPOINT'
  constructor(did: string) {
    super(did, 'DID document has no valid #atproto_pds service endpoint')
  }
}

/** A handle resolved to a DID whose document does not claim that handle (or claims another). */
export class HandleMismatchError extends IdentityError {
  override name = 'HandleMismatchError'
  override readonly code: string = 'HANDLE_MISMATCH'
  readonly handle: string
  readonly did: string
  readonly documentHandle: string | undefined
  constructor(handle: string, did: string, documentHandle: string | undefined) {
    super(
      `DID document does not claim the handle; handle=${clip(handle)} did=${clip(did)} claimed=${clip(documentHandle ?? '')}`,
    )
    this.handle = handle
    this.did = did
    this.documentHandle = documentHandle
  }
}

/** Neither DNS nor HTTPS produced a DID for the handle. */
export class HandleNotFoundError extends IdentityError {
  override name = 'HandleNotFoundError'
  override readonly code: string = 'HANDLE_NOT_FOUND'
  readonly handle: string
  /** True when a lookup failed (timeout, server down) rather than answered "no DID". */
  readonly transient: boolean
  constructor(handle: string, transient = false) {
    super(`handle did not resolve to a DID; handle=${clip(handle)} transient=${transient}`)
    this.handle = handle
    this.transient = transient
  }
}

/** Several TXT records name different DIDs; the spec says resolution must then fail. */
export class HandleDnsConflictError extends IdentityError {
  override name = 'HandleDnsConflictError'
  override readonly code: string = 'HANDLE_DNS_CONFLICT'
  readonly handle: string
  readonly dids: readonly string[]
  constructor(handle: string, dids: readonly string[]) {
    super(`conflicting DIDs in _atproto TXT records; handle=${handle} count=${dids.length}`)
    this.handle = handle
    this.dids = dids
  }
}

// Messages echo untrusted input; keep them short so a 10 MB DID cannot make a 10 MB message.
function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause
    const code = inner && typeof inner === 'object' ? (inner as { code?: unknown }).code : undefined
    return typeof code === 'string' ? code : clip(cause.message)
  }
  return clip(String(cause))
}
