// XRPC: requests/s served on loopback, measured with autocannon (in a worker thread, 10
// connections, a fixed number of requests per run), and service-auth JWT verifications/s.
// Servers: @rsky/xrpc on node:http and through a fetch adapter, @atproto/xrpc-server (express),
// @atcute/xrpc-server (fetch router; hosted through the same minimal node:http -> fetch adapter
// as our fetch row, since it ships no node:http host of its own).

import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import * as v from '@atcute/lexicons/validations'
import { json, XRPCRouter } from '@atcute/xrpc-server'
import { ServiceJwtVerifier } from '@atcute/xrpc-server/auth'
import { createServer as atprotoCreateServer, verifyJwt as atprotoVerifyJwt } from '@atproto/xrpc-server'
import { Secp256k1Keypair } from '@rsky/crypto'
import { createServiceJwt, ServiceAuthVerifier, toFetchHandler, XrpcServer } from '@rsky/xrpc'
import { toNodeListener } from '@rsky/xrpc/node'
import type { BenchCase, BenchSuite } from '../harness.ts'

interface AutocannonResult {
  non2xx: number
  errors: number
}
// autocannon ships no types; this is the one call used.
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: {
  url: string
  connections: number
  amount: number
  workers: number
}) => Promise<AutocannonResult>

const REQUESTS = 8000
const CONNECTIONS = 10
const LEX_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '../../../../shared/lexicons')
const lex = (nsid: string): unknown =>
  JSON.parse(readFileSync(`${join(LEX_DIR, ...nsid.split('.'))}.json`, 'utf8'))

const PING_DOC = {
  lexicon: 1,
  id: 'com.example.ping',
  defs: { main: { type: 'query', output: { encoding: 'application/json' } } },
}
const FEED = 'at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/app.bsky.feed.generator/hot'
const SKELETON_PATH = `/xrpc/app.bsky.feed.getFeedSkeleton?feed=${encodeURIComponent(FEED)}&limit=30`
const SKELETON = {
  cursor: '1700000000000::bafy',
  feed: Array.from({ length: 30 }, (_, i) => ({
    post: `at://did:plc:${'b'.repeat(23)}${'abcdefghij'[i % 10]}/app.bsky.feed.post/3k${String(i).padStart(11, 'a')}`,
  })),
}
// Each server gets its own copy: @atproto/lexicon rewrites the refs of documents it is given.
const docs = (): unknown[] => [
  structuredClone(PING_DOC),
  lex('app.bsky.feed.getFeedSkeleton'),
  lex('app.bsky.feed.defs'),
]

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; http: Server }> {
  const http = createServer(handler)
  http.keepAliveTimeout = 30_000
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, http }
}

/** A minimal node:http -> fetch bridge (what a fetch-only router needs to run on node:http). */
function fetchOnNode(fetchHandler: (r: Request) => Promise<Response>) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const init: RequestInit & { duplex?: 'half' } = {
      method: req.method,
      headers: req.headers as Record<string, string>,
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      init.body = Readable.toWeb(req) as ReadableStream
      init.duplex = 'half'
    }
    fetchHandler(new Request(`http://${req.headers.host}${req.url}`, init)).then(async (r) => {
      const body = new Uint8Array(await r.arrayBuffer())
      const headers: Record<string, string> = {}
      r.headers.forEach((value, name) => {
        headers[name] = value
      })
      res.writeHead(r.status, headers)
      res.end(body)
    })
  }
}

function oursServer(): XrpcServer {
  const s = new XrpcServer({ lexicons: docs() })
  s.add('com.example.ping', () => ({ body: { ok: true } }))
  s.add('app.bsky.feed.getFeedSkeleton', () => ({ body: SKELETON }))
  return s
}

function atprotoServer() {
  // biome-ignore lint/suspicious/noExplicitAny: the reference's lexicon types are its own
  const s = atprotoCreateServer(docs() as any, { validateResponse: true })
  s.method('com.example.ping', async () => ({ encoding: 'application/json', body: { ok: true } }))
  s.method('app.bsky.feed.getFeedSkeleton', async () => ({ encoding: 'application/json', body: SKELETON }))
  return s
}

const atcutePing = v.query('com.example.ping', {
  params: null,
  output: { type: 'lex', schema: v.object({ ok: v.boolean() }) },
})
const atcuteSkeletonPost = v.object({
  post: v.resourceUriString(),
  reason: v.optional(v.unknown()),
  feedContext: v.optional(v.string()),
})
const atcuteSkeletonOut = v.object({
  cursor: v.optional(v.string()),
  feed: v.array(atcuteSkeletonPost),
  reqId: v.optional(v.constrain(v.string(), [v.stringLength(0, 100)])),
})
const atcuteSkeleton = v.query('app.bsky.feed.getFeedSkeleton', {
  params: v.object({
    feed: v.resourceUriString(),
    limit: v.optional(v.constrain(v.integer(), [v.integerRange(1, 100)]), 50),
    cursor: v.optional(v.string()),
  }),
  output: { type: 'lex', schema: atcuteSkeletonOut },
})

function atcuteRouter(): XRPCRouter {
  const r = new XRPCRouter()
  r.addQuery(atcutePing, { handler: () => json({ ok: true }) })
  r.addQuery(atcuteSkeleton, {
    // atcute does not validate output itself: the handler runs the output schema, as ours does.
    handler: () => json(v.parse(atcuteSkeletonOut, SKELETON)),
  })
  return r
}

/** One autocannon run of REQUESTS requests; resolves when all are answered (non-2xx fails). */
function loadFactory(start: () => Promise<{ url: string; http: Server }>, path: string) {
  return async () => {
    const { url, http } = await start()
    const target = url + path
    const check = await fetch(target)
    if (check.status !== 200) throw new Error(`warm-up answered ${check.status}: ${await check.text()}`)
    return async () => {
      const result = await autocannon({ url: target, connections: CONNECTIONS, amount: REQUESTS, workers: 1 })
      if (result.non2xx > 0 || result.errors > 0) {
        http.close()
        throw new Error(`non-2xx=${result.non2xx} errors=${result.errors}`)
      }
    }
  }
}

function httpCase(name: string, path: string, note: string): BenchCase {
  return {
    name,
    unit: 'op',
    perCall: REQUESTS,
    note,
    impls: {
      '@rsky/xrpc (node:http)': loadFactory(() => listen(toNodeListener(oursServer())), path),
      '@rsky/xrpc (fetch adapter)': loadFactory(
        () => listen(fetchOnNode(toFetchHandler(oursServer()))),
        path,
      ),
      '@atproto/xrpc-server': loadFactory(
        () =>
          listen(atprotoServer().router as unknown as (req: IncomingMessage, res: ServerResponse) => void),
        path,
      ),
      '@atcute/xrpc-server (fetch adapter)': loadFactory(
        () => listen(fetchOnNode(atcuteRouter().fetch)),
        path,
      ),
    },
  }
}

const ISS = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'
const AUD = 'did:web:feed.example.com#bsky_fg'
const LXM = 'app.bsky.feed.getFeedSkeleton'

const suite: BenchSuite = {
  name: 'xrpc',
  description:
    'XRPC requests/s on loopback (autocannon, 10 connections) and service-auth JWT verifications/s',
  async cases() {
    const key = Secp256k1Keypair.create()
    const didKey = key.did()
    const multikey = didKey.slice('did:key:'.length)
    const token = await createServiceJwt({ iss: ISS, aud: AUD, lxm: LXM, keypair: key, ttlSeconds: 3000 })
    return [
      httpCase(
        'simple query (no params, small JSON, no schema)',
        '/xrpc/com.example.ping',
        `${REQUESTS} requests per run over ${CONNECTIONS} keep-alive connections; load generator in a worker thread of the same process.`,
      ),
      httpCase(
        'getFeedSkeleton: params decoded + 30-post output validated',
        SKELETON_PATH,
        'Output validated against the lexicon by every implementation (atcute: by its schema in the handler, as it does not validate output itself).',
      ),
      {
        name: 'fetch handler in process: getFeedSkeleton Request -> Response (no sockets)',
        unit: 'op',
        note: 'The same request object shape both ways (a new Request per call, the body read to the end); isolates routing, params, validation and serialisation from the HTTP stack and the load generator.',
        impls: {
          '@rsky/xrpc toFetchHandler': () => {
            const handle = toFetchHandler(oursServer())
            return async () => (await handle(new Request(`http://x${SKELETON_PATH}`))).arrayBuffer()
          },
          '@atcute/xrpc-server XRPCRouter.fetch': () => {
            const router = atcuteRouter()
            return async () => (await router.fetch(new Request(`http://x${SKELETON_PATH}`))).arrayBuffer()
          },
        },
      },
      {
        name: 'service-auth JWT verify (ES256K, key already resolved)',
        unit: 'op',
        note: 'The same token each call (no replay cache); key lookups answered from memory. atcute takes a Request, so its row builds one per call.',
        impls: {
          '@rsky/xrpc': () => {
            const verifier = new ServiceAuthVerifier({
              audience: AUD,
              keys: { resolveAtprotoKey: async () => didKey },
            })
            return () => verifier.verify(token, { lxm: LXM })
          },
          '@atproto/xrpc-server': () => {
            const getKey = async () => didKey
            return () => atprotoVerifyJwt(token, AUD, LXM, getKey)
          },
          '@atcute/xrpc-server': () => {
            const doc = {
              '@context': ['https://www.w3.org/ns/did/v1'],
              id: ISS,
              verificationMethod: [
                { id: `${ISS}#atproto`, type: 'Multikey', controller: ISS, publicKeyMultibase: multikey },
              ],
            }
            const verifier = new ServiceJwtVerifier({
              acceptAudiences: [AUD],
              // biome-ignore lint/suspicious/noExplicitAny: a fixed in-memory document
              resolver: { resolve: async () => doc as any },
              maxAge: 3600,
            })
            const headers = { authorization: `Bearer ${token}` }
            return () => verifier.verifyRequest(new Request('http://x/xrpc/x', { headers }), { lxm: LXM })
          },
        },
      },
    ]
  },
}

export default suite
