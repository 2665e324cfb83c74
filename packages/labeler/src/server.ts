// Plain node:http handlers for the two labeler endpoints, and a WebSocket upgrade for the stream.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { labelToJson } from '@rsky/label'
import { WebSocketServer } from 'ws'
import type { Labeler } from './labeler.ts'
import { InvalidQueryError, parseQueryParams } from './query.ts'
import { type SubscribeLimits, serveSubscriber } from './subscribe.ts'

const SUBSCRIBE = '/xrpc/com.atproto.label.subscribeLabels'
const QUERY = '/xrpc/com.atproto.label.queryLabels'

/** Options of {@link serveLabeler}. */
export interface ServeLabelerOptions {
  /** Port; 0 picks a free one. Default 0. */
  readonly port?: number
  /** Interface. Default 127.0.0.1. */
  readonly host?: string
  /** Per-subscriber limits. */
  readonly subscribe?: SubscribeLimits
  /** Largest incoming WebSocket message (clients should send none). Default 1 KiB. */
  readonly maxIncomingBytes?: number
}

/** A running labeler server. */
export interface LabelerServer {
  /** `http://host:port`. */
  readonly url: string
  readonly server: Server
  /** Open subscriber sockets. */
  readonly subscribers: number
  close(): Promise<void>
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}

/** The `queryLabels` handler, for mounting on an existing server. */
export function queryLabelsHandler(
  labeler: Labeler,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    let q: ReturnType<typeof parseQueryParams>
    try {
      q = parseQueryParams(url.searchParams)
    } catch (err) {
      if (err instanceof InvalidQueryError)
        return sendJson(res, 400, { error: 'InvalidRequest', message: err.message })
      throw err
    }
    try {
      const page = await labeler.store.query(q)
      const body: { cursor?: string; labels: unknown[] } = {
        labels: page.labels.map((e) => labelToJson(e.label)),
      }
      if (page.cursor !== undefined) body.cursor = String(page.cursor)
      sendJson(res, 200, body)
    } catch {
      sendJson(res, 500, { error: 'InternalServerError', message: 'label store failed' })
    }
  }
}

/**
 * Serves `com.atproto.label.subscribeLabels` (WebSocket) and `com.atproto.label.queryLabels` over
 * node:http. Other paths get a 404 XRPC error.
 * @example
 * const srv = await serveLabeler(labeler, { port: 0 })
 * // ws://127.0.0.1:PORT/xrpc/com.atproto.label.subscribeLabels?cursor=0
 */
export async function serveLabeler(labeler: Labeler, opts: ServeLabelerOptions = {}): Promise<LabelerServer> {
  const query = queryLabelsHandler(labeler)
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path === QUERY && (req.method === 'GET' || req.method === 'HEAD')) {
      query(req, res).catch(() => res.destroy())
      return
    }
    if (path === SUBSCRIBE) return sendJson(res, 426, { error: 'InvalidRequest', message: 'use a WebSocket' })
    sendJson(res, 404, { error: 'MethodNotImplemented', message: 'method not implemented' })
  })
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxIncomingBytes ?? 1024 })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname !== SUBSCRIBE) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      void serveSubscriber(ws, labeler, url.searchParams.get('cursor'), opts.subscribe)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve())
  })
  const addr = server.address() as AddressInfo
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  return {
    url: `http://${host}:${addr.port}`,
    server,
    get subscribers() {
      return wss.clients.size
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate()
        wss.close()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
