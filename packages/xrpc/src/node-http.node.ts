// Hosting an XrpcServer on node:http, writing responses straight to the socket (no fetch objects).
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { concatChunks, limitStream, tooLarge } from './body.ts'
import { XrpcError } from './errors.ts'
import type { XrpcServer } from './server.ts'
import type { XrpcRequest, XrpcResponse } from './types.ts'

/** Options of {@link toNodeListener}. */
export interface NodeListenerOptions {
  /**
   * Longest time a client may take to send its body, in ms; default 30 000. A client that stalls
   * gets a 400 and its connection is closed.
   */
  bodyTimeoutMs?: number
}

/** Adapts node's `IncomingMessage` to the server core's request shape. */
export function fromNodeRequest(req: IncomingMessage, opts: NodeListenerOptions = {}): XrpcRequest {
  const bodyTimeout = opts.bodyTimeoutMs ?? 30_000
  const headers = req.headers
  const len = headers['content-length']
  const hasBody = len === undefined ? headers['transfer-encoding'] !== undefined : len !== '0'
  let controller: AbortController | undefined
  return {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    header(name) {
      const v = headers[name]
      return Array.isArray(v) ? v.join(', ') : v
    },
    hasBody,
    readBody: (max) => readNodeBody(req, max, bodyTimeout),
    streamBody: (max) => (Readable.toWeb(req) as ReadableStream<Uint8Array>).pipeThrough(limitStream(max)),
    get signal() {
      if (controller === undefined) {
        const c = new AbortController()
        controller = c
        req.once('close', () => {
          if (!req.complete || req.socket.destroyed) c.abort()
        })
      }
      return controller.signal
    },
    raw: req,
  }
}

function readNodeBody(req: IncomingMessage, max: number, timeoutMs: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let total = 0
    const done = (err?: XrpcError) => {
      clearTimeout(timer)
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('aborted', onAborted)
      if (err) {
        // Stop reading: answer now, and close the connection after the answer (unread body).
        req.pause()
        reject(err)
      } else resolve(concatChunks(chunks, total))
    }
    const onData = (c: Buffer) => {
      total += c.byteLength
      if (total > max) return done(tooLarge())
      chunks.push(c)
    }
    const onEnd = () => done()
    const onError = (cause: unknown) =>
      done(new XrpcError('InvalidRequest', 'request body could not be read', { status: 400, cause }))
    const onAborted = () => done(new XrpcError('InvalidRequest', 'request aborted', { status: 400 }))
    const timer = setTimeout(
      () =>
        done(
          new XrpcError('InvalidRequest', `request body not received in time; timeoutMs=${timeoutMs}`, {
            status: 400,
          }),
        ),
      timeoutMs,
    )
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('aborted', onAborted)
  })
}

/** Writes a server core response to node's `ServerResponse`. */
export async function writeNodeResponse(
  req: IncomingMessage,
  res: ServerResponse,
  out: XrpcResponse,
): Promise<void> {
  // A request whose body was not read to the end leaves the connection unusable: close it.
  if (
    !req.complete &&
    req.readableEnded === false &&
    (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined)
  ) {
    out.headers.connection = 'close'
  }
  const body = out.body
  if (body === undefined || typeof body === 'string' || body instanceof Uint8Array) {
    res.writeHead(out.status, out.headers)
    res.end(body)
    return
  }
  res.writeHead(out.status, out.headers)
  const reader = body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (!res.write(value)) await new Promise<void>((r) => res.once('drain', r))
      if (res.destroyed) {
        await reader.cancel()
        return
      }
    }
    res.end()
  } catch {
    // The stream failed part-way: the status is already sent, so cut the connection rather
    // than end cleanly (the client must not take a truncated body for a whole one).
    res.destroy()
  }
}

/**
 * A `node:http` request listener for the server.
 * @example http.createServer(toNodeListener(server)).listen(2583, '127.0.0.1')
 */
export function toNodeListener(
  server: XrpcServer,
  opts: NodeListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    server
      .handle(fromNodeRequest(req, opts))
      .then(
        (out) => writeNodeResponse(req, res, out),
        () => {
          // handle() never rejects; this guards the host against a broken adapter.
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' })
          res.end('{"error":"InternalServerError","message":"Internal Server Error"}')
        },
      )
      .catch(() => res.destroy())
  }
}
