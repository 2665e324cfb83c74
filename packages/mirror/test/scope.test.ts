// Scope by collection: `listReposByCollection` paged against a loopback host that has it, a clear
// SCOPE_UNSUPPORTED from one that lacks it (ours told to, and the official PDS, which has no such
// method), and the engine mirroring only repositories with a scoped collection, including one
// first met on the firehose; `collections` (the record filter) is a different thing, checked beside it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RecordWrite } from '@rsky/repo'
import { staticKeys } from '@rsky/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listReposByCollection, MirrorEngine, type MirrorStore, SqliteMirrorStore } from '../src/index.ts'
import { startRemotePds } from './remote-pds.ts'
import { SyntheticHost } from './synthetic-host.ts'

const POST = 'app.bsky.feed.post'
const FOLLOW = 'app.bsky.graph.follow'

let dir: string
let n = 0
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rsky-mirror-scope-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function recordsOf(store: MirrorStore): Promise<string[]> {
  const out: string[] = []
  for await (const r of store.records()) out.push(`${r.did} ${r.collection}/${r.rkey} ${r.cid}`)
  return out.sort()
}

async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('listReposByCollection', () => {
  it('follows every page of a host that has it (each DID once)', async () => {
    const host = await SyntheticHost.start({ accounts: 30, seed: 5, collections: [POST, FOLLOW] })
    try {
      const posts = await listReposByCollection(host.url, POST)
      expect(posts.length).toBe(15) // pages of 7: three pages
      expect(posts.sort()).toEqual(host.didsWith(POST).sort())
      expect((await listReposByCollection(host.url, FOLLOW)).sort()).toEqual(host.didsWith(FOLLOW).sort())
      expect(await listReposByCollection(host.url, 'app.bsky.feed.like')).toEqual([])
    } finally {
      await host.close()
    }
  })

  it('a collection that is not an NSID is a TypeError', async () => {
    await expect(listReposByCollection('http://127.0.0.1:1', 'not an nsid')).rejects.toThrow(TypeError)
    expect(
      () => new MirrorEngine({ store: {} as MirrorStore, service: 'http://x', scopeCollections: ['x'] }),
    ).toThrow(TypeError)
    expect(
      () =>
        new MirrorEngine({
          store: {} as MirrorStore,
          service: 'http://x',
          scopeCollections: [POST],
          dids: ['did:plc:a'],
        }),
    ).toThrow(/two scopes/)
  })

  it('a host without the method is SCOPE_UNSUPPORTED, and so is the engine start', async () => {
    const host = await SyntheticHost.start({ accounts: 3, seed: 6, byCollection: false })
    const store = SqliteMirrorStore.open(join(dir, `m${n++}.db`))
    try {
      await expect(listReposByCollection(host.url, POST)).rejects.toMatchObject({ code: 'SCOPE_UNSUPPORTED' })
      const engine = new MirrorEngine({
        store,
        service: host.url,
        scopeCollections: [POST],
        keys: staticKeys(host.keys()),
        live: false,
      })
      await expect(engine.start()).rejects.toMatchObject({ code: 'SCOPE_UNSUPPORTED' })
      await engine.stop()
      expect(store.status().repos.pending).toBe(0)
    } finally {
      store.close()
      await host.close()
    }
  })

  it('the official PDS lacks it: SCOPE_UNSUPPORTED', { timeout: 120_000 }, async () => {
    const pds = await startRemotePds()
    try {
      await pds.writer.newAccount()
      await expect(listReposByCollection(pds.writer.pdsUrl, POST)).rejects.toMatchObject({
        code: 'SCOPE_UNSUPPORTED',
      })
    } finally {
      await pds.close()
    }
  })
})

describe('MirrorEngine with scopeCollections', () => {
  it('mirrors only repositories with a scoped collection, every record of them, and one first seen live', {
    timeout: 60_000,
  }, async () => {
    const host = await SyntheticHost.start({ accounts: 10, seed: 7, collections: [POST, FOLLOW] })
    const store = SqliteMirrorStore.open(join(dir, `m${n++}.db`))
    const engine = new MirrorEngine({
      store,
      service: host.url,
      scopeCollections: [POST],
      keys: {
        // accounts made after start are looked up as they come
        resolveAtprotoKey: (did) => host.keys()[did] as string,
        verifySignatureForDid: (did, data, sig) =>
          staticKeys(host.keys()).verifySignatureForDid(did, data, sig),
      },
    })
    try {
      await engine.start()
      const scoped = new Set(host.didsWith(POST))
      expect(store.status().repos.pending + store.status().repos.active).toBe(5)
      await host.subscribed()
      for (let i = 0; i < 60; i++) await host.commitOne()
      // a new account writing posts (index 10: even, so POST) and one writing follows (index 11)
      const fresh = await host.addAccount()
      const other = await host.addAccount()
      // the new account's first commit only deletes: it enters at its next, which creates a post
      // (sent together, so an engine that applies runs of commits sees both in one run)
      const [first] = fresh.paths as [string]
      await host.commitTogether([
        { index: 10, writes: [{ action: 'delete', collection: POST, rkey: first.split('/')[1] as string }] },
        {
          index: 10,
          writes: [
            {
              action: 'create',
              collection: POST,
              rkey: '3kaaaaaaaaa22',
              record: { $type: POST, text: 'in' },
            },
          ],
        },
      ])
      for (let i = 0; i < 20; i++) await host.commitOn(10 + (i % 2))
      for (let i = 0; i < 60; i++) await host.commitOne()
      scoped.add(fresh.did)
      const want = async (): Promise<string[]> =>
        (await host.held()).filter((l) => scoped.has(l.split(' ')[0] as string)).sort()
      await until(
        async () => JSON.stringify(await recordsOf(store)) === JSON.stringify(await want()),
        30_000,
        'mirror',
      ).catch(async (err) => {
        const got = await recordsOf(store)
        const w = await want()
        console.log('STATUS', JSON.stringify(store.status()), engine.stats, got.length, w.length)
        console.log('MISSING', w.filter((l) => !got.includes(l)).slice(0, 5))
        console.log('EXTRA', got.filter((l) => !w.includes(l)).slice(0, 5))
        throw err
      })
      expect(store.mirrorRepo(other.did)).toBeUndefined()
      for (const did of host.didsWith(FOLLOW)) expect(store.mirrorRepo(did)).toBeUndefined()
      expect(store.mirrorRepo(fresh.did)?.phase).toBe('active')
      expect(engine.stats.rejected).toBe(0)
    } finally {
      await engine.stop()
      store.close()
      await host.close()
    }
  })

  it('a new DID whose first commit in a run only deletes enters by a later commit of the same run', {
    timeout: 60_000,
  }, async () => {
    const host = await SyntheticHost.start({ accounts: 10, seed: 7, collections: [POST, FOLLOW] })
    const store = SqliteMirrorStore.open(join(dir, `m${n++}.db`))
    const engine = new MirrorEngine({
      store,
      service: host.url,
      scopeCollections: [POST],
      keys: {
        resolveAtprotoKey: (did) => host.keys()[did] as string,
        verifySignatureForDid: (did, data, sig) =>
          staticKeys(host.keys()).verifySignatureForDid(did, data, sig),
      },
    })
    try {
      await engine.start()
      await engine.idle(30_000)
      await host.subscribed()
      const fresh = await host.addAccount()
      const rkey = (fresh.paths[0] as string).split('/')[1] as string
      // 40 commits, then the new account's delete-only commit and its post, in one socket write:
      // an engine applying runs of ready commits sees the last two in the same run
      const list: { index: number; writes: RecordWrite[] }[] = []
      for (let i = 0; i < 40; i++)
        list.push({
          index: i % 10,
          writes: [
            {
              action: 'create',
              collection: i % 2 === 1 ? FOLLOW : POST,
              rkey: `3kzzzzzz${'abcdefghij'[i % 10]}${'abcdefghij'[Math.floor(i / 10)]}22`,
              record: { $type: 'x', n: i },
            },
          ],
        })
      list.push({ index: 10, writes: [{ action: 'delete', collection: POST, rkey }] })
      list.push({
        index: 10,
        writes: [
          { action: 'create', collection: POST, rkey: '3kaaaaaaaaa22', record: { $type: POST, text: 'in' } },
        ],
      })
      await host.commitTogether(list)
      const scoped = new Set([...host.didsWith(POST)])
      const want = async (): Promise<string[]> =>
        (await host.held()).filter((l) => scoped.has(l.split(' ')[0] as string)).sort()
      await until(
        async () => JSON.stringify(await recordsOf(store)) === JSON.stringify(await want()),
        30_000,
        'mirror',
      )
      expect(store.mirrorRepo(fresh.did)?.phase).toBe('active')
    } finally {
      await engine.stop()
      store.close()
      await host.close()
    }
  })

  it('the filter keeps every repository and drops records; the scope drops repositories', {
    timeout: 60_000,
  }, async () => {
    // accounts alternate POST / FOLLOW
    const host = await SyntheticHost.start({ accounts: 6, seed: 8, collections: [POST, FOLLOW] })
    const posts = (await host.held()).filter((l) => l.includes(` ${POST}/`)).sort()
    const run = async (opts: {
      collections?: string[]
      scopeCollections?: string[]
    }): Promise<MirrorStore> => {
      const store = SqliteMirrorStore.open(join(dir, `m${n++}.db`))
      const engine = new MirrorEngine({
        store,
        service: host.url,
        keys: staticKeys(host.keys()),
        live: false,
        ...opts,
      })
      await engine.start()
      await engine.idle(30_000)
      await engine.stop()
      return store
    }
    try {
      const filtered = await run({ collections: [POST] })
      expect((await filtered.status()).repos.active).toBe(6) // FOLLOW repositories mirrored, with no record kept
      expect(await recordsOf(filtered)).toEqual(posts)
      filtered.close()
      const scoped = await run({ scopeCollections: [POST] })
      expect((await scoped.status()).repos.active).toBe(3) // FOLLOW repositories not mirrored at all
      expect(await recordsOf(scoped)).toEqual(posts)
      scoped.close()
    } finally {
      await host.close()
    }
  })
})
