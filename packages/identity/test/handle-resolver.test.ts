import { Resolver } from 'node:dns/promises'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseNameserver, queryTxtUdp } from '../src/dns.node.ts'
import {
  DnsError,
  type DnsTxtQuery,
  didFromTxtRecords,
  HandleDnsConflictError,
  HandleResolver,
  type HandleResolverOptions,
  ResolutionTimeoutError,
  ResponseTooLargeError,
} from '../src/index.ts'
import { deadUdpPort, startDnsServer, type TestDnsServer } from './helpers/dns-server.ts'
import {
  hang,
  huge,
  redirect,
  startHttpServer,
  status,
  type TestHttpServer,
  text,
} from './helpers/http-server.ts'

const DID_A = 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'
const DID_B = 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb'

let dns: TestDnsServer
let backup: TestDnsServer
let http: TestHttpServer
let other: TestHttpServer
let dead: string
beforeAll(async () => {
  ;[dns, backup, http, other] = await Promise.all([
    startDnsServer(),
    startDnsServer(),
    startHttpServer(),
    startHttpServer(),
  ])
  dead = await deadUdpPort()
})
afterAll(async () => {
  await Promise.all([dns.close(), backup.close(), http.close(), other.close()])
})

const wellKnown = (h: string): string => `${http.origin}/${h}/.well-known/atproto-did`
const resolver = (opts: HandleResolverOptions = {}): HandleResolver =>
  new HandleResolver({ timeoutMs: 1000, nameservers: [dns.address], wellKnownUrl: wellKnown, ...opts })
const dnsOnly = (opts: HandleResolverOptions = {}): HandleResolver =>
  resolver({ wellKnownUrl: () => `${http.origin}/nothing-here`, ...opts })
const httpOnly = (opts: HandleResolverOptions = {}): HandleResolver => resolver({ dnsQuery: null, ...opts })

describe('DNS TXT method against a UDP server on loopback', () => {
  it('resolves a did= record', async () => {
    dns.zone.set('_atproto.txt1.test', [[`did=${DID_A}`]])
    expect(await dnsOnly().resolve('txt1.test')).toBe(DID_A)
    expect(dns.queries('_atproto.txt1.test')).toBe(1)
  })
  it('joins chunked strings and ignores other records and invalid DIDs', async () => {
    dns.zone.set('_atproto.txt2.test', [
      ['v=spf1 -all'],
      ['did=did:plc:', 'aaaaaaaaaaaaaaaaaaaaaaaa'],
      ['did=not a did'],
    ])
    expect(await dnsOnly().resolve('txt2.test')).toBe(DID_A)
  })
  it('the same DID twice is fine', async () => {
    dns.zone.set('_atproto.txt3.test', [[`did=${DID_A}`], [`did=${DID_A}`]])
    expect(await dnsOnly().resolve('txt3.test')).toBe(DID_A)
  })
  it('conflicting TXT records are rejected', async () => {
    dns.zone.set('_atproto.conflict.test', [[`did=${DID_A}`], [`did=${DID_B}`]])
    const err = await dnsOnly()
      .resolveDns('conflict.test')
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HandleDnsConflictError)
    expect(err).toMatchObject({ code: 'HANDLE_DNS_CONFLICT', dids: [DID_A, DID_B] })
    expect(await dnsOnly().resolve('conflict.test')).toBeUndefined()
  })
  it('mixed-case handles are normalised before the query', async () => {
    dns.zone.set('_atproto.mixed.test', [[`did=${DID_A}`]])
    expect(await dnsOnly().resolve('MiXeD.TeSt')).toBe(DID_A)
    expect(dns.queries('_atproto.mixed.test')).toBe(1)
  })
  it('follows a CNAME in the same answer', async () => {
    dns.zone.set('_atproto.target.test', [[`did=${DID_B}`]])
    dns.zone.set('_atproto.alias.test', { cname: '_atproto.target.test' })
    expect(await dnsOnly().resolve('alias.test')).toBe(DID_B)
  })
  it('NXDOMAIN is no answer', async () => {
    expect(await dnsOnly().resolve('nothing.test')).toBeUndefined()
  })
  it('a down primary fails over to the backup (port 53 is not assumed)', async () => {
    backup.zone.set('_atproto.down.test', [[`did=${DID_A}`]])
    expect(
      await dnsOnly({ nameservers: [dead], backupNameservers: [backup.address] }).resolve('down.test'),
    ).toBe(DID_A)
    expect(backup.queries('_atproto.down.test')).toBe(1)
  })
  it.each(['drop', 'servfail', 'refused', 'truncated', 'garbage'] as const)(
    'primary answering %s fails over to the next server',
    async (mode) => {
      const name = `${mode}.test`
      dns.zone.set(`_atproto.${name}`, mode)
      backup.zone.set(`_atproto.${name}`, [[`did=${DID_B}`]])
      const r = dnsOnly({ timeoutMs: 300, backupNameservers: [backup.address] })
      expect(await r.resolve(name)).toBe(DID_B)
      expect(backup.queries(`_atproto.${name}`)).toBe(1)
    },
  )
  it('primary with no record: backups are asked (propagation)', async () => {
    backup.zone.set('_atproto.prop.test', [[`did=${DID_A}`]])
    expect(await dnsOnly({ backupNameservers: [backup.address] }).resolve('prop.test')).toBe(DID_A)
  })
  it('every server down: resolveDns raises, resolve gives undefined', async () => {
    const r = dnsOnly({ nameservers: [dead], backupNameservers: [dead] })
    await expect(r.resolveDns('x.test')).rejects.toBeInstanceOf(DnsError)
    expect(await r.resolve('x.test')).toBeUndefined()
  })
  it('a silent server times out', async () => {
    dns.zone.set('_atproto.silent.test', 'drop')
    const err = await dnsOnly({ timeoutMs: 200 })
      .resolveDns('silent.test')
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResolutionTimeoutError)
  })
})

describe('HTTPS well-known method against an HTTP server on loopback', () => {
  it('resolves a text body, trimming whitespace', async () => {
    http.routes.set('/web1.test/.well-known/atproto-did', text(`  ${DID_A}\n`))
    expect(await httpOnly().resolve('web1.test')).toBe(DID_A)
  })
  it.each([
    ['404', status(404)],
    ['500 with a DID body', text(DID_A, 500)],
    ['not a DID', text('hello')],
    ['two lines', text(`${DID_A}\n${DID_B}`)],
  ])('%s gives undefined', async (_n, route) => {
    http.routes.set('/web2.test/.well-known/atproto-did', route)
    expect(await httpOnly().resolve('web2.test')).toBeUndefined()
  })
  it('oversized body is refused', async () => {
    http.routes.set('/big.test/.well-known/atproto-did', huge(10 * 1024 * 1024))
    await expect(httpOnly().resolveHttp('big.test')).rejects.toBeInstanceOf(ResponseTooLargeError)
    expect(await httpOnly().resolve('big.test')).toBeUndefined()
  })
  it('a server that never answers times out', async () => {
    http.routes.set('/hang.test/.well-known/atproto-did', hang)
    await expect(httpOnly({ timeoutMs: 200 }).resolveHttp('hang.test')).rejects.toBeInstanceOf(
      ResolutionTimeoutError,
    )
  })
  it('same-host redirects are followed; cross-host only when configured', async () => {
    http.routes.set('/r.test/.well-known/atproto-did', redirect('/r.test/elsewhere'))
    http.routes.set('/r.test/elsewhere', text(DID_A))
    expect(await httpOnly().resolve('r.test')).toBe(DID_A)
    other.routes.set('/final', text(DID_B))
    http.routes.set('/rx.test/.well-known/atproto-did', redirect(`${other.origin}/final`))
    await expect(httpOnly().resolveHttp('rx.test')).rejects.toMatchObject({ code: 'REDIRECT_REFUSED' })
    expect(await httpOnly({ redirects: { allowCrossHost: true } }).resolve('rx.test')).toBe(DID_B)
  })
})

describe('both methods at once', () => {
  it('DNS answer wins while HTTP hangs, and the HTTP request is aborted', async () => {
    dns.zone.set('_atproto.race1.test', [[`did=${DID_A}`]])
    http.routes.set('/race1.test/.well-known/atproto-did', hang)
    expect(await resolver({ timeoutMs: 5000 }).resolve('race1.test')).toBe(DID_A)
  })
  it('HTTP answer wins while DNS is silent; the DNS query is aborted', async () => {
    dns.zone.set('_atproto.race2.test', 'drop')
    http.routes.set('/race2.test/.well-known/atproto-did', text(DID_B))
    let aborted: AbortSignal | undefined
    const spy: DnsTxtQuery = (req) => {
      aborted = req.signal
      return queryTxtUdp(req)
    }
    expect(await resolver({ timeoutMs: 5000, dnsQuery: spy }).resolve('race2.test')).toBe(DID_B)
    expect(aborted?.aborted).toBe(true)
  })
  it('conflicting DNS does not block a valid HTTP answer', async () => {
    dns.zone.set('_atproto.both.test', [[`did=${DID_A}`], [`did=${DID_B}`]])
    http.routes.set('/both.test/.well-known/atproto-did', text(DID_B))
    expect(await resolver().resolve('both.test')).toBe(DID_B)
  })
  it('neither answers: undefined', async () => {
    expect(await resolver().resolve('none.test')).toBeUndefined()
  })
  it.each(['not a handle', 'laptop.local', 'x.onion', 'a.arpa', '', 'handle.invalid'])(
    'unresolvable handle %j gives undefined without any query',
    async (h) => {
      const before = [...http.hits.values()].reduce((a, b) => a + b, 0)
      expect(await resolver().resolve(h)).toBeUndefined()
      expect([...http.hits.values()].reduce((a, b) => a + b, 0)).toBe(before)
    },
  )
  it('caller abort rejects with its reason', async () => {
    dns.zone.set('_atproto.abort.test', 'drop')
    http.routes.set('/abort.test/.well-known/atproto-did', hang)
    const ac = new AbortController()
    const p = resolver({ timeoutMs: 5000 }).resolve('abort.test', { signal: ac.signal })
    setTimeout(() => ac.abort(new Error('user cancelled')), 30)
    await expect(p).rejects.toThrow('user cancelled')
  })
})

describe('UDP client vs node:dns (c-ares) on the same server and port', () => {
  it('same TXT records', async () => {
    dns.zone.set('_atproto.diff.test', [['did=did:plc:', 'x'.repeat(24)], ['other'], [`did=${DID_A}`]])
    const cares = new Resolver({ timeout: 1000, tries: 1 })
    cares.setServers([dns.address])
    const theirs = (await cares.resolveTxt('_atproto.diff.test')).map((c) => c.join(''))
    const ours = await queryTxtUdp({ name: '_atproto.diff.test', server: dns.address, timeoutMs: 1000 })
    expect(ours.sort()).toEqual(theirs.sort())
  })
  it('parses nameserver strings', () => {
    expect(parseNameserver('1.2.3.4')).toEqual({ host: '1.2.3.4', port: 53 })
    expect(parseNameserver('1.2.3.4:5353')).toEqual({ host: '1.2.3.4', port: 5353 })
    expect(parseNameserver('::1')).toEqual({ host: '::1', port: 53 })
    expect(parseNameserver('[::1]:5300')).toEqual({ host: '::1', port: 5300 })
    expect(() => parseNameserver('dns.google')).toThrow(TypeError)
    expect(() => parseNameserver('1.2.3.4:70000')).toThrow(TypeError)
  })
})

describe('didFromTxtRecords properties', () => {
  const didArb = fc.constantFrom(DID_A, DID_B, 'did:web:x.test')
  const rec = fc.oneof(
    didArb.map((d) => `did=${d}`),
    fc.string({ maxLength: 20 }),
    fc.constant('did=not a did'),
  )
  it('order does not matter; the answer is one of the records or a conflict', () => {
    fc.assert(
      fc.property(fc.array(rec, { maxLength: 6 }), fc.integer(), (records, seed) => {
        const shuffled = [...records].sort(
          (a, b) => ((a.length * 31 + seed) % 7) - ((b.length * 31 + seed) % 7),
        )
        const run = (rs: string[]): string => {
          try {
            return didFromTxtRecords('h.test', rs) ?? 'none'
          } catch (err) {
            expect(err).toBeInstanceOf(HandleDnsConflictError)
            return 'conflict'
          }
        }
        const a = run(records)
        expect(run(shuffled)).toBe(a)
        const dids = new Set(records.filter((r) => r.startsWith('did=did:')).map((r) => r.slice(4)))
        expect(a).toBe(dids.size === 0 ? 'none' : dids.size === 1 ? [...dids][0] : 'conflict')
      }),
      { seed: 42, numRuns: 300 },
    )
  })
})

describe('truncated UDP answers', () => {
  it('are retried over TCP on the same server', async () => {
    const many = Array.from({ length: 40 }, (_, i) => [`filler-record-${i}-${'x'.repeat(60)}`])
    dns.zone.set('_atproto.large.test', { large: [...many, [`did=${DID_A}`]] })
    expect(await dnsOnly().resolve('large.test')).toBe(DID_A)
    expect(dns.queries('_atproto.large.test')).toBe(1)
    expect(dns.queries('tcp:_atproto.large.test')).toBe(1)
  })
})

describe('resolveDetailed', () => {
  it('found: says which method answered', async () => {
    dns.zone.set('_atproto.det1.test', [[`did=${DID_A}`]])
    expect(await resolver().resolveDetailed('det1.test')).toEqual({ did: DID_A, method: 'dns' })
    http.routes.set('/det2.test/.well-known/atproto-did', text(DID_B))
    expect(await resolver().resolveDetailed('det2.test')).toEqual({ did: DID_B, method: 'http' })
  })
  it('confirmed absent: both methods answered, not transient', async () => {
    const r = await resolver().resolveDetailed('det3.test')
    expect(r).toEqual({ did: undefined, dns: { status: 'none' }, http: { status: 'none' }, transient: false })
  })
  it('server trouble is transient', async () => {
    http.routes.set('/det4.test/.well-known/atproto-did', status(503))
    const r = await resolver({ nameservers: [dead] }).resolveDetailed('det4.test')
    expect(r.did).toBeUndefined()
    if (r.did === undefined) {
      expect(r.dns.status).toBe('failed')
      expect(r.http.status).toBe('failed')
      expect(r.transient).toBe(true)
    }
  })
  it('conflicts are reported with the DIDs', async () => {
    dns.zone.set('_atproto.det5.test', [[`did=${DID_A}`], [`did=${DID_B}`]])
    const r = await resolver().resolveDetailed('det5.test')
    expect(r).toMatchObject({
      did: undefined,
      dns: { status: 'conflict', dids: [DID_A, DID_B] },
      transient: false,
    })
  })
  it('unresolvable handles and missing DNS transport are skipped', async () => {
    expect(await resolver().resolveDetailed('x.local')).toMatchObject({
      dns: { status: 'skipped' },
      http: { status: 'skipped' },
    })
    expect(await httpOnly().resolveDetailed('det6.test')).toMatchObject({
      dns: { status: 'skipped' },
      http: { status: 'none' },
    })
  })
})
