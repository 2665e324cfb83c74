// One call to host an XrpcServer on node:http (and its subscriptions over WebSocket).
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type NodeListenerOptions, toNodeListener } from './node-http.node.ts'
import type { XrpcServer } from './server.ts'
import { attachSubscriptions, type SubscriptionHostOptions } from './subscriptions.node.ts'

/** Options of {@link serveNode}. */
export interface NodeServeOptions extends NodeListenerOptions, SubscriptionHostOptions {
  /** Port; default 0 (any free port). */
  port?: number
  /** Host; default `127.0.0.1`. */
  host?: string
  /** Longest time to receive a request's headers, ms; default 10 000 (slow-header clients). */
  headersTimeoutMs?: number
}

/** A running server. */
export interface ServingNode {
  /** `http://host:port`. */
  readonly url: string
  readonly port: number
  /** Stops listening, ends streams and closes idle connections. */
  close(): Promise<void>
}

/**
 * Listens on `host:port` with the server's routes and subscriptions.
 * @example const { url, close } = await serveNode(server, { port: 3000 })
 */
export async function serveNode(xrpc: XrpcServer, opts: NodeServeOptions = {}): Promise<ServingNode> {
  const http = createServer(toNodeListener(xrpc, opts))
  http.headersTimeout = opts.headersTimeoutMs ?? 10_000
  http.requestTimeout = Math.max(http.headersTimeout, (opts.bodyTimeoutMs ?? 30_000) + 5_000)
  const detach = attachSubscriptions(http, xrpc, opts)
  const host = opts.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(opts.port ?? 0, host, () => {
      http.off('error', reject)
      resolve()
    })
  })
  const port = (http.address() as AddressInfo).port
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    async close() {
      await detach()
      await new Promise<void>((resolve) => {
        http.close(() => resolve())
        http.closeAllConnections()
      })
    },
  }
}
