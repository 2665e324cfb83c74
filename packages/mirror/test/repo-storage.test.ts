// The durable RepoStorage backends: the shared RepoStorage contract of @rsky/repo on SQLite and
// Postgres, repositories kept apart by DID in one database, one storage sharing the mirror's own
// connection, and a real use: a child process writes a signed history and is SIGKILLed at seeded
// moments, restarted, and the repository it leaves loads and exports the CAR memory would hold.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BlockMap, CidSet } from '@rsky/car'
import { encodeWithCid } from '@rsky/dag-cbor'
import { exportRepoCarBytes, MemoryRepoStorage, Repo, type RepoStorage, verifyRepoCar } from '@rsky/repo'
import { describeRepoStorageContract } from '@rsky/repo/testing'
import { createTestDatabase, type TestDatabase } from '@rsky/test-vectors'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  PostgresMirrorStore,
  PostgresRepoStorage,
  SqliteMirrorStore,
  SqliteRepoStorage,
} from '../src/index.ts'
import { HISTORY_DID, HISTORY_KEY, indexOfRev, writeHistory } from './repo-history.ts'

let dir: string
let n = 0
let db: TestDatabase
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rsky-repo-storage-'))
  db = await createTestDatabase('rsky_repo_storage')
})
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await db?.drop()
})

describeRepoStorageContract('SqliteRepoStorage', () => {
  const path = join(dir, `contract${n++}.db`)
  const did = 'did:plc:storagecontract0000000000'
  const opened: SqliteRepoStorage[] = [SqliteRepoStorage.open(path, { did })]
  return {
    storage: opened[0] as SqliteRepoStorage,
    reopen: () => {
      const s = SqliteRepoStorage.open(path, { did })
      opened.push(s)
      return s
    },
    cleanup: () => {
      for (const s of opened) s.close()
    },
  }
})

describeRepoStorageContract('PostgresRepoStorage', async () => {
  const did = 'did:plc:storagecontract0000000000'
  const opened = [await PostgresRepoStorage.connect(db.url, { did, maxConnections: 2 })]
  return {
    storage: opened[0] as PostgresRepoStorage,
    reopen: async () => {
      const s = await PostgresRepoStorage.connect(db.url, { did, maxConnections: 2 })
      opened.push(s)
      return s
    },
    cleanup: async () => {
      await truncate(db.url)
      for (const s of opened) await s.close()
    },
  }
})

describeRepoStorageContract('PostgresRepoStorage without its block cache', async () => {
  const did = 'did:plc:storagecontract0000000000'
  const opts = { did, maxConnections: 2, cacheBlocks: 0 }
  const opened = [await PostgresRepoStorage.connect(db.url, opts)]
  return {
    storage: opened[0] as PostgresRepoStorage,
    reopen: async () => {
      const s = await PostgresRepoStorage.connect(db.url, opts)
      opened.push(s)
      return s
    },
    cleanup: async () => {
      await truncate(db.url)
      for (const s of opened) await s.close()
    },
  }
})

async function truncate(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  await c.query('TRUNCATE repo_storage_root, repo_storage_block')
  await c.end()
}

async function blockCount(s: RepoStorage): Promise<number> {
  if (s instanceof SqliteRepoStorage)
    return (
      s.db.prepare('SELECT count(*) AS n FROM repo_storage_block WHERE did = ?').get(s.did) as { n: number }
    ).n
  const p = s as PostgresRepoStorage
  const r = await p.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM repo_storage_block WHERE did = $1',
    [p.did],
  )
  return r.rows[0]?.n ?? -1
}

describe('durable RepoStorage', () => {
  const backends = [
    {
      name: 'sqlite',
      open: (did: string) => SqliteRepoStorage.open(join(dir, 'shared.db'), { did }),
    },
    {
      name: 'postgres',
      open: (did: string) => PostgresRepoStorage.connect(db.url, { did, maxConnections: 2 }),
    },
  ]
  for (const b of backends) {
    it(`${b.name}: repositories in one database are kept apart by DID`, async () => {
      const a = await b.open('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa')
      const c = await b.open('did:plc:cccccccccccccccccccccccc')
      const shared = encodeWithCid({ same: 'block' })
      const ra = encodeWithCid({ root: 'a' })
      const rc = encodeWithCid({ root: 'c' })
      const both = new BlockMap([[shared.cid, shared.bytes]])
      await a.applyCommit({
        cid: ra.cid,
        rev: '3kaaaaaaaaa22',
        newBlocks: new BlockMap(both).set(ra.cid, ra.bytes),
        removedCids: new CidSet(),
      })
      await c.applyCommit({
        cid: rc.cid,
        rev: '3kaaaaaaaaa22',
        newBlocks: new BlockMap(both).set(rc.cid, rc.bytes),
        removedCids: new CidSet(),
      })
      // a drops the block both hold: c keeps its copy
      await a.applyCommit({
        cid: ra.cid,
        rev: '3kaaaaaaaaa23',
        newBlocks: new BlockMap(),
        removedCids: new CidSet([shared.cid]),
      })
      expect(await a.has(shared.cid)).toBe(false)
      expect(await c.has(shared.cid)).toBe(true)
      expect(await a.has(rc.cid)).toBe(false)
      expect(String(await a.getRoot())).toBe(ra.cid.toString())
      expect(String(await c.getRoot())).toBe(rc.cid.toString())
      expect(await a.getRev()).toBe('3kaaaaaaaaa23')
      expect(await c.getRev()).toBe('3kaaaaaaaaa22')
      await a.close()
      await c.close()
    })
  }

  it('a malformed DID is a TypeError; a bad cache size a RangeError; a bad path or URL is BAD_DATABASE', async () => {
    expect(() => SqliteRepoStorage.open(join(dir, 'x.db'), { did: 'not-a-did' })).toThrow(TypeError)
    await expect(PostgresRepoStorage.connect(db.url, { did: 'did:' })).rejects.toThrow(TypeError)
    await expect(
      PostgresRepoStorage.connect(db.url, { did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', cacheBlocks: -1 }),
    ).rejects.toThrow(RangeError)
    expect(() =>
      SqliteRepoStorage.open(join(dir, 'no/such/dir/x.db'), { did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' }),
    ).toThrow(expect.objectContaining({ code: 'BAD_DATABASE' }))
    await expect(
      PostgresRepoStorage.connect('postgres://postgres@127.0.0.1:1/none', {
        did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa',
      }),
    ).rejects.toMatchObject({ code: 'BAD_DATABASE' })
  })

  it('postgres: a commit that fails leaves the block cache as the database', async () => {
    const did = 'did:plc:rollbackrollbackrollback'
    const s = await PostgresRepoStorage.connect(db.url, { did, maxConnections: 1 })
    const a = encodeWithCid({ block: 'a' })
    const root = encodeWithCid({ root: 1 })
    await s.applyCommit({
      cid: root.cid,
      rev: '3kaaaaaaaaa22',
      newBlocks: new BlockMap([[a.cid, a.bytes]]).set(root.cid, root.bytes),
      removedCids: new CidSet(),
    })
    expect(await s.has(a.cid)).toBe(true) // cached
    const b = encodeWithCid({ block: 'b' })
    // the database refuses the root update: the whole commit rolls back
    await s.pool.query(
      `CREATE OR REPLACE FUNCTION refuse_root_update() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql;
       CREATE TRIGGER refuse_root_update BEFORE UPDATE ON repo_storage_root FOR EACH ROW EXECUTE FUNCTION refuse_root_update()`,
    )
    try {
      await expect(
        s.applyCommit({
          cid: root.cid,
          rev: '3kaaaaaaaaa23',
          newBlocks: new BlockMap([[b.cid, b.bytes]]),
          removedCids: new CidSet([a.cid]),
        }),
      ).rejects.toThrow('refused')
    } finally {
      await s.pool.query(
        'DROP TRIGGER refuse_root_update ON repo_storage_root; DROP FUNCTION refuse_root_update()',
      )
    }
    expect(await s.has(a.cid)).toBe(true)
    expect(await s.has(b.cid)).toBe(false)
    expect(await s.getRev()).toBe('3kaaaaaaaaa22')
    await s.close()
  })

  it('shares the connection of a mirror store (SQLite and Postgres) and leaves it open on close', async () => {
    const path = join(dir, `mirror${n++}.db`)
    const mirror = SqliteMirrorStore.open(path)
    const s = SqliteRepoStorage.open(mirror.db, { did: HISTORY_DID })
    await writeHistory(s, { to: 3 })
    s.close()
    expect(mirror.db.isOpen).toBe(true)
    expect(mirror.status().records).toBe(0)
    mirror.close()

    const pgMirror = await PostgresMirrorStore.connect(db.url, { maxConnections: 2 })
    const p = await PostgresRepoStorage.connect(pgMirror.pool, { did: HISTORY_DID })
    await writeHistory(p, { to: 3 })
    await p.close()
    expect((await pgMirror.status()).records).toBe(0)
    await pgMirror.close()
    await truncate(db.url)
  })
})

// --- real use: a writer process killed and restarted

const root = join(import.meta.dirname, '../../..')
const writer = join(import.meta.dirname, 'repo-storage-writer.ts')
const COMMITS = 120

function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Runs the writer; with `killAfter`, SIGKILLs it once it has reported that many more commits. */
function runWriter(
  kind: string,
  target: string,
  killAfter?: number,
): Promise<{ last: number; code: number | null }> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=source', '--no-warnings', writer, kind, target, String(COMMITS)],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  )
  let last = -1
  let seen = 0
  let buffered = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const l of lines) {
      last = Number(l)
      seen++
      if (killAfter !== undefined && seen >= killAfter) child.kill('SIGKILL')
    }
  })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => resolve({ last, code }))
  })
}

/** The storage holds exactly what memory holds after the same commits: same CAR, same block count. */
async function expectSameAsMemory(storage: RepoStorage, commits: number): Promise<void> {
  const memory = new MemoryRepoStorage()
  await writeHistory(memory, { to: commits })
  const loaded = await Repo.load(storage)
  expect(indexOfRev(loaded.rev)).toBe(commits - 1)
  const car = await exportRepoCarBytes(storage)
  expect(Buffer.from(car).equals(Buffer.from(await exportRepoCarBytes(memory)))).toBe(true)
  const v = await verifyRepoCar(car, { did: HISTORY_DID, key: HISTORY_KEY.did() })
  expect(v.signature).toBe('valid')
  expect(await blockCount(storage)).toBe(memory.blocks.size)
}

describe('a signed repository across SIGKILLed writer processes', () => {
  for (const kind of ['sqlite', 'postgres'] as const) {
    it(`${kind}: killed twice mid-history, resumed, ends equal to memory`, { timeout: 120_000 }, async () => {
      const target = kind === 'sqlite' ? join(dir, `history${n++}.db`) : db.url
      const open = (): Promise<RepoStorage & { close(): unknown }> | (RepoStorage & { close(): unknown }) =>
        kind === 'sqlite'
          ? SqliteRepoStorage.open(target, { did: HISTORY_DID })
          : PostgresRepoStorage.connect(target, { did: HISTORY_DID, maxConnections: 1 })
      const random = rng(kind === 'sqlite' ? 13 : 31)
      for (let round = 0; round < 2; round++) {
        const r = await runWriter(kind, target, 10 + Math.floor(random() * 30))
        expect(r.code).toBeNull() // killed, not finished
        const s = await open()
        const held = indexOfRev((await Repo.load(s)).rev)
        // everything reported landed; at most the one in flight besides
        expect(held === r.last || held === r.last + 1).toBe(true)
        await expectSameAsMemory(s, held + 1)
        await s.close()
      }
      const done = await runWriter(kind, target)
      expect(done).toEqual({ last: COMMITS - 1, code: 0 })
      const s = await open()
      await expectSameAsMemory(s, COMMITS)
      await s.close()
    })
  }
})
