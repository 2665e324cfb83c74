// Against the official PDS and PLC directory on loopback (@atproto/dev-env).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Secp256k1Keypair as PlcKeypair } from '@atproto/crypto'
import { TestNetworkNoAppView } from '@atproto/dev-env'
import { readCar } from '@atproto/repo'
import * as plc from '@did-plc/lib'
import { Secp256k1Keypair } from '@rsky/crypto'
import { IdResolver } from '@rsky/identity'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServiceJwt, PasswordSession, XrpcClient } from '../src/index.ts'
import { toNodeListener } from '../src/node.ts'
import { createFeedGenerator } from './feed-generator.ts'
import { FEED_LEXICONS, realLexicons } from './fixtures.ts'

const LXM = 'app.bsky.feed.getFeedSkeleton'
let net: TestNetworkNoAppView
let pdsClient: XrpcClient
let session: PasswordSession
let alice: { did: string; handle: string }
let fg: { did: string; url: string; http: Server; seen: string[] }
const feedUri = 'at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/app.bsky.feed.generator/hot'

async function registerServiceDid(plcUrl: string, endpoint: string): Promise<string> {
  const key = await PlcKeypair.create()
  const op = await plc.signOperation(
    {
      type: 'plc_operation',
      verificationMethods: { atproto: key.did() },
      rotationKeys: [key.did()],
      alsoKnownAs: [],
      services: { bsky_fg: { type: 'BskyFeedGenerator', endpoint } },
      prev: null,
    },
    key,
  )
  const did = await plc.didForCreateOp(op)
  await new plc.Client(plcUrl).sendOperation(did, op)
  return did
}

beforeAll(async () => {
  net = await TestNetworkNoAppView.create({})
  pdsClient = new XrpcClient({ service: net.pds.url, retry: false })
  // The feed generator: listen first (its DID document needs the port), then register the DID.
  const seen: string[] = []
  let handler: ReturnType<typeof toNodeListener> | undefined
  const http = createServer((req, res) => (handler ? handler(req, res) : res.writeHead(503).end()))
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  const did = await registerServiceDid(net.plc.url, url)
  const server = createFeedGenerator({
    serviceDid: did,
    lexicons: realLexicons(...FEED_LEXICONS),
    resolver: new IdResolver({ did: { plcUrl: net.plc.url } }),
    // This PDS version still sends a bare DID as `aud` when proxying (checked: strict refuses it).
    allowBareDidAudience: true,
    feeds: {
      [feedUri]: (viewer) => {
        seen.push(viewer)
        return ['at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/app.bsky.feed.post/3jzfcijpj2z2a']
      },
    },
  })
  handler = toNodeListener(server)
  fg = { did, url, http, seen }
})

afterAll(async () => {
  await new Promise<void>((r) => fg?.http.close(() => r()))
  fg?.http.closeAllConnections()
  await net?.close()
})

describe('client against the official PDS', () => {
  it('creates an account and logs in with a password session', async () => {
    const created = new PasswordSession({ service: net.pds.url })
    const data = await created.createAccount({
      email: 'alice@test.com',
      handle: 'alice.test',
      password: 'alice-pass',
    })
    alice = { did: data.did, handle: data.handle }
    expect(created.session?.accessJwt).toBeTypeOf('string')
    const taken = await pdsClient
      .procedure('com.atproto.server.createAccount', {
        email: 'b@test.com',
        handle: 'alice.test',
        password: 'x',
      })
      .catch((e) => e)
    expect([taken.status, taken.error, taken.message]).toEqual([
      400,
      'InvalidRequest',
      'Handle already taken: alice.test',
    ])
    session = new PasswordSession({ service: net.pds.url })
    await session.login({ identifier: 'alice.test', password: 'alice-pass' })
    expect(session.session?.did).toBe(alice.did)
    const wrong = await new PasswordSession({ service: net.pds.url })
      .login({ identifier: 'alice.test', password: 'nope' })
      .catch((e) => e)
    expect([wrong.status, wrong.error]).toEqual([401, 'AuthenticationRequired'])
  })

  it('writes and reads records, lists them with paging', async () => {
    const client = new XrpcClient({ service: net.pds.url, auth: session, retry: false })
    const uris: string[] = []
    for (let i = 0; i < 5; i++) {
      const { data } = await client.procedure<{ uri: string; cid: string }>('com.atproto.repo.createRecord', {
        repo: alice.did,
        collection: 'app.bsky.feed.post',
        record: { $type: 'app.bsky.feed.post', text: `post ${i}`, createdAt: new Date().toISOString() },
      })
      uris.push(data.uri)
    }
    const rkey = uris[0]?.split('/').pop()
    const { data: got } = await client.query<{ value: { text: string } }>('com.atproto.repo.getRecord', {
      repo: alice.did,
      collection: 'app.bsky.feed.post',
      rkey,
    })
    expect(got.value.text).toBe('post 0')
    const listed: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const { data } = await client.query<{ records: { uri: string }[]; cursor?: string }>(
        'com.atproto.repo.listRecords',
        {
          repo: alice.did,
          collection: 'app.bsky.feed.post',
          limit: 2,
          cursor,
        },
      )
      listed.push(...data.records.map((r) => r.uri))
      cursor = data.records.length === 2 ? data.cursor : undefined
      pages++
    } while (cursor && pages < 10)
    expect(new Set(listed)).toEqual(new Set(uris))
    expect(pages).toBeGreaterThanOrEqual(3)
    const missing = await client
      .query('com.atproto.repo.getRecord', {
        repo: alice.did,
        collection: 'app.bsky.feed.post',
        rkey: '3zzzzzzzzzzzz',
      })
      .catch((e) => e)
    expect([missing.status, missing.error]).toEqual([400, 'RecordNotFound'])
  })

  it('uploads a blob (bytes in) and fetches the repo CAR (stream out)', async () => {
    const client = new XrpcClient({ service: net.pds.url, auth: session, retry: false })
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Array(1000).fill(1)])
    const { data } = await client.procedure<{
      blob: { ref: { $link: string }; size: number; mimeType: string }
    }>('com.atproto.repo.uploadBlob', png, { encoding: 'image/png' })
    expect([data.blob.size, data.blob.mimeType]).toEqual([png.length, 'image/png'])
    const { data: stream, headers } = await client.query<ReadableStream<Uint8Array>>(
      'com.atproto.sync.getRepo',
      { did: alice.did },
      { responseType: 'stream' },
    )
    expect(headers.get('content-type')).toContain('application/vnd.ipld.car')
    const bytes = new Uint8Array(await new Response(stream).arrayBuffer())
    const car = await readCar(bytes)
    expect(car.roots.length).toBe(1)
    expect(car.blocks.size).toBeGreaterThan(5)
  })

  it('refreshes the session once for concurrent callers and keeps working', async () => {
    // Access tokens minted in the same second are identical (no jti); refresh tokens carry one.
    const before = session.session?.refreshJwt
    const [a, b] = await Promise.all([session.refresh(), session.refresh()])
    expect(a).toBe(b)
    expect(session.refreshCount).toBe(1)
    expect(session.session?.refreshJwt).not.toBe(before)
    const client = new XrpcClient({ service: net.pds.url, auth: session, retry: false })
    const { data } = await client.query<{ did: string }>('com.atproto.server.getSession')
    expect(data.did).toBe(alice.did)
  })
})

describe('service auth with PDS-minted tokens', () => {
  const getToken = async (params: Record<string, unknown>) => {
    const client = new XrpcClient({ service: net.pds.url, auth: session, retry: false })
    return (await client.query<{ token: string }>('com.atproto.server.getServiceAuth', params)).data.token
  }
  const callFeed = async (token: string | undefined) => {
    const client = new XrpcClient({
      service: fg.url,
      retry: false,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    })
    return client.query<{ feed: { post: string }[] }>(LXM, { feed: feedUri }).then(
      (r) => ({ status: 200, error: '', feed: r.data.feed }),
      (e) => ({ status: e.status as number, error: e.error as string, feed: [] }),
    )
  }

  it('accepts a getServiceAuth token for our aud and lxm', async () => {
    const res = await callFeed(await getToken({ aud: `${fg.did}#bsky_fg`, lxm: LXM }))
    expect(res.status).toBe(200)
    expect(res.feed.length).toBe(1)
    expect(fg.seen.at(-1)).toBe(alice.did)
  })

  it('refuses another aud, another lxm, an expired token, another key, and none', async () => {
    expect(
      await callFeed(await getToken({ aud: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa#bsky_fg', lxm: LXM })),
    ).toMatchObject({
      status: 401,
      error: 'BadJwtAudience',
    })
    expect(
      await callFeed(await getToken({ aud: `${fg.did}#bsky_fg`, lxm: 'app.bsky.feed.getTimeline' })),
    ).toMatchObject({
      status: 401,
      error: 'BadJwtLexiconMethod',
    })
    // The PDS refuses to mint an already-expired token, so expiry is checked with one that lives
    // 2 s (the shortest it mints) verified after it lapsed plus the 30 s skew, by a clock moved ahead.
    const short = await getToken({
      aud: `${fg.did}#bsky_fg`,
      lxm: LXM,
      exp: Math.floor(Date.now() / 1000) + 2,
    })
    const { ServiceAuthVerifier } = await import('../src/index.ts')
    const later = new ServiceAuthVerifier({
      audience: `${fg.did}#bsky_fg`,
      keys: new IdResolver({ did: { plcUrl: net.plc.url } }),
      now: () => Date.now() + 60_000,
    })
    await expect(later.verify(short, { lxm: LXM })).rejects.toMatchObject({ error: 'JwtExpired' })
    const forged = await createServiceJwt({
      iss: alice.did,
      aud: `${fg.did}#bsky_fg`,
      lxm: LXM,
      keypair: Secp256k1Keypair.create(),
    })
    expect(await callFeed(forged)).toMatchObject({ status: 401, error: 'BadJwtSignature' })
    expect(await callFeed(undefined)).toMatchObject({ status: 401, error: 'AuthenticationRequired' })
  })

  it('PDS proxying: atproto-proxy sends the request PDS -> our server with the PDS-minted token', async () => {
    const client = new XrpcClient({
      service: net.pds.url,
      auth: session,
      retry: false,
      proxy: `${fg.did}#bsky_fg`,
    })
    const before = fg.seen.length
    const { data } = await client.query<{ feed: { post: string }[] }>(LXM, { feed: feedUri })
    expect(data.feed.length).toBe(1)
    expect(fg.seen.length).toBe(before + 1)
    expect(fg.seen.at(-1)).toBe(alice.did)
    const { data: described } = await client.query<{ did: string }>('app.bsky.feed.describeFeedGenerator')
    expect(described.did).toBe(fg.did)
  })
})
