// Postgres backfills written together: small repositories that finish at about the same time share
// one transaction and one COPY. Each caller's promise settles only once its records are committed;
// a bad repository, a repository the server refuses, or a lost lease fails only its own caller;
// buffered live commits are applied as for a backfill written alone; the change feed and the hook
// see each repository whole and in order; a large repository streams alongside.
import { cidForCbor, encode } from '@rsky/dag-cbor'
import { createTestDatabase, type TestDatabase } from '@rsky/test-vectors'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AppChange, MirrorError, PostgresMirrorStore, type PreparedCommit } from '../src/index.ts'
import { SMALL_REPO_BYTES } from '../src/postgres-backfill.ts'
import { runPipelined } from '../src/postgres-pipeline.ts'
import { didHash } from '../src/shard.ts'
import { isStoreFault } from '../src/store-fault.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase('rsky_mirror_pg_group')
})
afterAll(async () => {
  await db?.drop()
})

async function fresh(
  opts: Parameters<typeof PostgresMirrorStore.connect>[1] = {},
): Promise<PostgresMirrorStore> {
  const c = new pg.Client({ connectionString: db.url })
  await c.connect()
  await c.query(
    'DROP TABLE IF EXISTS mirror_cursor, mirror_repo, mirror_account, mirror_record, mirror_buffer, mirror_change, mirror_lease, mirror_engine',
  )
  await c.end()
  return PostgresMirrorStore.connect(db.url, opts)
}

const did = (i: number): string => `did:plc:group${String(i).padStart(19, '0')}`
const tree = (i: number) => cidForCbor(encode({ tree: i }))
const REV = '3kaaaaaaaaa22'

interface Rec {
  collection: string
  rkey: string
  cid: ReturnType<typeof cidForCbor>
  record: Uint8Array
}

function records(i: number, count: number, pad = 0): Rec[] {
  return Array.from({ length: count }, (_, j) => {
    const record = encode({ $type: 'app.bsky.feed.post', text: `repo ${i} post ${j} ${'x'.repeat(pad)}` })
    return {
      collection: 'app.bsky.feed.post',
      rkey: `r${String(j).padStart(5, '0')}`,
      cid: cidForCbor(record),
      record,
    }
  })
}

/** Records that throw a MirrorError after `after` of them, as a bad record found by the walk does. */
function breaking(i: number, after: number): Iterable<Rec> {
  const good = records(i, after + 5)
  return {
    *[Symbol.iterator]() {
      for (let j = 0; j < good.length; j++) {
        if (j === after) throw new MirrorError('BAD_REPO', `a record is not a map; key=${j}`, { did: did(i) })
        yield good[j] as Rec
      }
    },
  }
}

async function count(store: PostgresMirrorStore, d?: string): Promise<number> {
  const r = await store.pool.query<{ n: number }>(
    d === undefined
      ? 'SELECT count(*)::int AS n FROM mirror_record'
      : 'SELECT count(*)::int AS n FROM mirror_record WHERE did = $1',
    d === undefined ? [] : [d],
  )
  return r.rows[0]?.n ?? 0
}

describe('Postgres backfills written together', () => {
  it('writes many at once; each promise settles with its records committed', async () => {
    const store = await fresh()
    // another connection: sees only what was committed
    const probe = new pg.Pool({ connectionString: db.url, max: 4 })
    try {
      const dids = Array.from({ length: 40 }, (_, i) => did(i))
      await store.addRepos(dids)
      const seenAtSettle: number[] = []
      await Promise.all(
        dids.map(async (d, i) => {
          const out = await store.completeBackfillGrouped({
            did: d,
            rev: REV,
            data: tree(i),
            records: records(i, 20 + i),
          })
          expect(out).toEqual({ applied: 0, skipped: 0, chainBreak: false })
          const r = await probe.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM mirror_record WHERE did = $1',
            [d],
          )
          seenAtSettle.push((r.rows[0]?.n ?? 0) - (20 + i))
        }),
      )
      expect(seenAtSettle).toEqual(dids.map(() => 0))
      expect(await count(store)).toBe(dids.reduce((n, _, i) => n + 20 + i, 0))
      for (const [i, d] of dids.entries()) {
        const row = await store.mirrorRepo(d)
        expect(row).toMatchObject({ phase: 'active', rev: REV, attempts: 0 })
        expect(row?.data?.toString()).toBe(tree(i).toString())
        expect(await store.getRepo(d)).toMatchObject({ rev: REV, status: 'synchronized' })
      }
      // a second backfill replaces what was held
      await Promise.all(
        dids.slice(0, 10).map((d, i) =>
          store.completeBackfillGrouped({
            did: d,
            rev: '3kaaaaaaaaa33',
            data: tree(i),
            records: records(i, 3),
          }),
        ),
      )
      expect(await count(store, dids[0])).toBe(3)
      expect((await store.mirrorRepo(dids[9] as string))?.rev).toBe('3kaaaaaaaaa33')
    } finally {
      await probe.end()
      await store.close()
    }
  })

  it('the same DID twice at once goes in two transactions, in the order handed over', async () => {
    const store = await fresh()
    try {
      const d = did(50)
      await store.addRepos([d, did(51)])
      const outs = await Promise.all([
        store.completeBackfillGrouped({
          did: d,
          rev: '3kaaaaaaaaa22',
          data: tree(1),
          records: records(50, 5),
        }),
        store.completeBackfillGrouped({ did: did(51), rev: REV, data: tree(2), records: records(51, 2) }),
        store.completeBackfillGrouped({
          did: d,
          rev: '3kaaaaaaaaa23',
          data: tree(3),
          records: records(50, 3),
        }),
      ])
      expect(outs).toHaveLength(3)
      expect(await count(store, d)).toBe(3)
      expect((await store.mirrorRepo(d))?.rev).toBe('3kaaaaaaaaa23')
      expect(await count(store, did(51))).toBe(2)
    } finally {
      await store.close()
    }
  })

  it('a bad repository fails alone, before anything of it is sent', async () => {
    const store = await fresh()
    try {
      const dids = Array.from({ length: 8 }, (_, i) => did(100 + i))
      await store.addRepos(dids)
      const outcomes = await Promise.allSettled(
        dids.map((d, i) =>
          store.completeBackfillGrouped({
            did: d,
            rev: REV,
            data: tree(i),
            records: i === 3 ? breaking(103, 4) : records(100 + i, 10),
          }),
        ),
      )
      expect(outcomes.map((o) => o.status)).toEqual(dids.map((_, i) => (i === 3 ? 'rejected' : 'fulfilled')))
      const err = (outcomes[3] as PromiseRejectedResult).reason
      expect(err).toBeInstanceOf(MirrorError)
      expect(err.code).toBe('BAD_REPO')
      expect(await count(store, dids[3])).toBe(0)
      expect((await store.mirrorRepo(dids[3] as string))?.phase).toBe('pending')
      expect(await count(store)).toBe(70)
    } finally {
      await store.close()
    }
  })

  it('a repository the server refuses fails alone: the group is written again one by one', async () => {
    const store = await fresh()
    try {
      const dids = Array.from({ length: 6 }, (_, i) => did(200 + i))
      await store.addRepos(dids)
      // a NUL in a text field: Postgres refuses the row inside the COPY, which aborts the group
      const bad = records(202, 3)
      ;(bad[1] as Rec).rkey = 'a\u0000b'
      const outcomes = await Promise.allSettled(
        dids.map((d, i) =>
          store.completeBackfillGrouped({
            did: d,
            rev: REV,
            data: tree(i),
            records: i === 2 ? bad : records(200 + i, 7),
          }),
        ),
      )
      expect(outcomes.map((o) => o.status)).toEqual(dids.map((_, i) => (i === 2 ? 'rejected' : 'fulfilled')))
      expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ code: '22021' })
      expect(await count(store)).toBe(35)
      expect((await store.mirrorRepo(dids[2] as string))?.phase).toBe('pending')
      // the connection is still good
      await store.completeBackfillGrouped({
        did: dids[2] as string,
        rev: REV,
        data: tree(2),
        records: records(202, 2),
      })
      expect(await count(store, dids[2])).toBe(2)
    } finally {
      await store.close()
    }
  })

  it('refuses a NUL in a DID or rev with a named error, writing nothing', async () => {
    const store = await fresh()
    try {
      for (const bad of [
        { did: 'did:plc:a\u0000b', rev: REV },
        { did: did(300), rev: '3k\u0000' },
      ]) {
        const err = await store
          .completeBackfill({ ...bad, data: tree(0), records: records(300, 2) })
          .catch((e) => e)
        expect(err).toBeInstanceOf(MirrorError)
        expect(err.code).toBe('BAD_REPO')
      }
      expect(await count(store)).toBe(0)
    } finally {
      await store.close()
    }
  })

  it('applies buffered live commits of one repository of a group, the others unchanged', async () => {
    const store = await fresh({ changeFeed: true })
    try {
      const dids = Array.from({ length: 5 }, (_, i) => did(400 + i))
      await store.addRepos(dids)
      const target = dids[1] as string
      const rec = records(401, 1)[0] as Rec
      const live = (seq: number, rev: string, since: string, i: number, rkey: string): PreparedCommit => ({
        seq,
        did: target,
        rev,
        since,
        data: tree(1000 + i),
        prevData: i === 0 ? tree(1) : tree(1000 + i - 1),
        changes: [
          { action: 'create', collection: 'app.bsky.feed.like', rkey, cid: rec.cid, record: rec.record },
        ],
      })
      // pending: buffered
      expect(await store.applyCommit(live(1, '3kaaaaaaaaa21', '3kaaaaaaaaa20', 9, 'old'), 's')).toBe(
        'buffered',
      )
      expect(await store.applyCommit(live(2, '3kaaaaaaaaa23', REV, 0, 'l1'), 's')).toBe('buffered')
      expect(await store.applyCommit(live(3, '3kaaaaaaaaa24', '3kaaaaaaaaa23', 1, 'l2'), 's')).toBe(
        'buffered',
      )
      const outs = await Promise.all(
        dids.map((d, i) =>
          store.completeBackfillGrouped({ did: d, rev: REV, data: tree(i), records: records(400 + i, 4) }),
        ),
      )
      expect(outs[1]).toEqual({ applied: 2, skipped: 1, chainBreak: false })
      for (const i of [0, 2, 3, 4]) expect(outs[i]).toEqual({ applied: 0, skipped: 0, chainBreak: false })
      expect(await count(store, target)).toBe(6)
      expect((await store.mirrorRepo(target))?.rev).toBe('3kaaaaaaaaa24')
      expect((await store.mirrorRepo(target))?.data?.toString()).toBe(tree(1001).toString())
      expect((await store.status()).buffered).toBe(0)
      // the feed: each repository whole (reset, then its records in key order), the commits
      // drained after it; ids in that order
      const feed = await store.readChanges(0, 1000)
      const byRepo = new Map<string, string[]>()
      for (const ch of feed)
        byRepo.set(ch.did, [...(byRepo.get(ch.did) ?? []), `${ch.action} ${ch.collection}/${ch.rkey}`])
      expect([...byRepo.keys()].sort()).toEqual(dids)
      expect(byRepo.get(dids[0] as string)).toEqual([
        'reset /',
        ...records(400, 4).map((r) => `create ${r.collection}/${r.rkey}`),
      ])
      expect(byRepo.get(target)).toEqual([
        'reset /',
        ...records(401, 4).map((r) => `create ${r.collection}/${r.rkey}`),
        'create app.bsky.feed.like/l1',
        'create app.bsky.feed.like/l2',
      ])
      const ids = feed.map((c) => c.id)
      expect(ids).toEqual([...ids].sort((a, b) => a - b))
    } finally {
      await store.close()
    }
  })

  it('a buffered commit that breaks the chain sends only its repository back to pending', async () => {
    const store = await fresh()
    try {
      const dids = Array.from({ length: 3 }, (_, i) => did(500 + i))
      await store.addRepos(dids)
      const rec = records(500, 1)[0] as Rec
      const broken: PreparedCommit = {
        seq: 7,
        did: dids[0] as string,
        rev: '3kaaaaaaaaa29',
        since: '3kaaaaaaaaa25',
        data: tree(77),
        prevData: tree(76),
        changes: [
          { action: 'create', collection: 'app.bsky.feed.like', rkey: 'x', cid: rec.cid, record: rec.record },
        ],
      }
      expect(await store.applyCommit(broken, 's')).toBe('buffered')
      const outs = await Promise.all(
        dids.map((d, i) =>
          store.completeBackfillGrouped({ did: d, rev: REV, data: tree(i), records: records(500 + i, 2) }),
        ),
      )
      expect(outs.map((o) => o.chainBreak)).toEqual([true, false, false])
      expect((await store.mirrorRepo(dids[0] as string))?.phase).toBe('pending')
      expect((await store.mirrorRepo(dids[1] as string))?.phase).toBe('active')
      expect((await store.status()).buffered).toBe(1)
    } finally {
      await store.close()
    }
  })

  it('with a lease fence: a repository of a partition no longer held fails alone with LEASE_LOST', async () => {
    const store = await fresh()
    try {
      const COUNT = 4
      const dids = Array.from({ length: 12 }, (_, i) => did(600 + i))
      await store.addRepos(dids)
      const group = 'test#lease/4'
      await store.pool.query(
        `INSERT INTO mirror_lease (lease_group, partition, owner, token, expires)
         SELECT $1, p, 'me', 5, 9e15 FROM generate_series(0, 3) AS p`,
        [group],
      )
      // partition 1 was taken over: its token moved on
      await store.pool.query("UPDATE mirror_lease SET owner = 'other', token = 6 WHERE partition = 1")
      store.setFence({ group, owner: 'me', count: COUNT, tokens: new Map([0, 1, 2, 3].map((p) => [p, 5])) })
      const lost = (d: string) => didHash(d) % COUNT === 1
      expect(dids.some(lost) && dids.some((d) => !lost(d))).toBe(true)
      const outcomes = await Promise.allSettled(
        dids.map((d, i) =>
          store.completeBackfillGrouped({ did: d, rev: REV, data: tree(i), records: records(600 + i, 3) }),
        ),
      )
      for (const [i, d] of dids.entries()) {
        const o = outcomes[i] as PromiseSettledResult<unknown>
        if (lost(d)) {
          expect(o.status).toBe('rejected')
          expect((o as PromiseRejectedResult).reason).toMatchObject({
            name: 'MirrorError',
            code: 'LEASE_LOST',
          })
          expect(await count(store, d)).toBe(0)
        } else {
          expect(o.status).toBe('fulfilled')
          expect(await count(store, d)).toBe(3)
        }
      }
    } finally {
      await store.close()
    }
  })

  it('with a hook: each repository whole and in order, the hook on the transaction that commits it', async () => {
    const seen: AppChange[] = []
    const txOf = new Map<string, string>()
    let fail: string | undefined
    const store = await fresh({
      onChanges: async (client, changes) => {
        if (fail !== undefined && changes.some((c) => c.did === fail))
          throw new Error('the application failed')
        // runs inside the write: the records are there, not yet committed
        const r = await client.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM mirror_record WHERE did = $1',
          [changes[0]?.did],
        )
        expect(r.rows[0]?.n).toBeGreaterThan(0)
        const x = await client.query<{ x: string }>('SELECT txid_current()::text AS x')
        for (const c of changes) txOf.set(c.did, x.rows[0]?.x as string)
        seen.push(...changes)
      },
    })
    try {
      const dids = Array.from({ length: 6 }, (_, i) => did(700 + i))
      await store.addRepos(dids)
      fail = dids[4]
      const outcomes = await Promise.allSettled(
        dids.map((d, i) =>
          store.completeBackfillGrouped({ did: d, rev: REV, data: tree(i), records: records(700 + i, 3) }),
        ),
      )
      expect(outcomes.map((o) => o.status)).toEqual(dids.map((_, i) => (i === 4 ? 'rejected' : 'fulfilled')))
      expect(await count(store, dids[4])).toBe(0)
      // what was committed: each repository as reset + its records, contiguous; the failed one absent
      const committed = new Set(dids.filter((_, i) => i !== 4))
      for (const d of committed) {
        const last = seen.map((c) => c.did).lastIndexOf(d)
        const at = seen.findLastIndex((c) => c.did === d && c.action === 'reset')
        expect(seen.slice(at, last + 1).map((c) => c.action)).toEqual(['reset', 'create', 'create', 'create'])
        expect(seen[at]?.id).toBe(`${d}/${REV}/reset`)
      }
      // some of them shared a transaction
      expect(new Set([...committed].map((d) => txOf.get(d))).size).toBeLessThan(committed.size)
    } finally {
      await store.close()
    }
  })

  it('a large repository streams in its own transaction beside small ones', async () => {
    const store = await fresh()
    try {
      const big = did(800)
      const dids = [big, did(801), did(802)]
      await store.addRepos(dids)
      // past the bound of a repository written whole
      const many = records(800, 1200, 900)
      expect(many.reduce((n, r) => n + r.record.length, 0)).toBeGreaterThan(SMALL_REPO_BYTES)
      await Promise.all(
        dids.map((d, i) =>
          store.completeBackfillGrouped({
            did: d,
            rev: REV,
            data: tree(i),
            records: i === 0 ? many : records(801, 5),
          }),
        ),
      )
      expect(await count(store, big)).toBe(1200)
      expect(await count(store)).toBe(1210)
      // a bad record past the bound rolls the large repository back
      const err = await store
        .completeBackfillGrouped({
          did: big,
          rev: '3kaaaaaaaaa44',
          data: tree(9),
          records: {
            *[Symbol.iterator]() {
              yield* many
              throw new MirrorError('BAD_REPO', 'bad at the end', { did: big })
            },
          },
        })
        .catch((e) => e)
      expect(err).toMatchObject({ code: 'BAD_REPO' })
      expect(await count(store, big)).toBe(1200)
      expect((await store.mirrorRepo(big))?.rev).toBe(REV)
    } finally {
      await store.close()
    }
  })
})

describe('a connection lost during a group write', () => {
  it('fails that group as a store fault; the next backfills go on a new connection', async () => {
    const probe = new pg.Client({ connectionString: db.url })
    await probe.connect()
    let kill = true
    const pids: number[] = []
    const store = await fresh({
      onChanges: async (client) => {
        const pid = (client as unknown as { processID: number }).processID
        pids.push(pid)
        if (!kill) return
        kill = false
        await probe.query('SELECT pg_terminate_backend($1)', [pid])
      },
    })
    try {
      const dids = Array.from({ length: 4 }, (_, i) => did(1000 + i))
      await store.addRepos(dids)
      const first = await store
        .completeBackfillGrouped({
          did: dids[0] as string,
          rev: REV,
          data: tree(0),
          records: records(1000, 3),
        })
        .catch((e) => e)
      expect(isStoreFault(first)).toBe(true)
      expect(await count(store, dids[0])).toBe(0)
      const outs = await Promise.all(
        dids.map((d, i) =>
          store.completeBackfillGrouped({ did: d, rev: REV, data: tree(i), records: records(1000 + i, 3) }),
        ),
      )
      expect(outs).toHaveLength(4)
      expect(await count(store)).toBe(12)
      // written on another connection than the one killed
      expect(pids.slice(1).every((p) => p !== pids[0])).toBe(true)
    } finally {
      await probe.end()
      await store.close()
    }
  })
})

describe('close with grouped backfills handed over', () => {
  // handed over just before: close() comes while the group's connection is being asked for
  it('writes them all before the pool ends, then refuses more', async () => {
    const store = await fresh()
    const dids = Array.from({ length: 9 }, (_, i) => did(900 + i))
    await store.addRepos(dids)
    const settled = dids.map((d, i) =>
      store.completeBackfillGrouped({ did: d, rev: REV, data: tree(i), records: records(900 + i, 4) }),
    )
    await store.close()
    expect((await Promise.allSettled(settled)).map((o) => o.status)).toEqual(dids.map(() => 'fulfilled'))
    const late = await store
      .completeBackfillGrouped({ did: dids[0] as string, rev: REV, data: tree(0), records: records(900, 1) })
      .catch((e) => e)
    expect(late).toBeInstanceOf(MirrorError)
    expect(late.code).toBe('BAD_DATABASE')
    const again = await PostgresMirrorStore.connect(db.url)
    try {
      expect(await count(again)).toBe(36)
    } finally {
      await again.close()
    }
  })
})

describe('runPipelined', () => {
  it('sends statements and COPY data in one write; a failure leaves the connection usable', async () => {
    const c = new pg.Client({ connectionString: db.url })
    await c.connect()
    try {
      await c.query('CREATE TEMP TABLE t (a text PRIMARY KEY, b int)')
      const ok = await runPipelined(c, 'BEGIN; COPY t FROM STDIN; SELECT count(*) FROM t; COMMIT', [
        Buffer.from('x\t1\ny\t2\n'),
      ])
      expect(ok.map((r) => r.command)).toEqual(['BEGIN', 'COPY 2', 'SELECT 1', 'COMMIT'])
      expect(ok[2]?.rows).toEqual([['2']])
      // a failure before the COPY: the server skips it and ignores its data
      const e1 = await runPipelined(c, 'BEGIN; SELECT 1/0; COPY t FROM STDIN; COMMIT', [
        Buffer.from('z\t3\n'),
      ]).catch((e) => e)
      expect(e1).toMatchObject({ code: '22012' })
      await c.query('ROLLBACK')
      // a failure inside the COPY
      const e2 = await runPipelined(c, 'BEGIN; COPY t FROM STDIN; COMMIT', [
        Buffer.from('q\t3\n'),
        Buffer.from('x\t4\n'),
      ]).catch((e) => e)
      expect(e2).toMatchObject({ code: '23505' })
      await c.query('ROLLBACK')
      expect((await c.query('SELECT a FROM t ORDER BY a')).rows).toEqual([{ a: 'x' }, { a: 'y' }])
      await c.query('DELETE FROM t')
      // no data at all, and empty chunks among the data
      const none = await runPipelined(c, 'BEGIN; COPY t FROM STDIN; COMMIT', [])
      expect(none.map((r) => r.command)).toEqual(['BEGIN', 'COPY 0', 'COMMIT'])
      const gaps = await runPipelined(c, 'BEGIN; COPY t FROM STDIN; COMMIT', [
        Buffer.alloc(0),
        Buffer.from('e\t5\n'),
        Buffer.alloc(0),
        Buffer.from('f\t6\n'),
      ])
      expect(gaps.map((r) => r.command)).toEqual(['BEGIN', 'COPY 2', 'COMMIT'])
      expect(() => runPipelined(c, 'SELECT 1\u0000')).toThrow(TypeError)
    } finally {
      await c.end()
    }
  })
})
