import { connect } from 'node:net'
import { decodeFrame } from '@rsky/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { type BinaryInput, toFetchHandler, XrpcClient, XrpcError, XrpcServer } from '../src/index.ts'
import { type ServingNode, serveNode } from '../src/node.ts'
import { TEST_LEXICONS } from './fixtures.ts'

function makeServer(opts: { cors?: boolean } = {}) {
  const errors: unknown[] = []
  const server = new XrpcServer({
    lexicons: TEST_LEXICONS,
    maxBodyBytes: 64 * 1024,
    cors: opts.cors,
    onError: (e) => errors.push(e),
  })
  server.add('com.example.get', ({ params }) => {
    if (params.name === 'nobody') throw new XrpcError('NoSuchName', 'no such name', { status: 400 })
    if (params.name === 'crash') throw new Error('secret internals')
    return { body: { greeting: `hello ${params.name}`, limit: params.limit } }
  })
  server.add('com.example.ping', () => ({ body: { ok: true } }))
  server.add('com.example.echo', ({ input }) => ({ body: { text: (input as { text: string }).text } }))
  server.add('com.example.upload', {
    maxBodyBytes: 1024 * 1024,
    handler: async ({ input }) => {
      let size = 0
      const reader = (input as BinaryInput).body.getReader()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        size += value.byteLength
      }
      return { body: { size } }
    },
  })
  server.add('com.example.download', ({ params }) => {
    const size = (params.size as number | undefined) ?? 100_000
    let sent = 0
    return {
      encoding: 'application/vnd.ipld.car',
      body: new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent >= size) return c.close()
          const n = Math.min(16384, size - sent)
          c.enqueue(new Uint8Array(n).fill(sent % 251))
          sent += n
        },
      }),
    }
  })
  server.add('com.example.noinput', () => undefined)
  server.add('com.example.badOutput', () => ({ body: { n: 'not a number' } }))
  server.addSubscription('com.example.subscribe', {
    auth: ({ request }) => {
      if (request.header('x-deny')) throw new XrpcError('AuthenticationRequired', 'no entry', { status: 401 })
      return 'ok'
    },
    handler: async function* ({ params, signal }) {
      const count = (params.count as number | undefined) ?? 3
      if (count === 999) throw new XrpcError('FutureCursor', 'cursor in the future', { status: 400 })
      for (let i = 0; i < count && !signal.aborted; i++)
        yield { body: { $type: 'com.example.subscribe#tick', seq: i } }
    },
  })
  return { server, errors }
}

let host: ServingNode
let errors: unknown[]
let client: XrpcClient

beforeAll(async () => {
  const made = makeServer()
  errors = made.errors
  host = await serveNode(made.server, { bodyTimeoutMs: 300 })
  client = new XrpcClient({ service: host.url, lexicons: TEST_LEXICONS, retry: false })
})
afterAll(async () => {
  await host.close()
})

async function raw(
  method: string,
  path: string,
  init: { body?: BodyInit; headers?: Record<string, string> } = {},
) {
  const res = await fetch(host.url + path, { method, ...init })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers }
}

describe('server over node:http, client', () => {
  it('decodes params by type, applies defaults, validates output', async () => {
    const { data } = await client.query('com.example.get', {
      name: 'alice',
      limit: 5,
      flag: true,
      tags: ['a', 'b'],
    })
    expect(data).toEqual({ greeting: 'hello alice', limit: 5 })
    expect((await client.query('com.example.get', { name: 'bob' })).data).toEqual({
      greeting: 'hello bob',
      limit: 10,
    })
  })

  it('procedures: JSON in and out, binary upload as a stream, binary download as a stream', async () => {
    expect((await client.procedure('com.example.echo', { text: 'hi' })).data).toEqual({ text: 'hi' })
    const blob = new Uint8Array(200_000).fill(7)
    expect((await client.procedure('com.example.upload', blob, { encoding: 'image/png' })).data).toEqual({
      size: 200_000,
    })
    const streamed = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new Uint8Array(1000))
        c.close()
      },
    })
    expect((await client.procedure('com.example.upload', streamed)).data).toEqual({ size: 10_000 })
    const { data } = await client.query<ReadableStream<Uint8Array>>(
      'com.example.download',
      { size: 70_000 },
      { responseType: 'stream' },
    )
    let n = 0
    for await (const chunk of data as unknown as AsyncIterable<Uint8Array>) n += chunk.byteLength
    expect(n).toBe(70_000)
    const bytes = await client.query<Uint8Array>('com.example.download', { size: 10 })
    expect(bytes.data).toEqual(new Uint8Array(10))
    expect(bytes.headers.get('content-type')).toBe('application/vnd.ipld.car')
  })

  it('errors reach the client as XrpcError with name and status; 500s hide their message', async () => {
    const e1 = await client.query('com.example.get', { name: 'nobody' }).catch((e) => e)
    expect([e1.error, e1.status, e1.message]).toEqual(['NoSuchName', 400, 'no such name'])
    const e2 = await client.query('com.example.get', { name: 'crash' }).catch((e) => e)
    expect([e2.error, e2.status, e2.message]).toEqual(['InternalServerError', 500, 'Internal Server Error'])
    expect(String(errors.at(-1))).toContain('secret internals')
    const e3 = await client.query('com.example.badOutput').catch((e) => e)
    expect([e3.error, e3.status]).toEqual(['InternalServerError', 500])
  })

  it('answers hostile requests with the right XRPC error (table)', async () => {
    const big = JSON.stringify({ text: 'x', extra: 'y'.repeat(70_000) })
    const deep = `{"text":"x","extra":${'['.repeat(5000)}${']'.repeat(5000)}}`
    const table: [
      string,
      string,
      string,
      { body?: string; headers?: Record<string, string> },
      number,
      string,
    ][] = [
      ['unknown nsid', 'GET', '/xrpc/com.example.nothing', {}, 501, 'MethodNotImplemented'],
      ['invalid nsid', 'GET', '/xrpc/not..an..nsid', {}, 400, 'InvalidRequest'],
      ['not xrpc', 'GET', '/other', {}, 404, 'NotFound'],
      ['query by POST', 'POST', '/xrpc/com.example.get?name=a', {}, 400, 'InvalidRequest'],
      ['procedure by GET', 'GET', '/xrpc/com.example.echo', {}, 400, 'InvalidRequest'],
      ['missing param', 'GET', '/xrpc/com.example.get', {}, 400, 'InvalidRequest'],
      ['integer not digits', 'GET', '/xrpc/com.example.get?name=a&limit=1e3', {}, 400, 'InvalidRequest'],
      ['integer out of range', 'GET', '/xrpc/com.example.get?name=a&limit=1000', {}, 400, 'InvalidRequest'],
      ['boolean not true/false', 'GET', '/xrpc/com.example.get?name=a&flag=yes', {}, 400, 'InvalidRequest'],
      ['scalar repeated', 'GET', '/xrpc/com.example.get?name=a&name=b', {}, 400, 'InvalidRequest'],
      ['string too long', 'GET', `/xrpc/com.example.get?name=${'a'.repeat(50)}`, {}, 400, 'InvalidRequest'],
      [
        'array too long',
        'GET',
        '/xrpc/com.example.get?name=a&tags=1&tags=2&tags=3&tags=4&tags=5&tags=6',
        {},
        400,
        'InvalidRequest',
      ],
      [
        '__proto__ param',
        'GET',
        '/xrpc/com.example.get?name=a&__proto__=x',
        {},
        400,
        'InvalidQueryParameter',
      ],
      ['no body', 'POST', '/xrpc/com.example.echo', {}, 400, 'InvalidRequest'],
      [
        'no content-type',
        'POST',
        '/xrpc/com.example.echo',
        { body: '{"text":"a"}', headers: { 'content-type': '' } },
        400,
        'InvalidRequest',
      ],
      [
        'wrong content-type',
        'POST',
        '/xrpc/com.example.echo',
        { body: 'x', headers: { 'content-type': 'text/plain' } },
        400,
        'InvalidRequest',
      ],
      [
        'bad JSON',
        'POST',
        '/xrpc/com.example.echo',
        { body: '{"text":', headers: { 'content-type': 'application/json' } },
        400,
        'InvalidRequest',
      ],
      [
        'bad UTF-8',
        'POST',
        '/xrpc/com.example.echo',
        { body: '{"text":"\udc00"}', headers: { 'content-type': 'application/json' } },
        200,
        '',
      ],
      [
        'invalid input',
        'POST',
        '/xrpc/com.example.echo',
        { body: '{"text":5}', headers: { 'content-type': 'application/json' } },
        400,
        'InvalidRequest',
      ],
      [
        'deep JSON',
        'POST',
        '/xrpc/com.example.echo',
        { body: deep, headers: { 'content-type': 'application/json' } },
        400,
        'InvalidRequest',
      ],
      [
        'oversized JSON',
        'POST',
        '/xrpc/com.example.echo',
        { body: big, headers: { 'content-type': 'application/json' } },
        413,
        'PayloadTooLarge',
      ],
      [
        'body when none expected',
        'POST',
        '/xrpc/com.example.noinput',
        { body: 'x', headers: { 'content-type': 'text/plain' } },
        400,
        'InvalidRequest',
      ],
    ]
    for (const [name, method, path, init, status, error] of table) {
      const r = await raw(method, path, init)
      expect([name, r.status, r.body?.error ?? '']).toEqual([name, status, error])
    }
    const oversizedUpload = await client
      .procedure('com.example.upload', new Uint8Array(2 * 1024 * 1024))
      .catch((e) => e)
    expect([oversizedUpload.status, oversizedUpload.error]).toEqual([413, 'PayloadTooLarge'])
    // Still serving after all of it.
    expect((await client.query('com.example.ping')).data).toEqual({ ok: true })
  })

  it('an oversized chunked upload is cut off at the cap', async () => {
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 40; i++) c.enqueue(new Uint8Array(64 * 1024))
        c.close()
      },
    })
    const e = await client.procedure('com.example.upload', chunks).catch((x) => x)
    expect(e.status).toBe(413)
  })

  it('a client that stalls mid-body gets a 400 and the connection closed', async () => {
    const answer = await new Promise<string>((resolve) => {
      const sock = connect(host.port, '127.0.0.1', () => {
        sock.write(
          'POST /xrpc/com.example.echo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"te',
        )
      })
      let got = ''
      sock.on('data', (d) => {
        got += d.toString()
      })
      sock.on('close', () => resolve(got))
    })
    expect(answer).toMatch(/^HTTP\/1\.1 400/)
    expect(answer).toContain('not received in time')
  })

  it('subscriptions: frames over WebSocket, params and errors as error frames', async () => {
    const frames = async (query: string, headers: Record<string, string> = {}) => {
      const ws = new WebSocket(`${host.url.replace('http', 'ws')}/xrpc/com.example.subscribe${query}`, {
        headers,
      })
      const got: unknown[] = []
      await new Promise<void>((resolve) => {
        ws.on('message', (d: Buffer) => got.push(decodeFrame(new Uint8Array(d))))
        ws.on('close', () => resolve())
        ws.on('error', () => resolve())
      })
      return got
    }
    expect(await frames('?count=2')).toEqual([
      { op: 1, t: '#tick', body: { seq: 0 } },
      { op: 1, t: '#tick', body: { seq: 1 } },
    ])
    const bad = (await frames('?count=abc')) as { op: number; body: { error: string } }[]
    expect([bad[0]?.op, bad[0]?.body.error]).toEqual([-1, 'InvalidRequest'])
    const future = (await frames('?count=999')) as { op: number; body: { error: string } }[]
    expect(future[0]?.body.error).toBe('FutureCursor')
    const denied = (await frames('?count=2', { 'x-deny': '1' })) as { op: number; body: { error: string } }[]
    expect([denied.length, denied[0]?.op, denied[0]?.body.error]).toEqual([1, -1, 'AuthenticationRequired'])
    // A path with no subscription is refused at the upgrade.
    const none = new WebSocket(`${host.url.replace('http', 'ws')}/xrpc/com.example.nothing`)
    const status = await new Promise<number | undefined>((resolve) => {
      none.on('unexpected-response', (_req, res) => resolve(res.statusCode))
      none.on('error', () => resolve(undefined))
    })
    expect(status).toBe(404)
  })
})

describe('fetch host', () => {
  it('serves the same answers through Request/Response, with CORS', async () => {
    const { server } = makeServer({ cors: true })
    const handle = toFetchHandler(server)
    const ok = await handle(
      new Request('http://x/xrpc/com.example.get?name=z', { headers: { origin: 'https://app.example' } }),
    )
    expect(ok.status).toBe(200)
    expect(ok.headers.get('access-control-allow-origin')).toBe('*')
    expect(await ok.json()).toEqual({ greeting: 'hello z', limit: 10 })
    const pre = await handle(
      new Request('http://x/xrpc/com.example.echo', { method: 'OPTIONS', headers: { origin: 'https://a' } }),
    )
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-headers')).toContain('atproto-proxy')
    const echo = await handle(
      new Request('http://x/xrpc/com.example.echo', {
        method: 'POST',
        body: '{"text":"t"}',
        headers: { 'content-type': 'application/json' },
      }),
    )
    expect(await echo.json()).toEqual({ text: 't' })
    const big = await handle(
      new Request('http://x/xrpc/com.example.echo', {
        method: 'POST',
        body: 'x'.repeat(70_000),
        headers: { 'content-type': 'application/json' },
      }),
    )
    expect([big.status, (await big.json()).error]).toEqual([413, 'PayloadTooLarge'])
    const dl = await handle(new Request('http://x/xrpc/com.example.download?size=5'))
    expect(new Uint8Array(await dl.arrayBuffer())).toEqual(new Uint8Array(5))
  })
})

describe('client', () => {
  it('retries 503 and 429 honouring retry-after, then gives up; aborts', async () => {
    let calls = 0
    const flaky: typeof fetch = async () => {
      calls++
      if (calls === 1)
        return new Response('{"error":"NotEnoughResources"}', {
          status: 503,
          headers: { 'content-type': 'application/json' },
        })
      if (calls === 2)
        return new Response('{"error":"RateLimitExceeded"}', { status: 429, headers: { 'retry-after': '0' } })
      return new Response('{"ok":1}', { status: 200, headers: { 'content-type': 'application/json' } })
    }
    const c = new XrpcClient({
      service: 'http://127.0.0.1:9',
      fetch: flaky,
      retry: { baseDelayMs: 1, maxRetries: 2 },
    })
    expect((await c.query('com.example.ping')).data).toEqual({ ok: 1 })
    expect(calls).toBe(3)
    calls = 0
    const always: typeof fetch = async () => {
      calls++
      return new Response('', { status: 502 })
    }
    const c2 = new XrpcClient({
      service: 'http://127.0.0.1:9',
      fetch: always,
      retry: { baseDelayMs: 1, maxRetries: 3 },
    })
    const e = await c2.query('com.example.ping').catch((x) => x)
    expect([e.status, e.error, calls]).toEqual([502, 'UpstreamFailure', 4])
    const ac = new AbortController()
    ac.abort(new Error('stop'))
    await expect(c.query('com.example.ping', {}, { signal: ac.signal })).rejects.toThrow('stop')
  })

  it('sends atproto-proxy and atproto-accept-labelers; validates requests and responses when asked', async () => {
    let seen: Headers | undefined
    const spy: typeof fetch = async (_u, init) => {
      seen = new Headers(init?.headers)
      return new Response('{"greeting":5}', { status: 200, headers: { 'content-type': 'application/json' } })
    }
    const c = new XrpcClient({
      service: 'http://127.0.0.1:9',
      fetch: spy,
      lexicons: TEST_LEXICONS,
      validateResponse: true,
      proxy: 'did:web:api.example.com#bsky_appview',
      acceptLabelers: ['did:plc:aaaaaaaaaaaaaaaaaaaaaaaa;redact'],
    })
    const e = await c.query('com.example.get', { name: 'a' }).catch((x) => x)
    expect([e.code, e.error]).toEqual(['XRPC_INVALID_RESPONSE', 'InvalidResponse'])
    expect(seen?.get('atproto-proxy')).toBe('did:web:api.example.com#bsky_appview')
    expect(seen?.get('atproto-accept-labelers')).toBe('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa;redact')
    const t = await c.query('com.example.get', {}).catch((x) => x)
    expect(t.name).toBe('LexiconValidationError')
  })

  it('refuses input on a GET before sending', async () => {
    await expect(client.call('com.example.get', { params: { name: 'a' }, input: { x: 1 } })).rejects.toThrow(
      TypeError,
    )
  })

  it('transport failure is an XrpcError with code XRPC_TRANSPORT', async () => {
    const c = new XrpcClient({ service: 'http://127.0.0.1:1', retry: false })
    const e = await c.query('com.example.ping').catch((x) => x)
    expect([e.code, e.status]).toEqual(['XRPC_TRANSPORT', 0])
  })
})
