// The application's in-transaction hook (`onChanges`) on both stores: it sees each change once, in
// order, with a stable id; its own table commits or rolls back with the mirror's records and cursor
// (a hook that throws leaves nothing written); and an engine process killed with SIGKILL at seeded
// moments and restarted ends with the application's table equal to the mirror's records and to the
// host, every live change applied exactly once.
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DatabaseSync } from 'node:sqlite'
import { cidForCbor, encode } from '@rsky/dag-cbor'
import { createTestDatabase, type TestDatabase } from '@rsky/test-vectors'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AppChange,
  type MirrorStore,
  PostgresMirrorStore,
  type PreparedCommit,
  SqliteMirrorStore,
} from '../src/index.ts'
import { activeRepos, exited, mirrorTables, rng, startChild } from './engine-child-control.ts'
import { SyntheticHost } from './synthetic-host.ts'

let dir: string
let db: TestDatabase
let n = 0
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rsky-mirror-hook-'))
  db = await createTestDatabase('rsky_mirror_hook')
})
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await db?.drop()
})

const DID = 'did:plc:hookhookhookhookhookhook'
const STREAM = 'test'

function block(text: string): { cid: ReturnType<typeof cidForCbor>; record: Uint8Array } {
  const record = encode({ $type: 'app.bsky.feed.post', text })
  return { cid: cidForCbor(record), record }
}

const tree = (i: number) => cidForCbor(encode({ tree: i }))

/** A commit following `since` (rev ordering only matters here; the store trusts what it is given). */
function commit(
  seq: number,
  rev: string,
  since: string,
  i: number,
  changes: PreparedCommit['changes'],
): PreparedCommit {
  return { seq, did: DID, rev, since, data: tree(i), prevData: tree(i - 1), changes }
}

interface Harness {
  store: MirrorStore
  /** The hook's log and the application table. */
  seen: AppChange[]
  app: () => Promise<string[]>
  failNext: () => void
  close: () => Promise<void>
}

async function sqliteHarness(): Promise<Harness> {
  const seen: AppChange[] = []
  let fail = false
  const store = SqliteMirrorStore.open(join(dir, `h${n++}.db`), {
    onChanges: (conn: DatabaseSync, changes) => {
      for (const ch of changes) {
        if (ch.action === 'reset') conn.prepare('DELETE FROM app WHERE did = ?').run(ch.did)
        else if (ch.action === 'delete')
          conn.prepare('DELETE FROM app WHERE path = ?').run(`${ch.collection}/${ch.rkey}`)
        else
          conn
            .prepare('INSERT OR REPLACE INTO app VALUES (?, ?, ?)')
            .run(ch.did, `${ch.collection}/${ch.rkey}`, ch.cid)
      }
      if (fail) throw new Error('the application failed')
      seen.push(...changes)
    },
  })
  store.db.exec('CREATE TABLE app (did TEXT, path TEXT PRIMARY KEY, cid TEXT)')
  return {
    store,
    seen,
    app: async () =>
      (
        store.db.prepare('SELECT path, cid FROM app ORDER BY path').all() as { path: string; cid: string }[]
      ).map((r) => `${r.path} ${r.cid}`),
    failNext: () => {
      fail = true
    },
    close: async () => store.close(),
  }
}

async function postgresHarness(): Promise<Harness> {
  const seen: AppChange[] = []
  let fail = false
  const admin = new pg.Client({ connectionString: db.url })
  await admin.connect()
  await admin.query(
    'DROP TABLE IF EXISTS app; DROP TABLE IF EXISTS mirror_cursor, mirror_repo, mirror_account, mirror_record, mirror_buffer, mirror_change CASCADE',
  )
  await admin.query('CREATE TABLE app (did text, path text PRIMARY KEY, cid text)')
  const store = await PostgresMirrorStore.connect(db.url, {
    maxConnections: 2,
    onChanges: async (c, changes) => {
      for (const ch of changes) {
        if (ch.action === 'reset') await c.query('DELETE FROM app WHERE did = $1', [ch.did])
        else if (ch.action === 'delete')
          await c.query('DELETE FROM app WHERE path = $1', [`${ch.collection}/${ch.rkey}`])
        else
          await c.query(
            'INSERT INTO app VALUES ($1, $2, $3) ON CONFLICT (path) DO UPDATE SET cid = excluded.cid',
            [ch.did, `${ch.collection}/${ch.rkey}`, ch.cid],
          )
      }
      if (fail) throw new Error('the application failed')
      seen.push(...changes)
    },
  })
  return {
    store,
    seen,
    app: async () =>
      (
        await admin.query<{ path: string; cid: string }>(
          'SELECT path, cid FROM app ORDER BY path COLLATE "C"',
        )
      ).rows.map((r) => `${r.path} ${r.cid}`),
    failNext: () => {
      fail = true
    },
    close: async () => {
      await store.close()
      await admin.end()
    },
  }
}

async function held(store: MirrorStore): Promise<string[]> {
  const out: string[] = []
  for await (const r of store.records({ did: DID })) out.push(`${r.collection}/${r.rkey} ${r.cid}`)
  return out
}

describe.each([
  ['SQLite', sqliteHarness],
  ['Postgres', postgresHarness],
])('onChanges on %s', (_name, make) => {
  it('sees a backfill as reset + records, then each live change once with a stable id, in order', async () => {
    const h = await make()
    try {
      await h.store.addRepos([DID])
      const a = block('a')
      const b = block('b')
      const c = block('c')
      const records = Array.from({ length: 2500 }, (_, i) => ({
        collection: 'app.bsky.feed.post',
        rkey: `r${String(i).padStart(5, '0')}`,
        ...(i % 2 === 0 ? a : b),
      }))
      await h.store.completeBackfill({ did: DID, rev: '3kaaaaaaaaa22', data: tree(0), records })
      // chunks: reset, then 2,500 creates in key order
      expect(h.seen[0]).toMatchObject({ action: 'reset', id: `${DID}/3kaaaaaaaaa22/reset` })
      expect(h.seen.length).toBe(2501)
      expect(h.seen[1]?.id).toBe(`${DID}/3kaaaaaaaaa22/app.bsky.feed.post/r00000`)
      const first = commit(10, '3kaaaaaaaaa23', '3kaaaaaaaaa22', 1, [
        { action: 'update', collection: 'app.bsky.feed.post', rkey: 'r00001', ...c },
        { action: 'delete', collection: 'app.bsky.feed.post', rkey: 'r00002', cid: null, record: null },
        { action: 'create', collection: 'app.bsky.feed.like', rkey: 'l1', ...a },
      ])
      expect(await h.store.applyCommit(first, STREAM)).toBe('applied')
      expect(h.seen.slice(2501).map((x) => `${x.id} ${x.action}`)).toEqual([
        `${DID}/3kaaaaaaaaa23/0 update`,
        `${DID}/3kaaaaaaaaa23/1 delete`,
        `${DID}/3kaaaaaaaaa23/2 create`,
      ])
      // a replay is stale: the hook is not called again
      expect(await h.store.applyCommit(first, STREAM)).toBe('stale')
      expect(h.seen.length).toBe(2504)
      expect(await h.app()).toEqual(await held(h.store))
      expect((await h.app()).length).toBe(2500)
    } finally {
      await h.close()
    }
  })

  it('a hook that throws rolls back the records and the cursor with its own writes', async () => {
    const h = await make()
    try {
      await h.store.addRepos([DID])
      const a = block('a')
      await h.store.completeBackfill({
        did: DID,
        rev: '3kaaaaaaaaa22',
        data: tree(0),
        records: [{ collection: 'app.bsky.feed.post', rkey: 'r1', ...a }],
      })
      const before = await held(h.store)
      const appBefore = await h.app()
      h.failNext()
      const next = commit(11, '3kaaaaaaaaa23', '3kaaaaaaaaa22', 1, [
        { action: 'create', collection: 'app.bsky.feed.post', rkey: 'r2', ...block('x') },
      ])
      await expect(Promise.resolve().then(() => h.store.applyCommit(next, STREAM))).rejects.toThrow(
        'the application failed',
      )
      expect(await held(h.store)).toEqual(before)
      expect(await h.app()).toEqual(appBefore)
      expect(await h.store.getCursor(STREAM)).toBeUndefined()
      expect((await h.store.getRepo(DID))?.rev).toBe('3kaaaaaaaaa22')
      // a backfill whose hook throws leaves the repository pending, with nothing of it written
      await h.store.addRepos(['did:plc:otherotherotherotherothe'])
      await expect(
        Promise.resolve().then(() =>
          h.store.completeBackfill({
            did: 'did:plc:otherotherotherotherothe',
            rev: '3kaaaaaaaaa22',
            data: tree(0),
            records: [{ collection: 'app.bsky.feed.post', rkey: 'o1', ...a }],
          }),
        ),
      ).rejects.toThrow('the application failed')
      expect((await h.store.mirrorRepo('did:plc:otherotherotherotherothe'))?.phase).toBe('pending')
      expect((await h.store.status()).records).toBe(1)
    } finally {
      await h.close()
    }
  })
})

// --- an engine process with the hook, killed and restarted

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('an engine with the hook, SIGKILLed and restarted', () => {
  for (const kind of ['sqlite', 'postgres'] as const) {
    it(`${kind}: the application's table equals the records and the host; each live change once`, {
      timeout: 180_000,
    }, async () => {
      const host = await SyntheticHost.start({ accounts: 12, seed: kind === 'sqlite' ? 21 : 22 })
      let target = join(dir, `crash${n++}.db`)
      let pgDb: TestDatabase | undefined
      if (kind === 'postgres') {
        pgDb = await createTestDatabase('rsky_mirror_hook_crash')
        target = pgDb.url
      }
      const started: ChildProcess[] = []
      const opts = { kind, db: target, service: host.url, reportMs: 200 }
      const rand = rng(kind === 'sqlite' ? 5 : 6)
      try {
        // first run: backfill everything before the producer starts, so every streamed commit is live
        let applied = -1
        let engine = startChild(opts, (l) => {
          applied = l.applied
        })
        started.push(engine)
        while ((await activeRepos(kind, target)) < 12) await sleep(100)
        await host.subscribed()
        // one commit applied first, so a cursor is held before the first kill
        await host.commitOne()
        while (applied < 1) await sleep(50)
        for (let round = 0; round < 3; round++) {
          host.produce()
          await sleep(300 + Math.floor(rand() * 1200))
          engine.kill('SIGKILL')
          await exited(engine)
          await host.stopProducing()
          for (let i = 0; i < 5; i++) await host.commitOne() // written while the engine is down
          engine = startChild(opts)
          started.push(engine)
          await sleep(200)
        }
        host.produce({ limit: 200 })
        await sleep(1000)
        await host.stopProducing()
        const want = (await host.held()).sort()
        const end = Date.now() + 60_000
        let t = await mirrorTables(kind, target)
        while (JSON.stringify(t.mirror) !== JSON.stringify(want) || t.live !== host.producedOps) {
          if (Date.now() > end)
            throw new Error(
              `not equal: mirror ${t.mirror.length}/${want.length} live ${t.live}/${host.producedOps} commits ${host.produced}`,
            )
          await sleep(250)
          t = await mirrorTables(kind, target)
        }
        expect(t.app).toEqual(t.mirror)
        expect(t.mirror).toEqual(want)
        expect(t.live).toBe(host.producedOps)
        engine.kill('SIGTERM')
        expect(await exited(engine)).toBe(0)
      } finally {
        for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
        await host.close()
        await pgDb?.drop()
      }
    })
  }
})
