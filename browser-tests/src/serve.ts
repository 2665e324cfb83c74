// The loopback HTTP server a browser test page talks to: the page itself under a strict Content
// Security Policy (no eval, so validators take their closure path), the bundle, a JSON config, and
// fixture files and DID documents read from disk or memory.
import { createReadStream } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Content Security Policy of the test page: scripts only from this origin, no eval. */
export const STRICT_CSP =
  "default-src 'self'; script-src 'self'; connect-src 'self' ws://127.0.0.1:* http://127.0.0.1:*"

export interface PageServerOptions {
  bundle: string
  config: unknown
  /** Files by URL path (without the leading `/files/`): a path on disk or bytes. */
  files: Record<string, string | Uint8Array>
  /** DID documents served at `/<did>`, as a PLC directory does. */
  didDocuments: Record<string, unknown>
}

export interface PageServer {
  url: string
  close(): Promise<void>
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>rsky browser tests</title>
<script type="module" src="/bundle.js"></script></head><body></body></html>`

export async function startPageServer(opts: PageServerOptions): Promise<PageServer> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname)
    const send = (status: number, type: string, body: string | Uint8Array): void => {
      res.writeHead(status, { 'content-type': type, 'content-security-policy': STRICT_CSP })
      res.end(body)
    }
    if (path === '/') return send(200, 'text/html; charset=utf-8', PAGE)
    if (path === '/bundle.js') return send(200, 'text/javascript; charset=utf-8', opts.bundle)
    if (path === '/config.json') return send(200, 'application/json', JSON.stringify(opts.config))
    if (path.startsWith('/did:')) {
      const doc = opts.didDocuments[path.slice(1)]
      return doc === undefined
        ? send(404, 'application/json', '{"message":"DID not registered"}')
        : send(200, 'application/json', JSON.stringify(doc))
    }
    if (path.startsWith('/files/')) {
      const file = opts.files[path.slice('/files/'.length)]
      if (file === undefined) return send(404, 'text/plain', 'not found')
      if (file instanceof Uint8Array) return send(200, 'application/octet-stream', file)
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      createReadStream(file).pipe(res)
      return
    }
    send(404, 'text/plain', 'not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
