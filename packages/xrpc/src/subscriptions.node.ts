// Serving XRPC subscriptions (event streams) over WebSocket on a node:http server, with the
// frame codec of @rsky/sync: `{op: 1, t}` + body for messages, `{op: -1}` + `{error, message}`.
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { LexMap } from '@rsky/dag-cbor'
import { encodeErrorFrame, encodeMessageFrame } from '@rsky/sync'
import { type WebSocket, WebSocketServer } from 'ws'
import { XrpcError } from './errors.ts'
import { fromNodeRequest } from './node-http.node.ts'
import type { XrpcServer } from './server.ts'

/** Options of {@link attachSubscriptions}. */
export interface SubscriptionHostOptions {
  /** Pause the handler while more than this many bytes wait to be sent; default 8 MiB. */
  highWaterMark?: number
  /** Close a client whose backlog stays above the mark this long, in ms; default 30 000. */
  slowClientTimeoutMs?: number
  /** Largest message accepted from a client (they should send none); default 64 KiB. */
  maxClientPayload?: number
}

/**
 * Answers WebSocket upgrades on `/xrpc/<nsid>` for the server's subscriptions. Parameters are
 * decoded and the auth hook runs before the handler; a failure is sent as an error frame and
 * the socket closed. Returns a function that detaches and closes every stream.
 * @example const detach = attachSubscriptions(httpServer, xrpcServer)
 */
export function attachSubscriptions(
  http: Server,
  xrpc: XrpcServer,
  opts: SubscriptionHostOptions = {},
): () => Promise<void> {
  const highWaterMark = opts.highWaterMark ?? 8 * 1024 * 1024
  const slowMs = opts.slowClientTimeoutMs ?? 30_000
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxClientPayload ?? 64 * 1024 })
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const nsid = url.startsWith('/xrpc/') ? url.slice(6, q === -1 ? undefined : q) : ''
    const sub = xrpc.subscription(nsid)
    if (sub === undefined) {
      // Another upgrade listener on the same server may own this path; answer only when alone.
      if (http.listenerCount('upgrade') === 1) {
        socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
      }
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      void serve(ws, req, nsid, q === -1 ? '' : url.slice(q + 1))
    })
  }

  async function serve(ws: WebSocket, req: IncomingMessage, nsid: string, query: string): Promise<void> {
    const sub = xrpc.subscription(nsid)
    if (sub === undefined) return
    const stop = new AbortController()
    ws.on('close', () => stop.abort())
    ws.on('error', () => stop.abort())
    ws.on('message', () => {}) // clients have nothing to say; ignore (size-capped by maxPayload)
    const request = fromNodeRequest(req)
    try {
      const params = xrpc.decodeParams(nsid, query)
      const auth = sub.auth ? await sub.auth({ nsid, params, request }) : undefined
      const iter = sub.handler({ nsid, params, auth, request, signal: stop.signal })
      for await (const msg of iter) {
        if (stop.signal.aborted) break
        const t = msg.t ?? (typeof msg.body.$type === 'string' ? shortType(msg.body.$type, nsid) : undefined)
        if (t === undefined) throw new TypeError('subscription message has neither t nor $type')
        const { $type: _drop, ...body } = msg.body
        ws.send(encodeMessageFrame(t, body as LexMap))
        if (ws.bufferedAmount > highWaterMark && !(await drained(ws, highWaterMark, slowMs, stop.signal))) {
          ws.send(encodeErrorFrame('ConsumerTooSlow', 'client did not keep up'))
          break
        }
      }
      if (!stop.signal.aborted) ws.close(1000)
    } catch (err) {
      if (stop.signal.aborted) return
      const x =
        err instanceof XrpcError ? err : new XrpcError('InternalServerError', undefined, { status: 500 })
      const { error, message } = x.toJSON()
      ws.send(encodeErrorFrame(error, message))
      ws.close(x.status === 500 ? 1011 : 1008)
    }
  }

  http.on('upgrade', onUpgrade)
  return async () => {
    http.off('upgrade', onUpgrade)
    for (const ws of wss.clients) ws.terminate()
    await new Promise<void>((r) => wss.close(() => r()))
  }
}

// `com.atproto.sync.subscribeRepos#commit` -> `#commit` (frames carry the short form).
function shortType(type: string, nsid: string): string {
  return type.startsWith(`${nsid}#`) ? type.slice(nsid.length) : type
}

function drained(ws: WebSocket, mark: number, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const started = Date.now()
    const tick = setInterval(() => {
      if (signal.aborted) finish(false)
      else if (ws.bufferedAmount <= mark / 2) finish(true)
      else if (Date.now() - started > timeoutMs) finish(false)
    }, 10)
    const finish = (ok: boolean) => {
      clearInterval(tick)
      resolve(ok)
    }
  })
}
