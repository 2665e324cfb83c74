import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DAY_MS,
  DidNotFoundError,
  DidResolver,
  HOUR_MS,
  MemoryCache,
  MissingSigningKeyError,
} from '../src/index.ts'
import { K256_PRIV_2, k256Keypair, multikeyOf, plcDoc } from './helpers/docs.ts'
import { json, type Route, startHttpServer, status, type TestHttpServer } from './helpers/http-server.ts'

let plc: TestHttpServer
beforeAll(async () => {
  plc = await startHttpServer()
})
afterAll(() => plc.close())

const keyA = await k256Keypair()
const keyB = await k256Keypair(K256_PRIV_2)
let n = 0
const freshDid = (): string => `did:plc:cache${String(++n).padStart(19, '0')}`

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_700_000_000_000
  return {
    now: () => t,
    advance: (ms) => {
      t += ms
    },
  }
}

function delayed(route: Route, ms: number): Route {
  return (req, res) => void setTimeout(() => route(req, res), ms)
}

function setup(opts: { cache?: MemoryCache } = {}) {
  const c = clock()
  const cache = opts.cache ?? new MemoryCache({ now: c.now })
  const resolver = new DidResolver({ plcUrl: plc.origin, cache, timeoutMs: 2000 })
  return { c, cache, resolver }
}

describe('MemoryCache', () => {
  it('defaults: stale after 1 h, expired after 1 day', () => {
    const cache = new MemoryCache()
    expect(cache.staleTtlMs).toBe(HOUR_MS)
    expect(cache.maxTtlMs).toBe(DAY_MS)
    expect(HOUR_MS).toBe(3_600_000)
  })
  it('classifies age', () => {
    const c = clock()
    const cache = new MemoryCache({ now: c.now })
    cache.set('did:plc:a', { id: 'did:plc:a' })
    expect(cache.get('did:plc:a')).toMatchObject({ stale: false, expired: false })
    c.advance(HOUR_MS + 1)
    expect(cache.get('did:plc:a')).toMatchObject({ stale: true, expired: false })
    c.advance(DAY_MS)
    expect(cache.get('did:plc:a')).toMatchObject({ stale: true, expired: true })
    expect(cache.get('did:plc:a')).toBeUndefined()
  })
  it('evicts the least recently used entry', () => {
    const cache = new MemoryCache({ maxEntries: 2 })
    cache.set('a', { id: 'did:plc:a' })
    cache.set('b', { id: 'did:plc:b' })
    cache.get('a')
    cache.set('c', { id: 'did:plc:c' })
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('a')).toBeDefined()
    expect(cache.size).toBe(2)
  })
  it('rejects bad options', () => {
    expect(() => new MemoryCache({ staleTtlMs: 10, maxTtlMs: 5 })).toThrow(RangeError)
    expect(() => new MemoryCache({ maxEntries: 0 })).toThrow(RangeError)
  })
})

describe('DidResolver caching, measured by server hits', () => {
  it('fresh hits do not touch the server', async () => {
    const { resolver } = setup()
    const id = freshDid()
    plc.routes.set(`/${id}`, json(plcDoc({ did: id, multikey: multikeyOf(keyA.did()) })))
    for (let i = 0; i < 5; i++) await resolver.resolve(id)
    expect(plc.hitCount(`/${id}`)).toBe(1)
  })

  it('concurrent lookups of one DID share one request', async () => {
    const { resolver } = setup()
    const id = freshDid()
    plc.routes.set(`/${id}`, delayed(json(plcDoc({ did: id, multikey: multikeyOf(keyA.did()) })), 100))
    const docs = await Promise.all(Array.from({ length: 25 }, () => resolver.resolve(id)))
    expect(new Set(docs).size).toBe(1)
    expect(plc.hitCount(`/${id}`)).toBe(1)
  })

  it('a caller aborting does not fail the others sharing the request', async () => {
    const { resolver } = setup()
    const id = freshDid()
    plc.routes.set(`/${id}`, delayed(json(plcDoc({ did: id, multikey: multikeyOf(keyA.did()) })), 100))
    const ac = new AbortController()
    const a = resolver.resolve(id, { signal: ac.signal })
    const b = resolver.resolve(id)
    ac.abort(new Error('gave up'))
    await expect(a).rejects.toThrow('gave up')
    expect((await b).id).toBe(id)
    expect(plc.hitCount(`/${id}`)).toBe(1)
  })

  it('stale entries are served while exactly one background refresh runs', async () => {
    const { resolver, c } = setup()
    const id = freshDid()
    const v1 = plcDoc({ did: id, multikey: multikeyOf(keyA.did()), handle: 'v1.test' })
    const v2 = plcDoc({ did: id, multikey: multikeyOf(keyA.did()), handle: 'v2.test' })
    plc.routes.set(`/${id}`, json(v1))
    await resolver.resolve(id)
    plc.routes.set(`/${id}`, delayed(json(v2), 50))
    c.advance(HOUR_MS + 1)
    const served = await Promise.all(Array.from({ length: 10 }, () => resolver.resolve(id)))
    for (const d of served) expect(d.alsoKnownAs).toEqual(['at://v1.test'])
    await resolver.whenIdle()
    expect(plc.hitCount(`/${id}`)).toBe(2)
    expect((await resolver.resolve(id)).alsoKnownAs).toEqual(['at://v2.test'])
    expect(plc.hitCount(`/${id}`)).toBe(2)
  })

  it('a failed background refresh keeps the stale entry and reports the error', async () => {
    const errors: unknown[] = []
    const c = clock()
    const resolver = new DidResolver({
      plcUrl: plc.origin,
      cache: new MemoryCache({ now: c.now }),
      onRefreshError: (err) => errors.push(err),
    })
    const id = freshDid()
    plc.routes.set(`/${id}`, json(plcDoc({ did: id, multikey: multikeyOf(keyA.did()) })))
    await resolver.resolve(id)
    plc.routes.set(`/${id}`, status(500))
    c.advance(HOUR_MS + 1)
    expect((await resolver.resolve(id)).id).toBe(id)
    await resolver.whenIdle()
    expect(errors).toHaveLength(1)
    expect((await resolver.resolve(id)).id).toBe(id)
  })

  it('expired entries are not served: the lookup waits for the server', async () => {
    const { resolver, c } = setup()
    const id = freshDid()
    plc.routes.set(`/${id}`, json(plcDoc({ did: id, multikey: multikeyOf(keyA.did()), handle: 'old.test' })))
    await resolver.resolve(id)
    plc.routes.set(`/${id}`, json(plcDoc({ did: id, multikey: multikeyOf(keyA.did()), handle: 'new.test' })))
    c.advance(DAY_MS + 1)
    expect((await resolver.resolve(id)).alsoKnownAs).toEqual(['at://new.test'])
    expect(plc.hitCount(`/${id}`)).toBe(2)
  })

  it('forceRefresh and refresh() fetch; resolveNoCache leaves the cache alone', async () => {
    const { resolver, cache } = setup()
    const id = freshDid()
    plc.routes.set(`/${id}`, json(plcDoc({ did: id, multikey: multikeyOf(keyA.did()) })))
    await resolver.resolveNoCache(id)
    expect(cache.get(id)).toBeUndefined()
    await resolver.resolve(id)
    await resolver.resolve(id, { forceRefresh: true })
    await resolver.refresh(id)
    expect(plc.hitCount(`/${id}`)).toBe(4)
  })

  it('a DID that disappears is dropped from the cache', async () => {
    const { resolver, cache } = setup()
    const id = freshDid()
    plc.routes.set(`/${id}`, json(plcDoc({ did: id, multikey: multikeyOf(keyA.did()) })))
    await resolver.resolve(id)
    plc.routes.set(`/${id}`, status(410))
    await expect(resolver.refresh(id)).rejects.toBeInstanceOf(DidNotFoundError)
    expect(cache.get(id)).toBeUndefined()
  })

  it('errors are not cached', async () => {
    const { resolver } = setup()
    const id = freshDid()
    plc.routes.set(`/${id}`, status(500))
    await expect(resolver.resolve(id)).rejects.toThrow()
    await expect(resolver.resolve(id)).rejects.toThrow()
    expect(plc.hitCount(`/${id}`)).toBe(2)
  })
})

describe('key rotation', () => {
  const data = new TextEncoder().encode('signed bytes')

  it('retries once with a fresh document when the cached key fails', async () => {
    const { resolver } = setup()
    const id = freshDid()
    plc.routes.set(`/${id}`, json(plcDoc({ did: id, multikey: multikeyOf(keyA.did()) })))
    expect(await resolver.resolveAtprotoKey(id)).toBe(keyA.did())
    plc.routes.set(`/${id}`, json(plcDoc({ did: id, multikey: multikeyOf(keyB.did()) })))
    const sigB = await keyB.sign(data)
    expect(await resolver.verifySignatureForDid(id, data, sigB)).toBe(true)
    expect(plc.hitCount(`/${id}`)).toBe(2)
    expect(await resolver.resolveAtprotoKey(id)).toBe(keyB.did())
    expect(await resolver.verifySignatureForDid(id, data, sigB)).toBe(true)
    expect(plc.hitCount(`/${id}`)).toBe(2)
  })

  it('a bad signature costs one refresh when cached, none when just fetched', async () => {
    const { resolver } = setup()
    const id = freshDid()
    plc.routes.set(`/${id}`, json(plcDoc({ did: id, multikey: multikeyOf(keyA.did()) })))
    const forged = await keyB.sign(data)
    expect(await resolver.verifySignatureForDid(id, data, forged)).toBe(false)
    expect(plc.hitCount(`/${id}`)).toBe(1)
    expect(await resolver.verifySignatureForDid(id, data, forged)).toBe(false)
    expect(plc.hitCount(`/${id}`)).toBe(2)
    expect(await resolver.verifySignatureForDid(id, data, await keyA.sign(data))).toBe(true)
    expect(plc.hitCount(`/${id}`)).toBe(2)
  })

  it('a cached document without a key is refreshed before giving up', async () => {
    const { resolver } = setup()
    const id = freshDid()
    plc.routes.set(`/${id}`, json({ ...plcDoc({ did: id, multikey: 'z' }), verificationMethod: [] }))
    await resolver.resolve(id)
    plc.routes.set(`/${id}`, json(plcDoc({ did: id, multikey: multikeyOf(keyB.did()) })))
    expect(await resolver.verifySignatureForDid(id, data, await keyB.sign(data))).toBe(true)
    plc.routes.set(`/${id}`, json({ ...plcDoc({ did: id, multikey: 'z' }), verificationMethod: [] }))
    const fresh = new DidResolver({ plcUrl: plc.origin, cache: null })
    await expect(fresh.verifySignatureForDid(id, data, await keyB.sign(data))).rejects.toBeInstanceOf(
      MissingSigningKeyError,
    )
  })
  it('malformed signatures are false, not exceptions', async () => {
    const { resolver } = setup()
    const id = freshDid()
    plc.routes.set(`/${id}`, json(plcDoc({ did: id, multikey: multikeyOf(keyA.did()) })))
    for (const sig of [
      new Uint8Array(0),
      new Uint8Array(3),
      new Uint8Array(64),
      new Uint8Array(65).fill(255),
    ]) {
      expect(await resolver.verifySignatureForDid(id, data, sig)).toBe(false)
    }
  })
  it('did:key signers need no network', async () => {
    const { resolver } = setup()
    expect(await resolver.verifySignatureForDid(keyA.did(), data, await keyA.sign(data))).toBe(true)
    expect(await resolver.verifySignatureForDid(keyA.did(), data, await keyB.sign(data))).toBe(false)
  })
})
