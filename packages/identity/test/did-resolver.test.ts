import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DidDocumentIdMismatchError,
  DidDocumentInvalidError,
  DidNotFoundError,
  DidResolver,
  getAtprotoData,
  HttpStatusError,
  MissingHandleError,
  MissingPdsEndpointError,
  MissingSigningKeyError,
  NetworkError,
  PoorlyFormattedDidError,
  RedirectRefusedError,
  ResolutionTimeoutError,
  ResponseTooLargeError,
  UnsupportedDidMethodError,
} from '../src/index.ts'
import {
  K256_PRIV,
  k256Keypair,
  legacyMultibase,
  multikeyOf,
  P256_PRIV,
  p256Keypair,
  plcDoc,
} from './helpers/docs.ts'
import {
  hang,
  huge,
  json,
  redirect,
  startHttpServer,
  status,
  type TestHttpServer,
  text,
} from './helpers/http-server.ts'

let plc: TestHttpServer
let web: TestHttpServer
let other: TestHttpServer
// Computed at load time: it.each tables are built before beforeAll runs.
const k256Did = (await k256Keypair()).did()
const p256Did = (await p256Keypair()).did()
const did = (n: string): string => `did:plc:${n.padEnd(24, 'a')}`

beforeAll(async () => {
  plc = await startHttpServer()
  web = await startHttpServer()
  other = await startHttpServer()
})
afterAll(async () => {
  await Promise.all([plc.close(), web.close(), other.close()])
})

const resolver = (opts: Partial<ConstructorParameters<typeof DidResolver>[0]> = {}): DidResolver =>
  new DidResolver({ plcUrl: plc.origin, timeoutMs: 1000, cache: null, allowLocalhost: true, ...opts })

describe('did:plc documents of every shape', () => {
  const shapes = (): [string, Record<string, unknown>, string][] => [
    ['k256 Multikey', plcDoc({ did: did('k'), multikey: multikeyOf(k256Did) }), k256Did],
    ['p256 Multikey', plcDoc({ did: did('p'), multikey: multikeyOf(p256Did) }), p256Did],
    [
      'string @context',
      plcDoc({ did: did('c'), multikey: multikeyOf(k256Did), context: 'https://www.w3.org/ns/did/v1' }),
      k256Did,
    ],
    ['no @context', plcDoc({ did: did('n'), multikey: multikeyOf(k256Did), context: null }), k256Did],
    ['absolute ids', plcDoc({ did: did('f'), multikey: multikeyOf(k256Did), absoluteIds: true }), k256Did],
    [
      'legacy k256',
      {
        ...plcDoc({ did: did('lk'), multikey: '' }),
        verificationMethod: [
          {
            id: '#atproto',
            type: 'EcdsaSecp256k1VerificationKey2019',
            controller: did('lk'),
            publicKeyMultibase: legacyMultibase('k256', K256_PRIV),
          },
        ],
      },
      k256Did,
    ],
    [
      'legacy p256',
      {
        ...plcDoc({ did: did('lp'), multikey: '' }),
        verificationMethod: [
          {
            id: '#atproto',
            type: 'EcdsaSecp256r1VerificationKey2019',
            controller: did('lp'),
            publicKeyMultibase: legacyMultibase('p256', P256_PRIV),
          },
        ],
      },
      p256Did,
    ],
    [
      'map serviceEndpoint beside the PDS',
      {
        ...plcDoc({ did: did('m'), multikey: multikeyOf(k256Did) }),
        service: [
          { id: '#bsky_chat', type: 'BskyChat', serviceEndpoint: { origin: 'https://chat.test' } },
          {
            id: '#atproto_pds',
            type: 'AtprotoPersonalDataServer',
            serviceEndpoint: 'https://pds.example.com',
          },
        ],
      },
      k256Did,
    ],
  ]
  it.each(shapes().map((s) => [s[0], s] as const))('%s', async (_name, [, doc, key]) => {
    const id = doc['id'] as string
    plc.routes.set(`/${id}`, json(doc))
    const got = await resolver().resolve(id)
    expect(got).toEqual(doc)
    expect(getAtprotoData(got)).toEqual({
      did: id,
      handle: 'alice.test',
      signingKey: key,
      pds: 'https://pds.example.com',
    })
  })
})

describe('did:plc failures', () => {
  it('id mismatch', async () => {
    plc.routes.set(`/${did('mm')}`, json(plcDoc({ did: did('other'), multikey: multikeyOf(k256Did) })))
    const err = await resolver()
      .resolve(did('mm'))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DidDocumentIdMismatchError)
    expect(err).toMatchObject({ code: 'DID_DOCUMENT_ID_MISMATCH', did: did('mm'), documentId: did('other') })
  })
  it('10 MB streamed body without content-length', async () => {
    plc.routes.set(`/${did('big')}`, huge(10 * 1024 * 1024))
    const err = await resolver()
      .resolve(did('big'))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseTooLargeError)
    expect(err).toMatchObject({ code: 'RESPONSE_TOO_LARGE', limit: 512 * 1024 })
  })
  it('declared content-length over the cap', async () => {
    plc.routes.set(`/${did('cl')}`, json({ id: did('cl'), pad: 'x'.repeat(2000) }))
    const err = await resolver({ maxDocumentBytes: 1000 })
      .resolve(did('cl'))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseTooLargeError)
  })
  it('server that never answers: the timeout fires', async () => {
    plc.routes.set(`/${did('hang')}`, hang)
    const err = await resolver({ timeoutMs: 200 })
      .resolve(did('hang'))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResolutionTimeoutError)
    expect(err).toMatchObject({ code: 'RESOLUTION_TIMEOUT', timeoutMs: 200 })
  })
  it('caller abort rejects with the caller reason', async () => {
    plc.routes.set(`/${did('abort')}`, hang)
    const ac = new AbortController()
    const p = resolver({ timeoutMs: 5000 }).resolve(did('abort'), { signal: ac.signal })
    setTimeout(() => ac.abort(new Error('stop')), 50)
    await expect(p).rejects.toThrow('stop')
  })
  it.each([
    ['malformed JSON', '{"id": "did:plc:', 'invalid_json'],
    ['not an object', '[1,2]', 'invalid_type'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'invalid_utf8'],
  ] as const)('%s', async (_n, body, code) => {
    plc.routes.set(`/${did('bad')}`, (_q, res) => res.end(body))
    const err = await resolver()
      .resolve(did('bad'))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DidDocumentInvalidError)
    expect((err as DidDocumentInvalidError).issues[0]?.code).toBe(code)
  })
  it.each([404, 410])('HTTP %i is not found', async (code) => {
    plc.routes.set(`/${did(`s${code}`)}`, status(code))
    const err = await resolver()
      .resolve(did(`s${code}`))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DidNotFoundError)
    expect(err).toMatchObject({ code: 'DID_NOT_FOUND', status: code })
  })
  it.each([500, 502, 429, 204])('HTTP %i is an HTTP status error', async (code) => {
    plc.routes.set(`/${did(`e${code}`)}`, status(code))
    const err = await resolver()
      .resolve(did(`e${code}`))
      .catch((e: unknown) => e)
    if (code === 204) expect(err).toBeInstanceOf(DidDocumentInvalidError)
    else expect(err).toMatchObject({ code: 'HTTP_STATUS', status: code })
    if (code !== 204) expect(err).toBeInstanceOf(HttpStatusError)
  })
  it('connection refused is a network error', async () => {
    const dead = await startHttpServer()
    await dead.close()
    const err = await resolver({ plcUrl: dead.origin })
      .resolve(did('x'))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NetworkError)
  })
  it('same-host redirect followed, cross-host refused unless allowed', async () => {
    const doc = plcDoc({ did: did('r'), multikey: multikeyOf(k256Did) })
    plc.routes.set(`/${did('r')}`, redirect(`/moved/${did('r')}`))
    plc.routes.set(`/moved/${did('r')}`, json(doc))
    expect(await resolver().resolve(did('r'))).toEqual(doc)
    other.routes.set(`/x/${did('rx')}`, json({ ...doc, id: did('rx') }))
    plc.routes.set(`/${did('rx')}`, redirect(`${other.origin}/x/${did('rx')}`))
    const err = await resolver()
      .resolve(did('rx'))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RedirectRefusedError)
    expect(err).toMatchObject({ reason: 'cross-host redirect' })
    const ok = await resolver({ redirects: { allowCrossHost: true } }).resolve(did('rx'))
    expect(ok.id).toBe(did('rx'))
  })
  it('redirect loops stop', async () => {
    plc.routes.set(`/${did('loop')}`, redirect(`/${did('loop')}`))
    const err = await resolver()
      .resolve(did('loop'))
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'REDIRECT_REFUSED', reason: 'too many redirects' })
  })
})

describe('did:web', () => {
  it('resolves localhost with a port over http', async () => {
    const id = `did:web:localhost%3A${web.port}`
    const doc = plcDoc({ did: id, multikey: multikeyOf(p256Did), handle: 'bob.test' })
    web.routes.set('/.well-known/did.json', json(doc))
    const got = await resolver().resolve(id)
    expect(got).toEqual(doc)
    expect(getAtprotoData(got).signingKey).toBe(p256Did)
  })
  it('web failures: 404, 500, id mismatch', async () => {
    const id = `did:web:localhost%3A${web.port}`
    web.routes.set('/.well-known/did.json', status(404))
    await expect(resolver().resolve(id)).rejects.toBeInstanceOf(DidNotFoundError)
    web.routes.set('/.well-known/did.json', status(500))
    await expect(resolver().resolve(id)).rejects.toBeInstanceOf(HttpStatusError)
    web.routes.set('/.well-known/did.json', json(plcDoc({ did: 'did:web:evil.test', multikey: 'z' })))
    await expect(resolver().resolve(id)).rejects.toBeInstanceOf(DidDocumentIdMismatchError)
  })
  it.each([
    ['did:web:localhost%3A1', false, 'did:web:localhost is not allowed'],
    ['did:web:example.com:user:alice', true, 'did:web paths are not supported'],
    ['did:web:example.com%3A8443', true, 'ports are only allowed for localhost'],
    ['did:web:1.2.3.4', true, 'did:web host is not a valid hostname'],
    ['did:web:foo.onion', true, 'did:web host has a disallowed TLD'],
    ['did:web:laptop.local', true, 'did:web host has a disallowed TLD'],
    ['did:web:localhost%3A99999', true, 'invalid port'],
    ['did:web:bad%zz.com', true, 'invalid percent-encoding'],
  ] as const)('%s is refused', async (id, allowLocalhost, reason) => {
    const err = await resolver({ allowLocalhost })
      .resolve(id)
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PoorlyFormattedDidError)
    expect(err).toMatchObject({ code: 'DID_POORLY_FORMATTED', reason })
  })
})

describe('bad DIDs and methods', () => {
  it.each(['did', 'did:', 'did:plc', 'DID:plc:abc', 'did:plc:abc#frag', '', 'did:plc:abc/path'])(
    '%j',
    async (d) => {
      await expect(resolver().resolve(d)).rejects.toBeInstanceOf(PoorlyFormattedDidError)
    },
  )
  it('unsupported method', async () => {
    const err = await resolver()
      .resolve('did:example:123')
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UnsupportedDidMethodError)
    expect(err).toMatchObject({ method: 'example' })
  })
  it('did:key keys pass through resolveAtprotoKey without a request', async () => {
    expect(await resolver().resolveAtprotoKey(k256Did)).toBe(k256Did)
  })
})

describe('getAtprotoData named errors', () => {
  const id = did('atp')
  const full = (): Record<string, unknown> => plcDoc({ did: id, multikey: multikeyOf(k256Did) })
  it('missing handle', () => {
    expect(() =>
      getAtprotoData({ ...full(), id, alsoKnownAs: ['https://x.test', 'at://not a handle'] }),
    ).toThrow(MissingHandleError)
  })
  it('missing key: none, wrong controller, unknown type, undecodable', () => {
    const vm = (over: object) => ({
      ...full(),
      id,
      verificationMethod: [
        {
          id: '#atproto',
          type: 'Multikey',
          controller: id,
          publicKeyMultibase: multikeyOf(k256Did),
          ...over,
        },
      ],
    })
    expect(() => getAtprotoData({ ...full(), id, verificationMethod: [] })).toThrow(MissingSigningKeyError)
    expect(() => getAtprotoData(vm({ controller: did('zz') }))).toThrow(MissingSigningKeyError)
    expect(() => getAtprotoData(vm({ type: 'Ed25519VerificationKey2020' }))).toThrow(MissingSigningKeyError)
    expect(() => getAtprotoData(vm({ publicKeyMultibase: 'zNotAKey' }))).toThrow(MissingSigningKeyError)
    expect(() => getAtprotoData(vm({ id: '#other' }))).toThrow(MissingSigningKeyError)
  })
  it('first valid key wins', () => {
    const doc = {
      ...full(),
      id,
      verificationMethod: [
        { id: '#atproto', type: 'Multikey', controller: id, publicKeyMultibase: 'zbroken' },
        { id: `${id}#atproto`, type: 'Multikey', controller: id, publicKeyMultibase: multikeyOf(p256Did) },
      ],
    }
    expect(getAtprotoData(doc).signingKey).toBe(p256Did)
  })
  it('missing PDS: wrong type, map endpoint, non-http URL', () => {
    const svc = (over: object) => ({
      ...full(),
      id,
      service: [
        {
          id: '#atproto_pds',
          type: 'AtprotoPersonalDataServer',
          serviceEndpoint: 'https://pds.test',
          ...over,
        },
      ],
    })
    expect(() => getAtprotoData(svc({ type: 'Other' }))).toThrow(MissingPdsEndpointError)
    expect(() => getAtprotoData(svc({ serviceEndpoint: { uri: 'https://pds.test' } }))).toThrow(
      MissingPdsEndpointError,
    )
    expect(() => getAtprotoData(svc({ serviceEndpoint: 'ftp://pds.test' }))).toThrow(MissingPdsEndpointError)
    expect(() => getAtprotoData(svc({ serviceEndpoint: 'https://' }))).toThrow(MissingPdsEndpointError)
    expect(getAtprotoData(svc({})).pds).toBe('https://pds.test')
  })
  it('handle is normalised to lower case', () => {
    expect(getAtprotoData({ ...full(), id, alsoKnownAs: ['at://Alice.TEST'] }).handle).toBe('alice.test')
  })
})

it('text routes are reachable (helper sanity)', async () => {
  other.routes.set('/t', text('x'))
  expect(await (await fetch(`${other.origin}/t`)).text()).toBe('x')
})

describe('more network edge cases', () => {
  it('headers sent, then the body stalls: the timeout still fires', async () => {
    plc.routes.set(`/${did('stall')}`, (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"id": "')
    })
    const err = await resolver({ timeoutMs: 200 })
      .resolve(did('stall'))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResolutionTimeoutError)
  })
  it('https to http redirect downgrade is refused even when cross-host is allowed', async () => {
    // No TLS server on loopback here, so the https hop is answered by an injected fetch.
    const seen: string[] = []
    const fetch = async (url: string): Promise<Response> => {
      seen.push(url)
      return new Response(null, {
        status: 302,
        headers: { location: 'http://example.com/.well-known/did.json' },
      })
    }
    const r = new DidResolver({ cache: null, fetch, redirects: { allowCrossHost: true } })
    const err = await r.resolve('did:web:example.com').catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'REDIRECT_REFUSED', reason: 'https to http downgrade' })
    expect(seen).toEqual(['https://example.com/.well-known/did.json'])
  })
  it('redirect to a non-http scheme is refused', async () => {
    plc.routes.set(`/${did('scheme')}`, redirect('file:///etc/passwd'))
    const err = await resolver({ redirects: { allowCrossHost: true } })
      .resolve(did('scheme'))
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'REDIRECT_REFUSED', reason: 'not an http(s) URL' })
  })
  it('bad options are caller mistakes', () => {
    expect(() => new DidResolver({ plcUrl: 'ftp://x' })).toThrow(TypeError)
    expect(() => new DidResolver({ plcUrl: 'not a url' })).toThrow(TypeError)
    expect(() => new DidResolver({ timeoutMs: 0 })).toThrow(RangeError)
  })
  it('works with an async cache implementation', async () => {
    const { MemoryCache } = await import('../src/index.ts')
    const inner = new MemoryCache()
    let gets = 0
    const cache = {
      get: async (d: string) => {
        gets++
        return inner.get(d)
      },
      set: async (d: string, doc: Parameters<typeof inner.set>[1]) => inner.set(d, doc),
      delete: async (d: string) => inner.delete(d),
      clear: async () => inner.clear(),
    }
    const id = did('async')
    plc.routes.set(`/${id}`, json(plcDoc({ did: id, multikey: multikeyOf(k256Did) })))
    const r = new DidResolver({ plcUrl: plc.origin, cache })
    await r.resolve(id)
    await r.resolve(id)
    expect(gets).toBe(2)
    expect(plc.hitCount(`/${id}`)).toBe(1)
  })
})
