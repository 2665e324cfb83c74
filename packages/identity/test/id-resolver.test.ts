import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HandleMismatchError, HandleNotFoundError, IdResolver } from '../src/index.ts'
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.ts'
import { k256Keypair, multikeyOf, plcDoc } from './helpers/docs.ts'
import { json, startHttpServer, type TestHttpServer, text } from './helpers/http-server.ts'

let dns: TestDnsServer
let http: TestHttpServer
beforeAll(async () => {
  ;[dns, http] = await Promise.all([startDnsServer(), startHttpServer()])
})
afterAll(async () => {
  await Promise.all([dns.close(), http.close()])
})

const key = (await k256Keypair()).did()
const D = (s: string): string => `did:plc:${s.padEnd(24, 'z')}`

function id(): IdResolver {
  return new IdResolver({
    timeoutMs: 1000,
    did: { plcUrl: http.origin },
    handle: {
      nameservers: [dns.address],
      wellKnownUrl: (h) => `${http.origin}/${h}/.well-known/atproto-did`,
    },
  })
}

function account(handle: string, did: string, claimed = handle): void {
  dns.zone.set(`_atproto.${handle.toLowerCase()}`, [[`did=${did}`]])
  http.routes.set(`/${did}`, json(plcDoc({ did, multikey: multikeyOf(key), handle: claimed })))
}

describe('IdResolver bidirectional verification', () => {
  it('handle -> DID -> document claiming the handle', async () => {
    account('alice.test', D('alice'))
    const r = await id().resolveHandle('alice.test')
    expect(r.did).toBe(D('alice'))
    expect(r.handle).toBe('alice.test')
    expect(r.document.id).toBe(D('alice'))
  })
  it('mixed case on both sides is normalised', async () => {
    account('carol.test', D('carol'), 'Carol.TEST')
    expect((await id().resolveHandle('CAROL.test')).handle).toBe('carol.test')
  })
  it('document claiming another handle is a mismatch', async () => {
    account('mallory.test', D('alice2'), 'alice2.test')
    const err = await id()
      .resolveHandle('mallory.test')
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HandleMismatchError)
    expect(err).toMatchObject({ handle: 'mallory.test', did: D('alice2'), documentHandle: 'alice2.test' })
  })
  it('a cached document that predates a handle change is refreshed once', async () => {
    const r = id()
    account('old.test', D('henry'))
    await r.resolveHandle('old.test')
    account('new.test', D('henry'))
    expect((await r.resolveHandle('new.test')).handle).toBe('new.test')
    expect(http.hitCount(`/${D('henry')}`)).toBe(2)
    await expect(r.resolveHandle('old.test')).rejects.toBeInstanceOf(HandleMismatchError)
    expect(http.hitCount(`/${D('henry')}`)).toBe(3)
  })
  it('handle that resolves nowhere', async () => {
    await expect(id().resolveHandle('ghost.test')).rejects.toBeInstanceOf(HandleNotFoundError)
    await expect(id().resolveHandle('ghost.test')).rejects.toMatchObject({ transient: false })
    await expect(id().resolveHandle('bad handle')).rejects.toBeInstanceOf(HandleNotFoundError)
  })
  it('DID -> document -> handle -> same DID', async () => {
    account('dave.test', D('dave'))
    expect(await id().resolveDid(D('dave'))).toMatchObject({
      did: D('dave'),
      handle: 'dave.test',
      claimedHandle: 'dave.test',
    })
  })
  it('a claimed handle pointing at another DID is not verified', async () => {
    account('erin.test', D('erin'))
    http.routes.set(
      `/${D('eve')}`,
      json(plcDoc({ did: D('eve'), multikey: multikeyOf(key), handle: 'erin.test' })),
    )
    expect(await id().resolveDid(D('eve'))).toMatchObject({
      did: D('eve'),
      handle: undefined,
      claimedHandle: 'erin.test',
    })
  })
  it('HTTPS well-known counts for verification too', async () => {
    http.routes.set('/frank.test/.well-known/atproto-did', text(D('frank')))
    http.routes.set(
      `/${D('frank')}`,
      json(plcDoc({ did: D('frank'), multikey: multikeyOf(key), handle: 'frank.test' })),
    )
    expect((await id().resolveDid(D('frank'))).handle).toBe('frank.test')
    expect(await id().resolveAtprotoKey(D('frank'))).toBe(key)
  })
})
