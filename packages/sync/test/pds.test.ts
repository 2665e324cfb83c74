// The official PDS and PLC directory on loopback (@atproto/dev-env) as the source: accounts
// created, posts, likes, follows, deletes, applyWrites batches, a handle change, deactivate and
// activate, consumed by the Firehose across a restart with a shared SyncStore. At the end the
// state of every account equals getRepo (rev and records) and nothing was rejected.
import { TestNetworkNoAppView } from '@atproto/dev-env'
import { IdResolver } from '@rsky/identity'
import { loadRepoCar } from '@rsky/repo'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Firehose, type FirehoseEvent } from '../src/firehose.ts'
import { MemorySyncStore } from '../src/sync-store.ts'

type Seed = ReturnType<TestNetworkNoAppView['getSeedClient']>
type Did = `did:${string}:${string}`

let net: TestNetworkNoAppView
let sc: Seed

beforeAll(async () => {
  net = await TestNetworkNoAppView.create({})
  sc = net.getSeedClient()
}, 60_000)

afterAll(async () => {
  await net?.close()
})

async function account(name: string): Promise<Did> {
  await sc.createAccount(name, { email: `${name}@test.com`, handle: `${name}.test`, password: 'password' })
  return sc.dids[name] as Did
}

async function xrpc(did: Did, nsid: string, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = { ...sc.getHeaders(did) }
  const init: RequestInit = { method: 'POST', headers }
  if (body !== undefined) {
    headers['content-type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  const res = await fetch(`${net.pds.url}/xrpc/${nsid}`, init)
  if (!res.ok) throw new Error(`${nsid} failed: ${res.status} ${await res.text()}`)
  const text = await res.text()
  return text ? JSON.parse(text) : undefined
}

/** What getRepo holds: its rev and `collection/rkey cid` for every record. */
async function held(did: string): Promise<{ rev: string; records: string[] }> {
  const res = await fetch(`${net.pds.url}/xrpc/com.atproto.sync.getRepo?did=${encodeURIComponent(did)}`)
  if (!res.ok) throw new Error(`getRepo ${res.status}`)
  const loaded = await loadRepoCar(new Uint8Array(await res.arrayBuffer()), { did })
  const records: string[] = []
  for await (const leaf of loaded.tree.walkLeaves()) records.push(`${leaf.key} ${leaf.value}`)
  return { rev: loaded.commit.rev ?? '', records: records.sort() }
}

/** Applies delivered commits (and resyncs) to a record table per DID, keyed so replays are no-ops. */
class Sink {
  readonly records = new Map<string, Map<string, string>>()
  apply(e: FirehoseEvent): void {
    if (e.type !== 'commit' || e.verified === null) return
    let t = this.records.get(e.did)
    if (t === undefined) {
      t = new Map()
      this.records.set(e.did, t)
    }
    for (const op of e.verified.ops) {
      if (op.action === 'delete') t.delete(op.path)
      else t.set(op.path, String(op.cid))
    }
  }
  list(did: string): string[] {
    return [...(this.records.get(did) ?? new Map())].map(([p, c]) => `${p} ${c}`).sort()
  }
}

describe('Firehose against the official PDS (dev-env)', () => {
  it('follows every account through posts, likes, follows, deletes, batches, a handle change and deactivation, across a restart', async () => {
    const service = net.pds.url.replace(/^http/, 'ws')
    const keys = new IdResolver({ did: { plcUrl: net.plc.url, timeoutMs: 5000 } })
    const store = new MemorySyncStore()
    const sink = new Sink()
    const rejected: string[] = []
    const errors: unknown[] = []
    const types = new Map<string, number>()
    const start = () => {
      const fh = new Firehose({
        service,
        keys,
        store,
        reconnect: { minDelayMs: 10, maxDelayMs: 100 },
        onEvent: (e) => {
          types.set(e.type, (types.get(e.type) ?? 0) + 1)
          sink.apply(e)
        },
        onReject: (r) => rejected.push(`${r.seq} ${r.code} ${r.message}`),
        onResync: () => {
          throw new Error('no resync expected')
        },
        onError: (e) => errors.push(e),
      })
      return fh
    }
    const settle = async (fh: Firehose) => {
      // the PDS sequences asynchronously: wait until the saved cursor stops moving and is the head
      const { data } = await sc.agent.com.atproto.sync.listRepos({})
      expect(data.repos.length).toBeGreaterThan(0)
      const end = Date.now() + 15_000
      let last = -1
      let still = 0
      while (Date.now() < end && still < 20) {
        await new Promise((r) => setTimeout(r, 25))
        const c = fh.cursor ?? -1
        still = c === last && fh.pending === 0 ? still + 1 : 0
        last = c
      }
    }

    // run 1: accounts and the first writes
    const fh1 = start()
    await fh1.start()
    const alice = await account('alice')
    const bob = await account('bob')
    const carol = await account('carol')
    const p1 = await sc.post(alice, 'hello')
    const p2 = await sc.post(bob, 'hi alice')
    await sc.like(bob, p1.ref)
    await sc.follow(alice, bob)
    await sc.follow(carol, alice)
    await settle(fh1)
    await fh1.stop()
    const firstCursor = fh1.cursor

    // between runs (the consumer is down): more writes, replayed from the cursor on restart
    const p3 = await sc.post(carol, 'while you were away')
    await sc.like(alice, p2.ref)

    // run 2: same store, resumes from its cursor
    const fh2 = start()
    await fh2.start()
    await sc.deletePost(alice, p1.ref.uri)
    const batch = await xrpc(alice, 'com.atproto.repo.applyWrites', {
      repo: alice,
      writes: [1, 2, 3].map((i) => ({
        $type: 'com.atproto.repo.applyWrites#create',
        collection: 'app.bsky.feed.post',
        value: { $type: 'app.bsky.feed.post', text: `batch ${i}`, createdAt: new Date().toISOString() },
      })),
    })
    expect((batch as { results: unknown[] }).results.length).toBe(3)
    await xrpc(bob, 'com.atproto.identity.updateHandle', { handle: 'bobby.test' })
    await xrpc(carol, 'com.atproto.server.deactivateAccount', {})
    await xrpc(carol, 'com.atproto.server.activateAccount')
    await sc.post(carol, 'back again')
    await sc.like(carol, p3.ref)
    await settle(fh2)
    await fh2.stop()

    expect(rejected).toEqual([])
    expect(errors).toEqual([])
    expect(firstCursor).toBeGreaterThan(0)
    expect(fh2.cursor).toBeGreaterThan(firstCursor as number)
    for (const t of ['commit', 'identity', 'account']) expect(types.get(t) ?? 0, t).toBeGreaterThan(0)
    // the PDS sends a #sync at the rev already held after account creation and activation: normal
    // traffic, ignored (neither delivered nor rejected)
    expect(fh1.stats.ignored + fh2.stats.ignored).toBeGreaterThan(0)
    expect(types.get('sync')).toBeUndefined()
    for (const did of [alice, bob, carol]) {
      const h = await held(did)
      expect(store.getRepo(did)).toMatchObject({ rev: h.rev, status: 'synchronized' })
      expect(sink.list(did)).toEqual(h.records)
      expect(h.records.length).toBeGreaterThan(0)
    }
    expect(store.getAccount(carol)).toBeUndefined() // active again
  }, 120_000)
})
