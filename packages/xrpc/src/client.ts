// The XRPC client: calls by NSID, typed by the caller (or lexicon codegen), with optional
// lexicon validation, binary bodies as streams, retries for 429/5xx, and pluggable auth.
import { Lexicons } from '@rsky/lexicon'
import { isValidNsid } from '@rsky/syntax'
import { isJsonMime, mimeOf } from './encoding.ts'
import { XrpcError } from './errors.ts'
import { isRetryableStatus, type RetryOptions, retryDelayMs, sleep } from './retry.ts'
import { errorNameForStatus } from './status.ts'

/** Supplies auth headers per call and may ask for one retry after an auth failure. */
export interface ClientAuth {
  /** Headers for a call to `nsid` (e.g. `authorization`). */
  headers(nsid: string, signal?: AbortSignal): Record<string, string> | Promise<Record<string, string>>
  /** After a failed call: resolve true to retry it once with fresh headers (e.g. after a refresh). */
  onError?(err: XrpcError, nsid: string): boolean | Promise<boolean>
}

/** Options of {@link XrpcClient}. */
export interface XrpcClientOptions {
  /** Service base URL (`https://pds.example`); `/xrpc/<nsid>` is appended. */
  service: string | URL
  /** Fetch implementation; default `globalThis.fetch`. */
  fetch?: typeof fetch
  /** Lexicons used to pick the HTTP method and to validate. */
  lexicons?: Lexicons | Iterable<unknown>
  /** Validate params and input before sending (needs `lexicons`); default true when lexicons are given. */
  validateRequest?: boolean
  /** Validate JSON output (needs `lexicons`); default false. */
  validateResponse?: boolean
  /** Headers sent with every call. */
  headers?: Record<string, string>
  /** `atproto-proxy` for every call: `did:web:api.bsky.app#bsky_appview`. */
  proxy?: string
  /** `atproto-accept-labelers` for every call: DIDs, `;redact` after one to ask for redaction. */
  acceptLabelers?: readonly string[]
  /** Retries of 429/5xx and transport failures; `false` for none. */
  retry?: RetryOptions | false
  /** Auth: a {@link PasswordSession}, {@link serviceJwtAuth}, {@link bearerAuth} or your own. */
  auth?: ClientAuth
}

/** Per-call options. */
export interface CallOptions {
  /** `GET` or `POST`; default from the lexicon, else POST when there is input. */
  method?: 'GET' | 'POST'
  params?: Readonly<Record<string, unknown>>
  /** JSON-form data, or bytes / Blob / ReadableStream for binary input. */
  input?: unknown
  /** Content-Type of `input`; default JSON for data, the lexicon's encoding or octet-stream for bytes. */
  encoding?: string
  headers?: Record<string, string>
  signal?: AbortSignal
  /** `stream` returns the body as a ReadableStream (for CARs and blobs); default reads it. */
  responseType?: 'auto' | 'stream'
  /** Overrides the client's `atproto-proxy` (`null` sends none). */
  proxy?: string | null
}

/** A successful call. */
export interface CallResult<T = unknown> {
  status: number
  headers: Headers
  /** Parsed JSON, bytes for a binary body, a stream with `responseType: 'stream'`, undefined for none. */
  data: T
}

const DEFAULT_RETRY: Required<RetryOptions> = { maxRetries: 2, baseDelayMs: 250, maxDelayMs: 10_000 }
const MAX_ERROR_BODY = 64 * 1024

/**
 * Calls XRPC methods on one service.
 * @example
 * const client = new XrpcClient({ service: 'https://public.api.bsky.app' })
 * const { data } = await client.query('app.bsky.actor.getProfile', { actor: 'bsky.app' })
 */
export class XrpcClient {
  readonly service: string
  readonly lexicons: Lexicons | undefined
  readonly #fetch: typeof fetch
  readonly #headers: Record<string, string>
  readonly #retry: Required<RetryOptions> | undefined
  readonly #validateRequest: boolean
  readonly #validateResponse: boolean
  readonly #proxy: string | undefined
  auth: ClientAuth | undefined

  /** @throws {TypeError} when `service` is not an http(s) URL. */
  constructor(opts: XrpcClientOptions) {
    const url = new URL(String(opts.service))
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new TypeError(`service must be http(s); service=${url}`)
    this.service = url.href.replace(/\/+$/, '')
    this.#fetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init))
    this.lexicons =
      opts.lexicons === undefined
        ? undefined
        : opts.lexicons instanceof Lexicons
          ? opts.lexicons
          : new Lexicons(opts.lexicons)
    this.#validateRequest = this.lexicons !== undefined && opts.validateRequest !== false
    this.#validateResponse = this.lexicons !== undefined && opts.validateResponse === true
    this.#headers = { ...opts.headers }
    if (opts.acceptLabelers?.length) this.#headers['atproto-accept-labelers'] = opts.acceptLabelers.join(', ')
    this.#proxy = opts.proxy
    this.#retry = opts.retry === false ? undefined : { ...DEFAULT_RETRY, ...opts.retry }
    this.auth = opts.auth
  }

  /** A GET call. @throws {XrpcError} for any failure. */
  query<T = unknown>(
    nsid: string,
    params?: CallOptions['params'],
    opts: CallOptions = {},
  ): Promise<CallResult<T>> {
    return this.call<T>(nsid, { ...opts, method: 'GET', params })
  }

  /** A POST call. @throws {XrpcError} for any failure. */
  procedure<T = unknown>(nsid: string, input?: unknown, opts: CallOptions = {}): Promise<CallResult<T>> {
    return this.call<T>(nsid, { ...opts, method: 'POST', input })
  }

  /**
   * Calls `nsid`. Errors from the service, transport failures and invalid responses are all
   * `XrpcError`s (an abort rejects with the signal's reason).
   * @throws {XrpcError} {LexiconValidationError} (request validation) {TypeError} (bad NSID, input on a GET)
   */
  async call<T = unknown>(nsid: string, opts: CallOptions = {}): Promise<CallResult<T>> {
    if (!isValidNsid(nsid)) throw new TypeError(`not an NSID; nsid=${nsid}`)
    const def = this.lexicons?.getDef(nsid)
    const method =
      opts.method ??
      (def?.type === 'query'
        ? 'GET'
        : def?.type === 'procedure'
          ? 'POST'
          : opts.input === undefined
            ? 'GET'
            : 'POST')
    if (method === 'GET' && opts.input !== undefined)
      throw new TypeError(`a GET call takes no input; nsid=${nsid}`)
    const params = opts.params ?? {}
    if (this.#validateRequest && def !== undefined) {
      this.lexicons?.assertValidXrpcParams(nsid, params)
      if (
        method === 'POST' &&
        opts.input !== undefined &&
        !isBinary(opts.input) &&
        def.type === 'procedure' &&
        def.input?.schema
      ) {
        this.lexicons?.assertValidXrpcInput(nsid, opts.input)
      }
    }
    const url = `${this.service}/xrpc/${nsid}${queryString(params)}`
    const body = encodeBody(opts, def?.type === 'procedure' ? def.input?.encoding : undefined)
    const replayable = !(body.body instanceof ReadableStream)
    let authRetried = false
    for (let attempt = 0; ; attempt++) {
      opts.signal?.throwIfAborted()
      const headers: Record<string, string> = { ...this.#headers }
      const proxy = opts.proxy === undefined ? this.#proxy : opts.proxy
      if (proxy) headers['atproto-proxy'] = proxy
      if (this.auth) Object.assign(headers, await this.auth.headers(nsid, opts.signal))
      if (body.contentType) headers['content-type'] = body.contentType
      Object.assign(headers, opts.headers)
      let res: Response
      try {
        const init: RequestInit & { duplex?: 'half' } = { method, headers, signal: opts.signal }
        if (body.body !== undefined) init.body = body.body
        if (body.body instanceof ReadableStream) init.duplex = 'half'
        res = await this.#fetch(url, init)
      } catch (cause) {
        if (opts.signal?.aborted) throw opts.signal.reason
        const err = new XrpcError('TransportError', `request failed; url=${url}`, {
          status: 0,
          code: 'XRPC_TRANSPORT',
          nsid,
          cause,
        })
        if (replayable && this.#retry && attempt < this.#retry.maxRetries) {
          await sleep(retryDelayMs(attempt, undefined, this.#retry), opts.signal)
          continue
        }
        throw err
      }
      if (res.ok) return this.#success<T>(nsid, res, opts)
      const err = await errorFromResponse(res, nsid)
      if (!authRetried && this.auth?.onError && (res.status === 401 || res.status === 400) && replayable) {
        if (await this.auth.onError(err, nsid)) {
          authRetried = true
          continue
        }
      }
      if (replayable && this.#retry && attempt < this.#retry.maxRetries && isRetryableStatus(res.status)) {
        await sleep(retryDelayMs(attempt, res.headers, this.#retry), opts.signal)
        continue
      }
      throw err
    }
  }

  async #success<T>(nsid: string, res: Response, opts: CallOptions): Promise<CallResult<T>> {
    const mime = mimeOf(res.headers.get('content-type') ?? undefined)
    if (opts.responseType === 'stream') {
      return { status: res.status, headers: res.headers, data: (res.body ?? emptyStream()) as T }
    }
    if (isJsonMime(mime)) {
      let data: unknown
      try {
        data = await res.json()
      } catch (cause) {
        throw new XrpcError('InvalidResponse', 'response body is not JSON', {
          status: res.status,
          code: 'XRPC_INVALID_RESPONSE',
          nsid,
          cause,
        })
      }
      if (this.#validateResponse && this.lexicons?.getDef(nsid)) {
        const v = this.lexicons.validateXrpcOutput(nsid, data)
        if (!v.success) {
          const first = v.issues[0]
          throw new XrpcError(
            'InvalidResponse',
            `response does not match the lexicon: ${first?.path} ${first?.message}`,
            {
              status: res.status,
              code: 'XRPC_INVALID_RESPONSE',
              nsid,
            },
          )
        }
        data = v.value
      }
      return { status: res.status, headers: res.headers, data: data as T }
    }
    const buf = new Uint8Array(await res.arrayBuffer())
    return {
      status: res.status,
      headers: res.headers,
      data: (mime === undefined && buf.length === 0 ? undefined : buf) as T,
    }
  }
}

/** Query string for params: arrays repeat the key, booleans are `true`/`false`, undefined is skipped. */
export function queryString(params: Readonly<Record<string, unknown>>): string {
  const sp = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue
    if (Array.isArray(v)) for (const x of v) sp.append(k, String(x))
    else sp.append(k, v instanceof Date ? v.toISOString() : String(v))
  }
  const s = sp.toString()
  return s === '' ? '' : `?${s}`
}

function isBinary(v: unknown): boolean {
  return (
    v instanceof Uint8Array ||
    v instanceof ArrayBuffer ||
    v instanceof ReadableStream ||
    (typeof Blob !== 'undefined' && v instanceof Blob)
  )
}

function encodeBody(
  opts: CallOptions,
  lexEncoding: string | undefined,
): { body: BodyInit | undefined; contentType: string | undefined } {
  const input = opts.input
  if (input === undefined) return { body: undefined, contentType: undefined }
  if (isBinary(input)) {
    const fallback = lexEncoding && !lexEncoding.includes('*') ? lexEncoding : 'application/octet-stream'
    const blobType =
      typeof Blob !== 'undefined' && input instanceof Blob && input.type ? input.type : undefined
    return { body: input as BodyInit, contentType: opts.encoding ?? blobType ?? fallback }
  }
  return { body: JSON.stringify(input), contentType: opts.encoding ?? 'application/json' }
}

function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (c) => c.close() })
}

/** The XrpcError for a non-2xx response: its `{ error, message }` body when it has one. */
export async function errorFromResponse(res: Response, nsid?: string): Promise<XrpcError> {
  let error = errorNameForStatus(res.status)
  let message: string | undefined
  try {
    const text = await res.text()
    if (text.length <= MAX_ERROR_BODY) {
      const body = JSON.parse(text) as { error?: unknown; message?: unknown }
      if (typeof body?.error === 'string') error = body.error
      if (typeof body?.message === 'string') message = body.message
    }
  } catch {
    // Not an XRPC error body: keep the generic name for the status.
  }
  const headers: Record<string, string> = {}
  res.headers.forEach((v, k) => {
    headers[k] = v
  })
  return new XrpcError(error, message, { status: res.status, headers, nsid })
}
