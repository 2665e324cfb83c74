// The request and response shapes shared by the server core and its host adapters (fetch, node:http).

/** A request as the server core sees it: hosts adapt their own request object to this. */
export interface XrpcRequest {
  /** Upper-case HTTP method. */
  readonly method: string
  /** Path and query, e.g. `/xrpc/app.bsky.feed.getFeedSkeleton?feed=...`. */
  readonly url: string
  /** A header value by lower-case name. */
  header(name: string): string | undefined
  /** True when the request carries a body (content-length > 0 or a chunked body). */
  readonly hasBody: boolean
  /**
   * The whole body, failing once it passes `maxBytes` (then the host stops reading).
   * @throws {XrpcError} 413 when too large, 400 when the client stalls or disconnects.
   */
  readBody(maxBytes: number): Promise<Uint8Array>
  /** The body as a stream, erroring once it passes `maxBytes`. */
  streamBody(maxBytes: number): ReadableStream<Uint8Array>
  /** Aborted when the client goes away. */
  readonly signal?: AbortSignal
  /** The host's own request object (a `Request`, or node's `IncomingMessage`). */
  readonly raw: unknown
}

/** A response from the server core: hosts write it out their own way. */
export interface XrpcResponse {
  status: number
  headers: Record<string, string>
  body: string | Uint8Array | ReadableStream<Uint8Array> | undefined
}

/** Binary (non-JSON) input handed to a procedure handler. */
export interface BinaryInput {
  readonly encoding: string
  /** The body, size-capped: reading past the cap errors the stream with a 413 XrpcError. */
  readonly body: ReadableStream<Uint8Array>
}

/** What a query or procedure handler returns. `undefined` answers 200 with no body. */
export type HandlerOutput =
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing has type void
  | void
  | undefined
  | {
      /** `application/json` (default) or the lexicon's output encoding for binary bodies. */
      encoding?: string
      /** JSON-form data for JSON, bytes or a stream otherwise. */
      body: unknown
      headers?: Record<string, string>
    }

/** Everything a handler receives. */
export interface HandlerContext<Auth = unknown> {
  readonly nsid: string
  /** Query parameters decoded by type and validated (defaults applied). */
  readonly params: Record<string, unknown>
  /** JSON input (validated, JSON form), binary input, or `undefined` when the method takes none. */
  readonly input: unknown
  /** What the route's auth hook returned. */
  readonly auth: Auth
  readonly request: XrpcRequest
  readonly signal: AbortSignal
}

/** Auth hook: return what handlers receive as `auth`, or throw an `XrpcError` (usually 401). */
export type AuthHook<Auth = unknown> = (ctx: {
  readonly nsid: string
  readonly params: Record<string, unknown>
  readonly request: XrpcRequest
}) => Auth | Promise<Auth>

/** A query or procedure handler. */
export type Handler<Auth = unknown> = (ctx: HandlerContext<Auth>) => HandlerOutput | Promise<HandlerOutput>

/** One subscription message: the frame type (`#commit`) and its body. */
export interface SubscriptionMessage {
  /** Frame header `t`, e.g. `#commit` (a `$type` on the body is used when absent). */
  readonly t?: string
  readonly body: Record<string, unknown>
}

/** A subscription handler: yields messages until the client leaves (`signal` aborts). */
export type SubscriptionHandler<Auth = unknown> = (ctx: {
  readonly nsid: string
  readonly params: Record<string, unknown>
  readonly auth: Auth
  readonly request: XrpcRequest
  readonly signal: AbortSignal
}) => AsyncIterable<SubscriptionMessage>
