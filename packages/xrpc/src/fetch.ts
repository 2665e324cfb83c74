// Hosting an XrpcServer on any fetch-style runtime: (Request) => Promise<Response>.
import { limitStream, readAllLimited } from './body.ts'
import type { XrpcServer } from './server.ts'
import type { XrpcRequest, XrpcResponse } from './types.ts'

/** The path and query of an absolute URL (`/xrpc/x?y=1`), without building a URL object. */
function pathOf(url: string): string {
  const scheme = url.indexOf('://')
  const slash = url.indexOf('/', scheme === -1 ? 0 : scheme + 3)
  return slash === -1 ? '/' : url.slice(slash)
}

/** Adapts a fetch `Request` to the server core's request shape. */
export function fromFetchRequest(request: Request): XrpcRequest {
  const h = request.headers
  const len = h.get('content-length')
  const hasBody =
    request.body !== null &&
    (len === null ? h.has('transfer-encoding') || request.method === 'POST' : len !== '0')
  return {
    method: request.method,
    url: pathOf(request.url),
    header: (name) => h.get(name) ?? undefined,
    hasBody,
    readBody: (max) =>
      request.body ? readAllLimited(request.body, max) : Promise.resolve(new Uint8Array(0)),
    streamBody: (max) =>
      (request.body ?? new ReadableStream({ start: (c) => c.close() })).pipeThrough(limitStream(max)),
    signal: request.signal,
    raw: request,
  }
}

/** A fetch `Response` for a server core response. */
export function toFetchResponse(res: XrpcResponse): Response {
  return new Response(res.body as BodyInit | undefined, { status: res.status, headers: res.headers })
}

/**
 * A fetch handler for Bun (`Bun.serve({ fetch })`), Deno (`Deno.serve(handler)`), Cloudflare
 * Workers (`export default { fetch }`) and anything else that speaks Request/Response.
 * @example Deno.serve(toFetchHandler(server))
 */
export function toFetchHandler(server: XrpcServer): (request: Request) => Promise<Response> {
  return async (request) => toFetchResponse(await server.handle(fromFetchRequest(request)))
}
