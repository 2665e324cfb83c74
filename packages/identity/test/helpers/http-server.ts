// A real HTTP server on 127.0.0.1 for the resolver tests: routes by path, counts hits per path.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Route = (req: IncomingMessage, res: ServerResponse) => void

export interface TestHttpServer {
  readonly port: number
  readonly origin: string
  readonly routes: Map<string, Route>
  readonly hits: Map<string, number>
  hitCount(path: string): number
  close(): Promise<void>
}

export async function startHttpServer(): Promise<TestHttpServer> {
  const routes = new Map<string, Route>()
  const hits = new Map<string, number>()
  const open = new Set<ServerResponse>()
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!)
    hits.set(path, (hits.get(path) ?? 0) + 1)
    open.add(res)
    res.on('close', () => open.delete(res))
    const route = routes.get(path)
    if (route) route(req, res)
    else {
      res.statusCode = 404
      res.end('not found')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    routes,
    hits,
    hitCount: (path) => hits.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of open) r.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export function json(body: unknown, status = 200): Route {
  return (_req, res) => {
    res.statusCode = status
    res.setHeader('content-type', 'application/json')
    res.end(typeof body === 'string' ? body : JSON.stringify(body))
  }
}

export function text(body: string, status = 200): Route {
  return (_req, res) => {
    res.statusCode = status
    res.setHeader('content-type', 'text/plain')
    res.end(body)
  }
}

export function status(code: number): Route {
  return (_req, res) => {
    res.statusCode = code
    res.end()
  }
}

/** Never answers: the request stays open until the client gives up or the server closes. */
export const hang: Route = () => {}

/** Streams `total` bytes of JSON-ish filler with no content-length, so only streaming caps can stop it. */
export function huge(total: number): Route {
  return (_req, res) => {
    res.statusCode = 200
    res.setHeader('content-type', 'application/json')
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    let sent = 0
    const pump = (): void => {
      while (sent < total) {
        sent += chunk.length
        if (!res.write(chunk)) {
          res.once('drain', pump)
          return
        }
      }
      res.end()
    }
    res.on('error', () => {})
    pump()
  }
}

export function redirect(location: string, code = 302): Route {
  return (_req, res) => {
    res.statusCode = code
    res.setHeader('location', location)
    res.end()
  }
}
