// @atproto/identity pointed at the same loopback servers. What can be compared: DID documents
// (plc and did:web:localhost), signing keys, atproto data, failures by category, the HTTPS handle
// method (through a fetch that maps https://<handle>/ to the loopback server) and the TXT record
// rule (their parseDnsResult on the records our UDP client fetched). Not comparable: their DNS
// path always uses the system resolver or port-53 backups, so it cannot reach a test server on a
// custom port.
import { Resolver } from 'node:dns/promises'
import { DidResolver as AtDidResolver, HandleResolver as AtHandleResolver } from '@atproto/identity'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DidResolver, didFromTxtRecords, HandleResolver, IdentityError } from '../src/index.ts'
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.ts'
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
  type Route,
  startHttpServer,
  status,
  type TestHttpServer,
  text,
} from './helpers/http-server.ts'

let http: TestHttpServer
let dns: TestDnsServer
beforeAll(async () => {
  ;[http, dns] = await Promise.all([startHttpServer(), startDnsServer()])
})
afterAll(async () => {
  await Promise.all([http.close(), dns.close()])
})

const k256 = (await k256Keypair()).did()
const p256 = (await p256Keypair()).did()
const D = (s: string): string => `did:plc:${s.padEnd(24, 'q')}`

const ours = (): DidResolver =>
  new DidResolver({ plcUrl: http.origin, timeoutMs: 300, cache: null, allowLocalhost: true })
const theirs = (): AtDidResolver =>
  new AtDidResolver({ plcUrl: http.origin, timeout: 300, fetch: globalThis.fetch })

type Outcome = { ok: unknown; key?: string | undefined; data?: unknown } | { fail: string }

async function outcome(
  run: () => Promise<unknown>,
  extra: (doc: unknown) => Promise<Partial<Outcome>>,
): Promise<Outcome> {
  try {
    const doc = await run()
    if (doc === null) return { fail: 'not-found' }
    return { ok: doc, ...(await extra(doc)) } as Outcome
  } catch (err) {
    if (err instanceof IdentityError) {
      const map: Record<string, string> = { DID_NOT_FOUND: 'not-found' }
      return { fail: map[err.code] ?? 'error' }
    }
    return { fail: 'error' }
  }
}

// Each case builds its route for the DID under test.
const docCases: [string, (did: string) => Route][] = [
  ['k256 Multikey', (did) => json(plcDoc({ did, multikey: multikeyOf(k256) }))],
  ['p256 Multikey', (did) => json(plcDoc({ did, multikey: multikeyOf(p256) }))],
  [
    'string @context',
    (did) => json(plcDoc({ did, multikey: multikeyOf(k256), context: 'https://www.w3.org/ns/did/v1' })),
  ],
  ['absolute ids', (did) => json(plcDoc({ did, multikey: multikeyOf(k256), absoluteIds: true }))],
  [
    'legacy k256',
    (did) =>
      json({
        ...plcDoc({ did, multikey: '' }),
        verificationMethod: [
          {
            id: '#atproto',
            type: 'EcdsaSecp256k1VerificationKey2019',
            controller: did,
            publicKeyMultibase: legacyMultibase('k256', K256_PRIV),
          },
        ],
      }),
  ],
  [
    'legacy p256',
    (did) =>
      json({
        ...plcDoc({ did, multikey: '' }),
        verificationMethod: [
          {
            id: '#atproto',
            type: 'EcdsaSecp256r1VerificationKey2019',
            controller: did,
            publicKeyMultibase: legacyMultibase('p256', P256_PRIV),
          },
        ],
      }),
  ],
  [
    'map endpoint',
    (did) =>
      json({
        ...plcDoc({ did, multikey: multikeyOf(k256) }),
        service: [
          { id: '#x', type: 'X', serviceEndpoint: { a: 'b' } },
          { id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: 'https://pds.test' },
        ],
      }),
  ],
  [
    'no signing key',
    (did) => json({ ...plcDoc({ did, multikey: multikeyOf(k256) }), verificationMethod: [] }),
  ],
  ['id mismatch', () => json(plcDoc({ did: D('zzz'), multikey: multikeyOf(k256) }))],
  ['malformed JSON', () => (_q, r) => r.end('{"id":')],
  ['wrong shape', (did) => json({ id: did, alsoKnownAs: 'at://x.test' })],
  ['404', () => status(404)],
  ['500', () => status(500)],
  ['never answers', () => hang],
  // We stop at 512 KiB; the reference reads everything and then fails to parse it.
  ['10 MB body', () => huge(10 * 1024 * 1024)],
]

describe('DID documents, keys and failures: same as @atproto/identity', () => {
  it.each(docCases.map((c, i) => [c[0], i] as const))('%s', async (_name, i) => {
    const did = D(`case${i}`)
    http.routes.set(`/${did}`, docCases[i]![1](did))
    const a = await outcome(
      () => ours().resolve(did),
      async () => ({
        key: await ours()
          .resolveAtprotoKey(did)
          .catch(() => undefined),
      }),
    )
    const b = await outcome(
      () => theirs().resolve(did),
      async () => ({
        key: await theirs()
          .resolveAtprotoKey(did)
          .catch(() => undefined),
      }),
    )
    expect(a).toEqual(b)
    if (i < 7) expect(a).toMatchObject({ ok: { id: did } })
  })

  it('did:web on localhost', async () => {
    const web = await startHttpServer()
    const did = `did:web:localhost%3A${web.port}`
    web.routes.set(
      '/.well-known/did.json',
      json(plcDoc({ did, multikey: multikeyOf(p256), handle: 'web.test' })),
    )
    const a = await ours().resolveAtprotoData(did)
    const b = await theirs().resolveAtprotoData(did)
    expect(a).toEqual(b)
    await web.close()
  })

  it('pins the known divergences', async () => {
    // PLC answers 410 for tombstoned DIDs: we call it not found, the reference throws a generic error.
    http.routes.set(`/${D('gone')}`, status(410))
    expect(
      await outcome(
        () => ours().resolve(D('gone')),
        async () => ({}),
      ),
    ).toEqual({ fail: 'not-found' })
    expect(
      await outcome(
        () => theirs().resolve(D('gone')),
        async () => ({}),
      ),
    ).toEqual({ fail: 'error' })
    // did:web 500: the reference reports "not found" (null) for every non-2xx; we keep it an error.
    const web = await startHttpServer()
    const did = `did:web:localhost%3A${web.port}`
    web.routes.set('/.well-known/did.json', status(500))
    expect(
      await outcome(
        () => ours().resolve(did),
        async () => ({}),
      ),
    ).toEqual({ fail: 'error' })
    expect(
      await outcome(
        () => theirs().resolve(did),
        async () => ({}),
      ),
    ).toEqual({ fail: 'not-found' })
    await web.close()
  })
})

describe('handles: same as @atproto/identity where comparable', () => {
  const mapFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const u = new URL(String(input))
    return fetch(`${http.origin}/${u.hostname}${u.pathname}`, init)
  }
  const our = (): HandleResolver =>
    new HandleResolver({
      dnsQuery: null,
      timeoutMs: 300,
      wellKnownUrl: (h) => `${http.origin}/${h}/.well-known/atproto-did`,
    })
  const their = (): AtHandleResolver =>
    new AtHandleResolver({ timeout: 300, fetch: mapFetch as typeof fetch })

  it.each([
    ['plain', text(D('h1'))],
    ['spaces around', text(` ${D('h2')} \n`)],
    ['404 empty', status(404)],
    ['not a DID', text('hello world')],
    ['never answers', hang],
  ])('HTTPS method: %s', async (name, route) => {
    const handle = `${name.replace(/\W/g, '')}.test`
    http.routes.set(`/${handle}/.well-known/atproto-did`, route)
    const a = await our()
      .resolveHttp(handle)
      .catch(() => undefined)
    const b = await their().resolveHttp(handle)
    expect(a).toEqual(b)
  })

  it('HTTPS divergences: status and trailing lines are checked by us only', async () => {
    http.routes.set('/s500.test/.well-known/atproto-did', text(D('h3'), 500))
    expect(
      await our()
        .resolveHttp('s500.test')
        .catch(() => undefined),
    ).toBeUndefined()
    expect(await their().resolveHttp('s500.test')).toBe(D('h3'))
    // The spec asks clients to strip surrounding whitespace; the reference reads only the first line.
    http.routes.set('/ws.test/.well-known/atproto-did', text(`\n${D('h5')}`))
    expect(await our().resolveHttp('ws.test')).toBe(D('h5'))
    expect(await their().resolveHttp('ws.test')).toBeUndefined()
    http.routes.set('/lines.test/.well-known/atproto-did', text(`${D('h4')}\ngarbage`))
    expect(await our().resolveHttp('lines.test')).toBeUndefined()
    expect(await their().resolveHttp('lines.test')).toBe(D('h4'))
  })

  const txtCases: [string, string[][], 'same' | 'diverge'][] = [
    ['one record', [[`did=${D('t1')}`]], 'same'],
    ['chunked', [['did=', D('t2')]], 'same'],
    ['other records ignored', [['v=spf1'], [`did=${D('t3')}`]], 'same'],
    ['conflict', [[`did=${D('t4')}`], [`did=${D('t5')}`]], 'same'],
    ['none', [['hello']], 'same'],
    ['same DID twice', [[`did=${D('t6')}`], [`did=${D('t6')}`]], 'diverge'],
    ['invalid DID value', [['did=not a did']], 'diverge'],
  ]
  it.each(txtCases)(
    'TXT rule on records fetched from the UDP server: %s (%s)',
    async (name, records, expectSame) => {
      const qname = `_atproto.${name.replace(/\W/g, '').toLowerCase()}.test`
      dns.zone.set(qname, records)
      const cares = new Resolver({ timeout: 1000, tries: 1 })
      cares.setServers([dns.address])
      const chunks = await cares.resolveTxt(qname)
      let a: string | undefined
      try {
        a = didFromTxtRecords(
          'x.test',
          chunks.map((c) => c.join('')),
        )
      } catch {
        a = undefined
      }
      const b = (their() as unknown as { parseDnsResult(c: string[][]): string | undefined }).parseDnsResult(
        chunks,
      )
      if (expectSame === 'same') expect(a).toEqual(b)
      else expect(a).not.toEqual(b)
    },
  )
})
