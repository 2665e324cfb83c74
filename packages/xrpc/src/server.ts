// The XRPC server core: routes built from lexicon documents, each request decoded, authorised,
// validated and answered as an XrpcResponse that a host adapter (fetch, node:http) writes out.
import {
  Lexicons,
  type LexProcedure,
  type LexQuery,
  type LexSubscription,
  type ValidationIssue,
} from '@rsky/lexicon'
import { isValidNsid } from '@rsky/syntax'
import { type CorsOptions, type CorsPolicy, corsPolicy } from './cors.ts'
import { encodingAccepts, isJsonMime, mimeOf } from './encoding.ts'
import { invalidRequest, XrpcError } from './errors.ts'
import { withinDepth } from './json-depth.ts'
import type {
  AuthHook,
  Handler,
  HandlerContext,
  HandlerOutput,
  SubscriptionHandler,
  XrpcRequest,
  XrpcResponse,
} from './types.ts'

/** Default cap on a request body: 1 MiB (raise it per route for blob uploads). */
export const DEFAULT_MAX_BODY_BYTES: number = 1024 * 1024
/** Default deepest nesting accepted in a JSON request body. */
export const DEFAULT_MAX_JSON_DEPTH = 64

/** Options of {@link XrpcServer}. */
export interface XrpcServerOptions {
  /** The lexicon documents (or a registry) routes are built from. */
  lexicons: Lexicons | Iterable<unknown>
  /** Validate handler output against the lexicon (a mismatch answers 500). Default true. */
  validateOutput?: boolean
  /** Largest request body in bytes; default 1 MiB. A route can set its own. */
  maxBodyBytes?: number
  /** Deepest JSON input nesting; default 64. */
  maxJsonDepth?: number
  /** CORS headers and preflight answers; `true` for any origin. Default off. */
  cors?: boolean | CorsOptions
  /** Auth hook for routes that do not set their own. */
  auth?: AuthHook
  /** Called with errors that are not XrpcErrors (answered as 500), and with invalid output. */
  onError?: (err: unknown, nsid: string | undefined) => void
}

/** A route's settings beside its handler. */
export interface RouteOptions<Auth = unknown> {
  handler: Handler<Auth>
  /** Overrides the server's auth hook; `null` for a public route under a server-wide hook. */
  auth?: AuthHook<Auth> | null
  /** Overrides the server's body cap. */
  maxBodyBytes?: number
}

/** A subscription route's settings. */
export interface SubscriptionOptions<Auth = unknown> {
  handler: SubscriptionHandler<Auth>
  auth?: AuthHook<Auth> | null
}

interface Route {
  readonly nsid: string
  readonly def: LexQuery | LexProcedure
  readonly method: 'GET' | 'POST'
  readonly handler: Handler
  readonly auth: AuthHook | undefined
  readonly maxBodyBytes: number
  readonly validateOutput: boolean
  readonly hasParams: boolean
}

/** A registered subscription, for the WebSocket host (`@rsky/xrpc/node`). */
export interface SubscriptionRoute {
  readonly nsid: string
  readonly def: LexSubscription
  readonly handler: SubscriptionHandler
  readonly auth: AuthHook | undefined
}

const NEVER: AbortSignal = new AbortController().signal
const JSON_TYPE = 'application/json; charset=utf-8'
const utf8Decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * An XRPC server built from lexicons. Add handlers by NSID, then host it with
 * {@link toFetchHandler} (Bun, Deno, workers, Node's fetch servers) or `@rsky/xrpc/node`.
 * @example
 * const server = new XrpcServer({ lexicons: docs })
 * server.add('app.bsky.feed.describeFeedGenerator', () => ({ body: { did, feeds: [] } }))
 * Bun.serve({ fetch: toFetchHandler(server) })
 */
export class XrpcServer {
  readonly lexicons: Lexicons
  readonly #routes = new Map<string, Route>()
  readonly #subscriptions = new Map<string, SubscriptionRoute>()
  readonly #validateOutput: boolean
  readonly #maxBody: number
  readonly #maxDepth: number
  readonly #cors: CorsPolicy | undefined
  readonly #auth: AuthHook | undefined
  readonly #onError: (err: unknown, nsid: string | undefined) => void

  /** @throws {InvalidLexiconError} for a bad document; {RangeError} for a bad cap. */
  constructor(opts: XrpcServerOptions) {
    this.lexicons = opts.lexicons instanceof Lexicons ? opts.lexicons : new Lexicons(opts.lexicons)
    this.#validateOutput = opts.validateOutput !== false
    this.#maxBody = positiveInt(opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, 'maxBodyBytes')
    this.#maxDepth = positiveInt(opts.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH, 'maxJsonDepth')
    this.#cors = opts.cors ? corsPolicy(opts.cors === true ? {} : opts.cors) : undefined
    this.#auth = opts.auth
    this.#onError = opts.onError ?? (() => {})
  }

  /**
   * Adds a query or procedure handler for an NSID whose lexicon is registered.
   * @throws {LexiconNotFoundError} when the NSID has no query/procedure definition.
   * @throws {TypeError} when a handler is already registered for it.
   */
  add<Auth = unknown>(nsid: string, route: Handler<Auth> | RouteOptions<Auth>): this {
    const opts: RouteOptions<Auth> = typeof route === 'function' ? { handler: route } : route
    const def = this.lexicons.getDefOrThrow(nsid, ['query', 'procedure']) as LexQuery | LexProcedure
    if (this.#routes.has(nsid)) throw new TypeError(`handler already registered; nsid=${nsid}`)
    this.#routes.set(nsid, {
      nsid,
      def,
      method: def.type === 'query' ? 'GET' : 'POST',
      handler: opts.handler as Handler,
      auth: (opts.auth === null ? undefined : (opts.auth ?? this.#auth)) as AuthHook | undefined,
      maxBodyBytes: positiveInt(opts.maxBodyBytes ?? this.#maxBody, 'maxBodyBytes'),
      validateOutput: this.#validateOutput && def.output?.schema !== undefined,
      hasParams: def.parameters !== undefined,
    })
    return this
  }

  /**
   * Adds a subscription (event stream) handler; hosted over WebSocket by `@rsky/xrpc/node`.
   * @throws {LexiconNotFoundError} when the NSID has no subscription definition.
   */
  addSubscription<Auth = unknown>(
    nsid: string,
    sub: SubscriptionHandler<Auth> | SubscriptionOptions<Auth>,
  ): this {
    const opts: SubscriptionOptions<Auth> = typeof sub === 'function' ? { handler: sub } : sub
    const def = this.lexicons.getDefOrThrow(nsid, ['subscription']) as LexSubscription
    if (this.#subscriptions.has(nsid)) throw new TypeError(`handler already registered; nsid=${nsid}`)
    this.#subscriptions.set(nsid, {
      nsid,
      def,
      handler: opts.handler as SubscriptionHandler,
      auth: (opts.auth === null ? undefined : (opts.auth ?? this.#auth)) as AuthHook | undefined,
    })
    return this
  }

  /** The subscription registered for an NSID. */
  subscription(nsid: string): SubscriptionRoute | undefined {
    return this.#subscriptions.get(nsid)
  }

  /**
   * Decodes and validates query parameters for an NSID.
   * @throws {XrpcError} 400 naming the first bad parameter.
   */
  decodeParams(nsid: string, query: string): Record<string, unknown> {
    const search = new URLSearchParams(query)
    // Refused outright, as the reference server does: no handler should see a `__proto__` key.
    if (query.includes('proto') && search.has('__proto__')) {
      throw invalidRequest('Invalid query parameter: __proto__', 'InvalidQueryParameter')
    }
    const res = this.lexicons.decodeXrpcParams(nsid, search)
    if (!res.success) throw invalidRequest(issueMessage('parameters', res.issues))
    return res.value as Record<string, unknown>
  }

  /** Answers one request; never throws (every failure becomes an XRPC error response). */
  async handle(req: XrpcRequest): Promise<XrpcResponse> {
    const origin = this.#cors ? req.header('origin') : undefined
    let res: XrpcResponse
    let nsid: string | undefined
    try {
      if (req.method === 'OPTIONS' && this.#cors) {
        const h = this.#cors.preflight(origin)
        return { status: 204, headers: h ?? {}, body: undefined }
      }
      const path = req.url
      if (!path.startsWith('/xrpc/')) throw new XrpcError('NotFound', 'Not Found', { status: 404 })
      const q = path.indexOf('?')
      nsid = q === -1 ? path.slice(6) : path.slice(6, q)
      if (!isValidNsid(nsid)) throw invalidRequest('invalid xrpc path')
      const route = this.#routes.get(nsid)
      res = route ? await this.#run(route, req, q === -1 ? '' : path.slice(q + 1)) : this.#unrouted(nsid, req)
    } catch (err) {
      res = this.#errorResponse(err, nsid)
    }
    if (this.#cors) {
      const h = this.#cors.headers(origin)
      if (h) Object.assign(res.headers, h)
    }
    if (req.method === 'HEAD') res.body = undefined
    return res
  }

  #unrouted(nsid: string, req: XrpcRequest): never {
    const def = this.lexicons.getDef(nsid)
    const expected = def?.type === 'procedure' ? 'POST' : def?.type === 'query' ? 'GET' : undefined
    if (expected !== undefined && expected !== req.method && !(expected === 'GET' && req.method === 'HEAD')) {
      throw invalidRequest(`Incorrect HTTP method (${req.method}) expected ${expected}`)
    }
    throw new XrpcError('MethodNotImplemented', 'Method Not Implemented', { status: 501 })
  }

  async #run(route: Route, req: XrpcRequest, query: string): Promise<XrpcResponse> {
    const method = req.method === 'HEAD' ? 'GET' : req.method
    if (method !== route.method)
      throw invalidRequest(`Incorrect HTTP method (${req.method}) expected ${route.method}`)
    const params = route.hasParams || query !== '' ? this.decodeParams(route.nsid, query) : {}
    const auth = route.auth ? await route.auth({ nsid: route.nsid, params, request: req }) : undefined
    const input = await this.#input(route, req)
    const ctx: HandlerContext = {
      nsid: route.nsid,
      params,
      input,
      auth,
      request: req,
      signal: req.signal ?? NEVER,
    }
    return this.#output(route, await route.handler(ctx))
  }

  async #input(route: Route, req: XrpcRequest): Promise<unknown> {
    const body = route.def.type === 'procedure' ? route.def.input : undefined
    if (body === undefined) {
      if (req.hasBody) throw invalidRequest('A request body was provided when none was expected')
      return undefined
    }
    // The same order of checks as the reference server, so both give the same first complaint.
    const mime = mimeOf(req.header('content-type'))
    if (mime === undefined) throw invalidRequest('Request encoding (Content-Type) required but not provided')
    if (!req.hasBody) throw invalidRequest('A request body is expected but none was provided')
    if (!encodingAccepts(body.encoding, mime))
      throw invalidRequest(`Wrong request encoding (Content-Type): ${mime}`)
    const declared = req.header('content-length')
    if (declared !== undefined && Number(declared) > route.maxBodyBytes) {
      throw new XrpcError('PayloadTooLarge', 'request entity too large', { status: 413 })
    }
    if (!isJsonMime(mime)) return { encoding: mime, body: req.streamBody(route.maxBodyBytes) }
    const bytes = await req.readBody(route.maxBodyBytes)
    let value: unknown
    try {
      value = JSON.parse(utf8Decoder.decode(bytes))
    } catch {
      throw invalidRequest('request body is not valid JSON')
    }
    if (!withinDepth(value, this.#maxDepth))
      throw invalidRequest(`request body nested too deeply; max=${this.#maxDepth}`)
    if (body.schema === undefined) return value
    const res = this.lexicons.validateXrpcInput(route.nsid, value)
    if (!res.success) throw invalidRequest(issueMessage('input', res.issues))
    return res.value
  }

  #output(route: Route, out: HandlerOutput): XrpcResponse {
    const lexOut = route.def.output
    if (out === undefined || out === null) {
      if (route.validateOutput) return this.#badOutput(route, 'handler returned no output')
      return { status: 200, headers: {}, body: undefined }
    }
    const headers: Record<string, string> = out.headers ? { ...out.headers } : {}
    const encoding = out.encoding ?? lexOut?.encoding ?? 'application/json'
    if (isJsonMime(mimeOf(encoding))) {
      if (route.validateOutput) {
        const res = this.lexicons.validateXrpcOutput(route.nsid, out.body)
        if (!res.success) return this.#badOutput(route, issueMessage('output', res.issues))
      }
      headers['content-type'] = encoding === 'application/json' ? JSON_TYPE : encoding
      return { status: 200, headers, body: JSON.stringify(out.body) }
    }
    const b = out.body
    if (!(b instanceof Uint8Array) && typeof b !== 'string' && !(b instanceof ReadableStream)) {
      return this.#badOutput(route, 'binary output must be bytes, text or a ReadableStream')
    }
    headers['content-type'] = encoding
    return { status: 200, headers, body: b }
  }

  #badOutput(route: Route, message: string): XrpcResponse {
    this.#onError(
      new XrpcError('InvalidResponse', message, { status: 500, code: 'XRPC_INVALID_RESPONSE' }),
      route.nsid,
    )
    return this.#errorResponse(new XrpcError('InternalServerError', undefined, { status: 500 }), route.nsid)
  }

  #errorResponse(err: unknown, nsid: string | undefined): XrpcResponse {
    let x: XrpcError
    if (err instanceof XrpcError) {
      x = err
    } else {
      this.#onError(err, nsid)
      x = new XrpcError('InternalServerError', undefined, { status: 500 })
    }
    const headers: Record<string, string> = { ...x.headers, 'content-type': JSON_TYPE }
    if (x.status === 401 && headers['www-authenticate'] === undefined) headers['www-authenticate'] = 'Bearer'
    const status = x.status >= 400 && x.status < 600 ? x.status : 500
    return { status, headers, body: JSON.stringify(x.toJSON()) }
  }
}

/** Message for validation issues: the first issue with its path, and how many more. */
function issueMessage(what: string, issues: readonly ValidationIssue[]): string {
  const first = issues[0]
  if (first === undefined) return `invalid ${what}`
  const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : ''
  return `invalid ${what}: ${first.path} ${first.message}${more}`
}

function positiveInt(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 1)
    throw new RangeError(`${name} must be a positive integer; ${name}=${n}`)
  return n
}
