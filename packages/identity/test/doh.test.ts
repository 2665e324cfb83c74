// DNS over HTTPS against a real loopback HTTP server that relays RFC 8484 POST bodies to the
// loopback UDP DNS server, so the zone and the answers are the same as the UDP tests use.
import { createSocket } from 'node:dgram'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDohTxtQuery, DnsError, HandleResolver, HttpStatusError } from '../src/index.ts'
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.ts'
import { type Route, startHttpServer, status, type TestHttpServer } from './helpers/http-server.ts'

const DID_A = 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'
let dns: TestDnsServer
let http: TestHttpServer

const relay: Route = (req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    if (req.method !== 'POST' || req.headers['content-type'] !== 'application/dns-message') {
      res.statusCode = 415
      res.end()
      return
    }
    const sock = createSocket('udp4')
    sock.on('message', (msg) => {
      res.setHeader('content-type', 'application/dns-message')
      res.end(msg)
      sock.close()
    })
    sock.send(Buffer.concat(chunks), dns.port, '127.0.0.1')
  })
}

beforeAll(async () => {
  ;[dns, http] = await Promise.all([startDnsServer(), startHttpServer()])
  http.routes.set('/dns-query', relay)
  http.routes.set('/broken', status(500))
  http.routes.set('/garbage', (_q, res) => res.end('not dns'))
})
afterAll(async () => {
  await Promise.all([dns.close(), http.close()])
})

describe('createDohTxtQuery', () => {
  const handles = (servers: string[], backups: string[] = []): HandleResolver =>
    new HandleResolver({
      dnsQuery: createDohTxtQuery(),
      nameservers: servers,
      backupNameservers: backups,
      wellKnownUrl: () => `${http.origin}/none`,
      timeoutMs: 1000,
    })
  it('resolves a TXT record through the DoH endpoint', async () => {
    dns.zone.set('_atproto.doh.test', [[`did=${DID_A}`]])
    expect(await handles([`${http.origin}/dns-query`]).resolve('doh.test')).toBe(DID_A)
  })
  it('NXDOMAIN is no answer; SERVFAIL is an error', async () => {
    const q = createDohTxtQuery()
    expect(
      await q({ name: '_atproto.nope.test', server: `${http.origin}/dns-query`, timeoutMs: 1000 }),
    ).toEqual([])
    dns.zone.set('_atproto.sf.test', 'servfail')
    await expect(
      q({ name: '_atproto.sf.test', server: `${http.origin}/dns-query`, timeoutMs: 1000 }),
    ).rejects.toBeInstanceOf(DnsError)
  })
  it('HTTP errors and garbage are errors, and the next endpoint is tried', async () => {
    const q = createDohTxtQuery()
    await expect(
      q({ name: '_atproto.x.test', server: `${http.origin}/broken`, timeoutMs: 1000 }),
    ).rejects.toBeInstanceOf(HttpStatusError)
    await expect(
      q({ name: '_atproto.x.test', server: `${http.origin}/garbage`, timeoutMs: 1000 }),
    ).rejects.toBeInstanceOf(DnsError)
    dns.zone.set('_atproto.fo.test', [[`did=${DID_A}`]])
    expect(await handles([`${http.origin}/broken`], [`${http.origin}/dns-query`]).resolve('fo.test')).toBe(
      DID_A,
    )
  })
})
