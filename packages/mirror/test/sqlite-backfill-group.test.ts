// Group commit of SQLite backfills (`completeBackfillGrouped`): backfills that complete together
// share one transaction. A repository that fails (a bad record, the application's hook throwing,
// a COMMIT its writes make fail) gets its own error while the others commit (the group is written
// again one repository at a time); no promise settles before the COMMIT that holds its repository;
// close() writes what is still queued; the hook and the change feed see each repository whole and
// in order.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { type Cid, cidForCbor, encode } from '@rsky/dag-cbor'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AppChange,
  type BackfilledRepo,
  type DrainResult,
  MirrorError,
  SqliteMirrorStore,
  type SqliteStoreOptions,
} from '../src/index.ts'
import { GROUP_MAX_REPOS } from '../src/sqlite-backfill-group.ts'

let dir: string
let n = 0
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rsky-mirror-group-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const data = cidForCbor(encode({ tree: 1 }))
const didOf = (i: number) => `did:plc:group${String(i).padStart(19, '0')}`

type Row = { collection: string; rkey: string; cid: Cid; record: Uint8Array }

function rows(i: number, count: number): Row[] {
  return Array.from({ length: count }, (_, j) => {
    const record = encode({ $type: 'app.bsky.feed.post', text: `repo ${i} post ${j}` })
    return {
      collection: 'app.bsky.feed.post',
      rkey: `3k${String(j).padStart(11, '0')}`,
      cid: cidForCbor(record),
      record,
    }
  })
}

/** Repository `i` with `count` records; `failAt` makes its walk throw BAD_REPO at that record. */
function repoOf(i: number, count: number, failAt?: number): BackfilledRepo {
  const all = rows(i, count)
  return {
    did: didOf(i),
    rev: '3kaaaaaaaaa22',
    data,
    records: {
      *[Symbol.iterator]() {
        for (const [j, r] of all.entries()) {
          if (j === failAt) throw new MirrorError('BAD_REPO', 'a record is not a map', { did: didOf(i) })
          yield r
        }
      },
    },
  }
}

function open(opts: SqliteStoreOptions = {}): { store: SqliteMirrorStore; path: string } {
  const path = join(dir, `g${n++}.db`)
  return { store: SqliteMirrorStore.open(path, opts), path }
}

/** Records per DID as a second connection sees them (only what is committed). */
function committed(path: string): Record<string, number> {
  const db = new DatabaseSync(path, { readOnly: true })
  try {
    const out: Record<string, number> = {}
    for (const r of db.prepare('SELECT did, count(*) AS n FROM mirror_record GROUP BY did').all() as {
      did: string
      n: number
    }[])
      out[r.did] = r.n
    return out
  } finally {
    db.close()
  }
}

async function settle<T>(
  ps: Promise<T>[],
): Promise<({ ok: true; value: T } | { ok: false; err: unknown })[]> {
  return (await Promise.allSettled(ps)).map((s) =>
    s.status === 'fulfilled' ? { ok: true, value: s.value } : { ok: false, err: s.reason },
  )
}

describe('SQLite group commit of backfills', () => {
  it('repositories completed together are all written, with the results completeBackfill gives', async () => {
    const { store, path } = open({ changeFeed: true })
    const dids = Array.from({ length: 6 }, (_, i) => didOf(i))
    store.addRepos(dids)
    const out = await Promise.all(dids.map((_, i) => store.completeBackfillGrouped(repoOf(i, 50 + i))))
    expect(out).toEqual(dids.map((): DrainResult => ({ applied: 0, skipped: 0, chainBreak: false })))
    expect(committed(path)).toEqual(Object.fromEntries(dids.map((d, i) => [d, 50 + i])))
    for (const d of dids) expect(store.mirrorRepo(d)?.phase).toBe('active')
    // the change feed: each repository a reset then its records in key order, one after another
    const feed = store.readChanges(0, 10_000)
    expect(feed.map((c) => c.id)).toEqual(feed.map((_, k) => k + 1))
    let at = 0
    for (const [i, d] of dids.entries()) {
      expect(feed[at]).toMatchObject({ did: d, action: 'reset' })
      const mine = feed.slice(at + 1, at + 1 + 50 + i)
      expect(mine.every((c) => c.did === d && c.action === 'create')).toBe(true)
      expect(mine.map((c) => c.rkey)).toEqual(rows(i, 50 + i).map((r) => r.rkey))
      at += 51 + i
    }
    expect(at).toBe(feed.length)
    store.close()
  })

  it('no promise settles before its COMMIT; each sees its records committed when it does', async () => {
    const { store, path } = open()
    store.addRepos([didOf(0), didOf(1), didOf(2)])
    const seenAtSettle: Record<string, number>[] = []
    const ps = [0, 1, 2].map((i) =>
      store.completeBackfillGrouped(repoOf(i, 20)).then((r) => {
        seenAtSettle.push(committed(path))
        return r
      }),
    )
    // queued, not yet written
    expect(committed(path)).toEqual({})
    await Promise.all(ps)
    for (const seen of seenAtSettle) expect(seen).toEqual({ [didOf(0)]: 20, [didOf(1)]: 20, [didOf(2)]: 20 })
    store.close()
  })

  it('a bad repository rolls back alone with its own error; the others commit', async () => {
    const { store, path } = open({ changeFeed: true })
    store.addRepos([0, 1, 2, 3].map(didOf))
    const got = await settle([
      store.completeBackfillGrouped(repoOf(0, 30)),
      store.completeBackfillGrouped(repoOf(1, 30, 17)),
      store.completeBackfillGrouped(repoOf(2, 30)),
      store.completeBackfillGrouped(repoOf(3, 30, 0)),
    ])
    expect(got.map((g) => g.ok)).toEqual([true, false, true, false])
    for (const g of [got[1], got[3]]) {
      const err = (g as { err: unknown }).err
      expect(err).toBeInstanceOf(MirrorError)
      expect((err as MirrorError).code).toBe('BAD_REPO')
    }
    expect((got[1] as { err: MirrorError }).err.did).toBe(didOf(1))
    expect(committed(path)).toEqual({ [didOf(0)]: 30, [didOf(2)]: 30 })
    expect(store.mirrorRepo(didOf(1))?.phase).toBe('pending')
    expect(store.mirrorRepo(didOf(3))?.phase).toBe('pending')
    // nothing of the failed ones in the feed, and the ids run on without a gap
    const feed = store.readChanges(0, 10_000)
    expect(new Set(feed.map((c) => c.did))).toEqual(new Set([didOf(0), didOf(2)]))
    expect(feed.map((c) => c.id)).toEqual(feed.map((_, k) => k + 1))
    store.close()
  })

  it('a bad repository alone in its group: its error, nothing of it written, the store goes on', async () => {
    const { store, path } = open({ changeFeed: true })
    store.addRepos([0, 1].map(didOf))
    await expect(store.completeBackfillGrouped(repoOf(0, 30, 12))).rejects.toMatchObject({ code: 'BAD_REPO' })
    expect(committed(path)).toEqual({})
    expect(store.readChanges(0, 100)).toEqual([])
    expect(store.db.isTransaction).toBe(false)
    expect(await store.completeBackfillGrouped(repoOf(1, 30))).toEqual({
      applied: 0,
      skipped: 0,
      chainBreak: false,
    })
    expect(committed(path)).toEqual({ [didOf(1)]: 30 })
    store.close()
  })

  it("the application's hook throwing for one repository rolls back that one alone, its table with it", async () => {
    const seen: AppChange[] = []
    const { store, path } = open({
      onChanges: (db, changes) => {
        for (const ch of changes) {
          if (ch.did === didOf(1) && ch.action === 'create') throw new Error('the application failed')
          db.prepare('INSERT INTO app (id, did) VALUES (?, ?)').run(ch.id, ch.did)
        }
        seen.push(...changes)
      },
    })
    store.db.exec('CREATE TABLE app (id TEXT PRIMARY KEY, did TEXT NOT NULL)')
    store.addRepos([0, 1, 2].map(didOf))
    const got = await settle([0, 1, 2].map((i) => store.completeBackfillGrouped(repoOf(i, 10))))
    expect(got.map((g) => g.ok)).toEqual([true, false, true])
    expect(String((got[1] as { err: Error }).err.message)).toMatch('the application failed')
    expect(committed(path)).toEqual({ [didOf(0)]: 10, [didOf(2)]: 10 })
    const app = store.db.prepare('SELECT did, count(*) AS n FROM app GROUP BY did ORDER BY did').all()
    expect(app).toEqual([
      { did: didOf(0), n: 11 },
      { did: didOf(2), n: 11 },
    ])
    // per repository: the reset first, then its records in key order, with stable ids (the hook
    // saw repository 0 twice: in the group that rolled back, then alone in the one that committed)
    const all0 = seen.filter((c) => c.did === didOf(0))
    expect(all0.filter((c) => c.action === 'reset')).toHaveLength(2)
    const of0 = all0.slice(all0.map((c) => c.action).lastIndexOf('reset'))
    expect(of0.map((c) => c.id)).toEqual([
      `${didOf(0)}/3kaaaaaaaaa22/reset`,
      ...rows(0, 10).map((r) => `${didOf(0)}/3kaaaaaaaaa22/${r.collection}/${r.rkey}`),
    ])
    store.close()
  })

  it('a COMMIT that fails: the group is written again one by one, only the repository that broke it fails', async () => {
    let hookCalls = 0
    const { store, path } = open({
      onChanges: (db, changes) => {
        hookCalls++
        // the application's deferred constraint, broken by one repository: COMMIT refuses
        for (const ch of changes)
          if (ch.did === didOf(1) && ch.action === 'reset')
            db.prepare('INSERT INTO child (parent) VALUES (?)').run(42)
      },
    })
    store.db.exec('PRAGMA foreign_keys = ON')
    store.db.exec(
      'CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)',
    )
    store.addRepos([0, 1, 2].map(didOf))
    const got = await settle([0, 1, 2].map((i) => store.completeBackfillGrouped(repoOf(i, 10))))
    expect(got.map((g) => g.ok)).toEqual([true, false, true])
    expect(String((got[1] as { err: Error }).err.message)).toMatch(/FOREIGN KEY/)
    // the group once, then each repository alone
    expect(hookCalls).toBe(6)
    expect(committed(path)).toEqual({ [didOf(0)]: 10, [didOf(2)]: 10 })
    expect(store.db.isTransaction).toBe(false)
    expect(store.db.prepare('SELECT count(*) AS n FROM child').get()).toEqual({ n: 0 })
    expect(store.mirrorRepo(didOf(1))?.phase).toBe('pending')
    // the store goes on
    const again = await settle([3, 2].map((i) => store.completeBackfillGrouped(repoOf(i, 10))))
    expect(again.map((g) => g.ok)).toEqual([true, true])
    store.close()
  })

  it('a repository that fails after others in its group: the ones after it stay queued for the next group', async () => {
    const { store, path } = open({ changeFeed: true })
    const count = 5
    store.addRepos(Array.from({ length: count }, (_, i) => didOf(i)))
    const got = await settle(
      Array.from({ length: count }, (_, i) =>
        store.completeBackfillGrouped(repoOf(i, 8, i === 2 ? 3 : undefined)),
      ),
    )
    expect(got.map((g) => g.ok)).toEqual([true, true, false, true, true])
    expect(committed(path)).toEqual({ [didOf(0)]: 8, [didOf(1)]: 8, [didOf(3)]: 8, [didOf(4)]: 8 })
    const feed = store.readChanges(0, 1000)
    expect(feed.map((c) => c.id)).toEqual(feed.map((_, k) => k + 1))
    expect(feed.filter((c) => c.action === 'reset').map((c) => c.did)).toEqual([0, 1, 3, 4].map(didOf))
    store.close()
  })

  it('records that can be read once: written in a transaction of their own, never lost to a rollback', async () => {
    const { store, path } = open()
    store.addRepos([0, 1, 2, 3].map(didOf))
    const oneShot = (i: number): BackfilledRepo => {
      const r = repoOf(i, 9)
      return { ...r, records: (r.records as Iterable<Row>)[Symbol.iterator]() as unknown as Iterable<Row> }
    }
    const got = await settle([
      store.completeBackfillGrouped(repoOf(0, 9)),
      store.completeBackfillGrouped(oneShot(1)),
      store.completeBackfillGrouped(oneShot(2)),
      store.completeBackfillGrouped(repoOf(3, 9, 4)),
    ])
    expect(got.map((g) => g.ok)).toEqual([true, true, true, false])
    expect(committed(path)).toEqual({ [didOf(0)]: 9, [didOf(1)]: 9, [didOf(2)]: 9 })
    store.close()
  })

  it('the database failing under a group: every repository of it fails with that error, none written again', async () => {
    let calls = 0
    const { store, path } = open({
      onChanges: () => {
        calls++
        // what a disk that filled up mid-transaction gives (SQLITE_FULL)
        if (calls === 2)
          throw Object.assign(new Error('database or disk is full'), {
            code: 'ERR_SQLITE_ERROR',
            errcode: 13,
          })
      },
    })
    store.addRepos([0, 1, 2].map(didOf))
    const got = await settle([0, 1, 2].map((i) => store.completeBackfillGrouped(repoOf(i, 6))))
    expect(got.map((g) => g.ok)).toEqual([false, false, true])
    for (const g of got.slice(0, 2)) expect((g as { err: { errcode: number } }).err.errcode).toBe(13)
    // the group once (two repositories, the second failing), then repository 2 in the next
    expect(calls).toBe(3)
    expect(committed(path)).toEqual({ [didOf(2)]: 6 })
    store.close()
  })

  it('more repositories than one group holds: several transactions, every one written', async () => {
    const { store, path } = open()
    const count = GROUP_MAX_REPOS * 2 + 3
    const dids = Array.from({ length: count }, (_, i) => didOf(i))
    store.addRepos(dids)
    const out = await Promise.all(dids.map((_, i) => store.completeBackfillGrouped(repoOf(i, 5))))
    expect(out).toHaveLength(count)
    expect(Object.keys(committed(path))).toHaveLength(count)
    store.close()
  })

  it('close() writes the backfills still queued before closing', async () => {
    const { store, path } = open()
    store.addRepos([0, 1].map(didOf))
    const ps = [0, 1].map((i) => store.completeBackfillGrouped(repoOf(i, 12)))
    store.close()
    expect(await Promise.all(ps)).toHaveLength(2)
    expect(committed(path)).toEqual({ [didOf(0)]: 12, [didOf(1)]: 12 })
  })

  it('a store closed before the group runs: the promise rejects, nothing is lost silently', async () => {
    const { store } = open()
    store.addRepos([didOf(0)])
    store.db.close()
    await expect(store.completeBackfillGrouped(repoOf(0, 3))).rejects.toThrow()
  })
})
