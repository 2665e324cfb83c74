// The per-host rate limit: a token bucket in arrival order, abortable waits, and an engine whose
// getRepo requests to a loopback host never come faster than the limit allows.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getRepoSource, MirrorEngine, SqliteMirrorStore } from '../src/index.ts'
import { TokenBucket } from '../src/rate-limit.ts'
import { carOf, keysOf, makeAccount, type TestAccount } from './fixtures.ts'

describe('TokenBucket', () => {
  it('serves the burst at once, then one token per 1/rate seconds, in arrival order', async () => {
    const bucket = new TokenBucket({ requestsPerSecond: 20, burst: 2 })
    const t0 = performance.now()
    const order: number[] = []
    const at: number[] = []
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        bucket.take().then(() => {
          order.push(i)
          at.push(performance.now() - t0)
        }),
      ),
    )
    expect(order).toEqual([0, 1, 2, 3, 4, 5])
    // tokens 3..6 need (n - burst) / rate seconds of refill: a lower bound, never faster
    for (let i = 2; i < 6; i++) expect(at[i]).toBeGreaterThanOrEqual(((i - 1) / 20) * 1000 - 2)
  })

  it('an aborted wait rejects with the reason and takes no token', async () => {
    const bucket = new TokenBucket({ requestsPerSecond: 10, burst: 1 })
    await bucket.take()
    const ctrl = new AbortController()
    const waiting = bucket.take(ctrl.signal)
    const next = bucket.take()
    expect(bucket.waiting).toBe(2)
    ctrl.abort(new Error('stopped'))
    await expect(waiting).rejects.toThrow('stopped')
    const t0 = performance.now()
    await next
    // the aborted waiter's token went to the next one: about one interval, not two
    expect(performance.now() - t0).toBeLessThan(1000)
    expect(bucket.waiting).toBe(0)
    const done = new AbortController()
    done.abort(new Error('already'))
    await expect(bucket.take(done.signal)).rejects.toThrow('already')
  })

  it('refuses a rate or burst that is not positive', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => new TokenBucket({ requestsPerSecond: bad })).toThrow(RangeError)
    expect(() => new TokenBucket({ requestsPerSecond: 1, burst: 0 })).toThrow(RangeError)
    expect(() => new TokenBucket({ requestsPerSecond: 1, burst: 1.5 })).toThrow(RangeError)
    expect(new TokenBucket({ requestsPerSecond: 0.5 }).burst).toBe(1)
  })
})

describe('MirrorEngine rateLimit', () => {
  const accounts: TestAccount[] = []
  const cars = new Map<string, Uint8Array>()
  const requests: number[] = []
  let server: Server
  let url: string
  beforeAll(async () => {
    for (let i = 0; i < 6; i++) {
      const a = await makeAccount(`did:plc:ratelimit${String(i).padStart(15, '0')}`, 3)
      accounts.push(a)
      cars.set(a.did, await carOf(a))
    }
    server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x')
      if (u.pathname !== '/xrpc/com.atproto.sync.getRepo') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
        return
      }
      const car = cars.get(u.searchParams.get('did') ?? '')
      if (car === undefined) {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"RepoNotFound"}')
        return
      }
      res.writeHead(200, { 'content-type': 'application/vnd.ipld.car' }).end(car)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })

  it('starts getRepo requests no faster than the limit, however high the concurrency', async () => {
    const store = SqliteMirrorStore.open(':memory:')
    const plain = getRepoSource(url)
    const engine = new MirrorEngine({
      store,
      service: url,
      // the limit applies over any source: note when each request is let go
      repoSource: (did, signal) => {
        requests.push(performance.now())
        return plain(did, signal)
      },
      dids: accounts.map((a) => a.did),
      keys: keysOf(...accounts),
      live: false,
      concurrency: 6,
      rateLimit: { requestsPerSecond: 10, burst: 1 },
    })
    await engine.start()
    await engine.idle(20_000)
    await engine.stop()
    expect(store.status().repos.active).toBe(6)
    expect(requests).toHaveLength(6)
    const gaps = requests.slice(1).map((t, i) => t - (requests[i] as number))
    // one token per 100 ms: the span of six requests is at least five intervals
    expect((requests[5] as number) - (requests[0] as number)).toBeGreaterThanOrEqual(500 - 10)
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(100 - 10)
    store.close()
  })
})
