// The durable sync engine: backfill of repository CARs into SQLite and Postgres, and live verified
// commits applied durably (records + repository state + cursor in one transaction each). The
// baseline is what a user composes today: @atproto/repo (or @atproto/sync) to verify, then one
// INSERT per record into the same database.
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import * as at from '@atproto/repo'
import { parseCommitAuthenticated } from '@atproto/sync'
import * as ipldCbor from '@ipld/dag-cbor'
import { Secp256k1Keypair } from '@rsky/crypto'
import { decode, encode, type LexMap } from '@rsky/dag-cbor'
import {
  type MirrorStore,
  PostgresMirrorStore,
  prepareFrame,
  type SignatureChecker,
  SignatureThread,
  SqliteMirrorStore,
} from '@rsky/mirror'
import { exportRepoCarBytes, MemoryRepoStorage, type RecordWrite, Repo } from '@rsky/repo'
import { authenticateCommit, staticKeys } from '@rsky/sync'
import { CommitAuthPool } from '@rsky/sync/node'
import { createTestDatabase, type TestDatabase } from '@rsky/test-vectors'
import pg from 'pg'
import { openVerifiedRepo } from '../../../packages/mirror/src/repo-walk.ts'
import type { BenchCase, BenchSuite, ImplFactory } from '../harness.ts'
import { DID, generateRepoCar, KEY_HEX } from '../workloads/car.ts'
import { largeRepo, millionRepo, mirrorKeyDid } from '../workloads/mirror.ts'
import { engineRun, seedStates } from '../workloads/mirror-live.ts'
import { headerLength, syncWorkload } from '../workloads/sync.ts'
import { loadWorkload, rng } from '../workloads.ts'

const key = Secp256k1Keypair.import(KEY_HEX)
const REPOS = 1000
const PER_REPO = 100

/** 1,000 repositories of 100 records, one key, DIDs from a seeded generator. */
async function smallRepos(): Promise<{ did: string; car: Uint8Array }[]> {
  const bytes = await loadWorkload(`mirror-${REPOS}x${PER_REPO}.cbor`, async () => {
    const r = rng(1313)
    const out: LexMap[] = []
    for (let i = 0; i < REPOS; i++) {
      const did = `did:plc:mirror${String(i).padStart(18, '0')}`
      const writes: RecordWrite[] = Array.from({ length: PER_REPO }, (_, j) => ({
        action: 'create' as const,
        collection: j % 3 === 0 ? 'app.bsky.feed.like' : 'app.bsky.feed.post',
        rkey: `3k${String(j).padStart(4, '0')}${String(r.int(1e6)).padStart(7, '0')}`,
        record: {
          $type: 'app.bsky.feed.post',
          text: `post ${j} of repo ${i}, about as long as a short post`,
          createdAt: '2026-11-24T12:00:00.000Z',
        },
      }))
      const storage = new MemoryRepoStorage()
      await Repo.create({ storage, did, keypair: key, writes })
      out.push({ did, car: await exportRepoCarBytes(storage) })
    }
    return encode({ repos: out })
  })
  return (decode(bytes, { maxInputLength: 1 << 30 }) as { repos: { did: string; car: Uint8Array }[] }).repos
}

function bigRepo(): Promise<Uint8Array> {
  return loadWorkload('repo-100k.car', () => generateRepoCar(100_000))
}

/** The ten 100,000-record repositories (about 24 MB of CAR each), read into memory. */
async function tenLarge(): Promise<{ did: string; car: Uint8Array; key: string }[]> {
  const out = []
  for (let i = 0; i < 10; i++) {
    const { did, path } = await largeRepo(i)
    const buf = readFileSync(path)
    out.push({ did, car: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), key: mirrorKeyDid })
  }
  return out
}

interface Input {
  did: string
  car: Uint8Array | (() => AsyncIterable<Uint8Array>)
  key?: string
}

const keyOf = { resolveAtprotoKey: () => key.did() }

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes
}

/**
 * Ours: streamed, verified walk written by completeBackfill, as the engine's backfill loop does it
 * (`concurrency` at once; with `signatures`, each commit signature checked on that worker thread;
 * where the store has a group commit, repositories completed together share a transaction).
 */
async function oursBackfill(
  store: MirrorStore,
  repos: Input[],
  concurrency = 1,
  signatures?: SignatureChecker,
): Promise<void> {
  await store.addRepos(repos.map((r) => r.did))
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < repos.length) {
      const { did, car, key: k } = repos[next++] as Input
      const repo = await openVerifiedRepo({
        did,
        car: typeof car === 'function' ? car() : once(car),
        keys: k === undefined ? keyOf : { resolveAtprotoKey: () => k },
        ...(signatures === undefined ? {} : { signatures }),
      })
      try {
        await (store.completeBackfillGrouped?.(repo) ?? store.completeBackfill(repo))
      } finally {
        repo.close()
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

/** Baseline: @atproto/repo verifyRepoCar, then one INSERT per record, one transaction per repository. */
async function atprotoSqlite(
  path: string,
  repos: { did: string; car: Uint8Array; key?: string }[],
): Promise<void> {
  const db = new DatabaseSync(path)
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL')
  db.exec(
    'CREATE TABLE record (did TEXT, collection TEXT, rkey TEXT, cid TEXT, value BLOB, PRIMARY KEY (did, collection, rkey))',
  )
  const insert = db.prepare('INSERT INTO record VALUES (?, ?, ?, ?, ?)')
  for (const { did, car, key: k } of repos) {
    const v = await at.verifyRepoCar(car, did, k ?? key.did())
    db.exec('BEGIN')
    for (const c of v.creates)
      insert.run(did, c.collection, c.rkey, c.cid.toString(), v.commit.newBlocks.get(c.cid) as Uint8Array)
    db.exec('COMMIT')
  }
  db.close()
}

async function atprotoPostgres(
  url: string,
  repos: { did: string; car: Uint8Array; key?: string }[],
): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  await client.query(
    'CREATE TABLE record (did text, collection text, rkey text, cid text, value bytea, PRIMARY KEY (did, collection, rkey))',
  )
  for (const { did, car, key: k } of repos) {
    const v = await at.verifyRepoCar(car, did, k ?? key.did())
    await client.query('BEGIN')
    for (const c of v.creates)
      await client.query('INSERT INTO record VALUES ($1, $2, $3, $4, $5)', [
        did,
        c.collection,
        c.rkey,
        c.cid.toString(),
        Buffer.from(v.commit.newBlocks.get(c.cid) as Uint8Array),
      ])
    await client.query('COMMIT')
  }
  await client.end()
}

function tmpDb(): { path: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'rsky-bench-mirror-'))
  return { path: join(dir, 'm.db'), done: () => rmSync(dir, { recursive: true, force: true }) }
}

type Loader = () => Promise<Input[]>

/** Ours into SQLite, `concurrency` backfills at once; the signature thread lives as long as an engine would. */
function oursSqlite(load: Loader, concurrency = 1): ImplFactory {
  return async () => {
    const repos = await load()
    const signatures = new SignatureThread()
    return async () => {
      const t = tmpDb()
      const store = SqliteMirrorStore.open(t.path, { backgroundCheckpoint: true })
      await oursBackfill(store, repos, concurrency, signatures)
      store.close()
      t.done()
    }
  }
}

function sqliteBackfill(
  load: () => Promise<{ did: string; car: Uint8Array; key?: string }[]>,
  concurrency = 1,
): Record<string, ImplFactory> {
  return {
    '@rsky/mirror SQLite': oursSqlite(load, concurrency),
    '@atproto/repo + INSERT per record (node:sqlite)': async () => {
      const repos = await load()
      return async () => {
        const t = tmpDb()
        await atprotoSqlite(t.path, repos)
        t.done()
      }
    },
  }
}

let pgDb: Promise<TestDatabase> | undefined
function pgDatabase(): Promise<TestDatabase> {
  pgDb ??= createTestDatabase('rsky_bench_mirror')
  process.once('beforeExit', () => void pgDb?.then((d) => d.drop()).catch(() => {}))
  return pgDb
}

async function resetPg(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  await c.query(
    'DROP TABLE IF EXISTS record, mirror_cursor, mirror_repo, mirror_account, mirror_record, mirror_buffer, mirror_change',
  )
  await c.end()
}

/**
 * Ours into Postgres as the engine runs backfills: four at once (one repository's COPY overlaps the
 * next one's reading), signatures on a worker thread that lives as long as an engine would, small
 * repositories completed together written in one transaction.
 */
function oursPostgres(load: Loader): ImplFactory {
  return async () => {
    const repos = await load()
    const db = await pgDatabase()
    const signatures = new SignatureThread()
    return async () => {
      await resetPg(db.url)
      const store = await PostgresMirrorStore.connect(db.url, { maxConnections: 4 })
      await oursBackfill(store, repos, 4, signatures)
      await store.close()
    }
  }
}

function postgresBackfill(
  load: () => Promise<{ did: string; car: Uint8Array; key?: string }[]>,
): Record<string, ImplFactory> {
  return {
    '@rsky/mirror Postgres (COPY)': oursPostgres(load),
    '@atproto/repo + INSERT per record (pg)': async () => {
      const repos = await load()
      const db = await pgDatabase()
      return async () => {
        await resetPg(db.url)
        await atprotoPostgres(db.url, repos)
      }
    },
  }
}

/** The 1,000,000-record repository, streamed from its file as a download would be. */
async function million(): Promise<Input[]> {
  const { did, path } = await millionRepo()
  return [{ did, key: mirrorKeyDid, car: () => createReadStream(path, { highWaterMark: 256 * 1024 }) }]
}

const COMMITS = 2000
const ACCOUNTS = 200
/** The steady-state row's stream: the same accounts, five times the commits. */
const LONG_COMMITS = 10_000

type LiveKind = 'sqlite' | 'postgres'

/** A fresh store of `kind` for one run, and how to drop it after. */
async function liveStore(
  kind: LiveKind,
  asCli = false,
): Promise<{ store: MirrorStore; done: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const t = tmpDb()
    // `rsky sync run` checkpoints the WAL on a worker thread; the store-only row keeps the default
    const store = SqliteMirrorStore.open(t.path, { backgroundCheckpoint: asCli })
    const done = async (): Promise<void> => {
      store.close()
      t.done()
    }
    return { store, done }
  }
  const db = await pgDatabase()
  await resetPg(db.url)
  const store = await PostgresMirrorStore.connect(db.url, { maxConnections: 4 })
  return { store, done: () => store.close() }
}

/** Ours, store only: each frame authenticated (sync 1.1) in turn and applied with the cursor, one transaction each. */
function oursLive(kind: LiveKind): ImplFactory {
  return async () => {
    const w = await syncWorkload(COMMITS, ACCOUNTS, 'k256')
    const keys = staticKeys(w.keys)
    const opts = { keys, authenticator: { authenticateCommit }, maxFrameSize: 5 << 20, wanted: () => true }
    return async () => {
      const { store, done } = await liveStore(kind)
      await seedStates(store, w.frames)
      for (const frame of w.frames) {
        const item = await prepareFrame(frame, opts).item
        if (item.kind !== 'commit') throw new Error(`not applied: ${JSON.stringify(item)}`)
        const out = await store.applyCommit(item.commit, 'bench')
        if (out !== 'applied') throw new Error(`commit ${out}`)
      }
      await done()
    }
  }
}

/**
 * Ours, the engine as `rsky sync run` runs it: frames from a socket, authenticated as they arrive
 * (on `threads` CommitAuthPool workers, or inline with 0), runs of ready commits written in one
 * transaction each.
 */
function oursEngine(kind: LiveKind, threads: number, commits = COMMITS): ImplFactory {
  return async () => {
    const w = await syncWorkload(commits, ACCOUNTS, 'k256')
    const pool = threads > 0 ? new CommitAuthPool({ threads }) : undefined
    return async () => {
      const { store, done } = await liveStore(kind, true)
      try {
        await engineRun(w, store, pool)
      } finally {
        await done()
      }
    }
  }
}

/** Baseline on Postgres: @atproto/sync parseCommitAuthenticated, then one INSERT/DELETE per op and the cursor, one transaction per commit. */
function atprotoLivePg(): ImplFactory {
  return async () => {
    const w = await syncWorkload(COMMITS, ACCOUNTS, 'k256')
    const resolver = {
      did: { resolveAtprotoKey: async (did: string) => w.keys.get(did) as string },
    } as unknown as Parameters<typeof parseCommitAuthenticated>[0]
    const db = await pgDatabase()
    return async () => {
      await resetPg(db.url)
      const c = new pg.Client({ connectionString: db.url })
      await c.connect()
      await c.query(
        'CREATE TABLE record (did text, collection text, rkey text, cid text, value bytea, PRIMARY KEY (did, collection, rkey))',
      )
      await c.query('CREATE TABLE IF NOT EXISTS cursor (id int PRIMARY KEY, seq bigint)')
      for (const frame of w.frames) {
        const hl = headerLength(frame)
        const evt = ipldCbor.decode(frame.subarray(hl)) as Parameters<typeof parseCommitAuthenticated>[1]
        const ops = await parseCommitAuthenticated(resolver, evt)
        await c.query('BEGIN')
        for (const op of ops) {
          if (op.event === 'delete')
            await c.query('DELETE FROM record WHERE did = $1 AND collection = $2 AND rkey = $3', [
              evt.repo,
              op.collection,
              op.rkey,
            ])
          else
            await c.query(
              `INSERT INTO record VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (did, collection, rkey) DO UPDATE SET cid = excluded.cid, value = excluded.value`,
              [
                evt.repo,
                op.collection,
                op.rkey,
                op.cid.toString(),
                Buffer.from(op.blocks.get(op.cid) as Uint8Array),
              ],
            )
        }
        await c.query('INSERT INTO cursor VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq', [
          evt.seq,
        ])
        await c.query('COMMIT')
      }
      await c.query('DROP TABLE cursor')
      await c.end()
    }
  }
}

/** Baseline: @atproto/sync parseCommitAuthenticated, then one statement per op and the cursor, one transaction per commit. */
function atprotoLive(): ImplFactory {
  return async () => {
    const w = await syncWorkload(COMMITS, ACCOUNTS, 'k256')
    const resolver = {
      did: { resolveAtprotoKey: async (did: string) => w.keys.get(did) as string },
    } as unknown as Parameters<typeof parseCommitAuthenticated>[0]
    return async () => {
      const t = tmpDb()
      const db = new DatabaseSync(t.path)
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL')
      db.exec(
        'CREATE TABLE record (did TEXT, collection TEXT, rkey TEXT, cid TEXT, value BLOB, PRIMARY KEY (did, collection, rkey))',
      )
      db.exec('CREATE TABLE cursor (id INTEGER PRIMARY KEY, seq INTEGER)')
      const put = db.prepare('INSERT OR REPLACE INTO record VALUES (?, ?, ?, ?, ?)')
      const del = db.prepare('DELETE FROM record WHERE did = ? AND collection = ? AND rkey = ?')
      const cur = db.prepare('INSERT OR REPLACE INTO cursor VALUES (1, ?)')
      for (const frame of w.frames) {
        const hl = headerLength(frame)
        const evt = ipldCbor.decode(frame.subarray(hl)) as Parameters<typeof parseCommitAuthenticated>[1]
        const ops = await parseCommitAuthenticated(resolver, evt)
        db.exec('BEGIN')
        for (const op of ops) {
          if (op.event === 'delete') del.run(evt.repo, op.collection, op.rkey)
          else
            put.run(evt.repo, op.collection, op.rkey, op.cid.toString(), op.blocks.get(op.cid) as Uint8Array)
        }
        cur.run(evt.seq)
        db.exec('COMMIT')
      }
      db.close()
      t.done()
    }
  }
}

const suite: BenchSuite = {
  name: 'mirror',
  description:
    'Durable sync engine: backfill (verify + write) into SQLite and Postgres, and live verified commits committed durably, against @atproto/repo or @atproto/sync + one INSERT per record.',
  async cases(): Promise<BenchCase[]> {
    const big = async () => [{ did: DID, car: await bigRepo() }]
    const streamed =
      'records streamed from the verified walk into one transaction per repository; blocks past 32 MiB of CAR spool to a temporary file'
    return [
      {
        name: `backfill ${REPOS} repos × ${PER_REPO} records into SQLite`,
        unit: 'record',
        perCall: REPOS * PER_REPO,
        impls: sqliteBackfill(smallRepos, 4),
        note: 'every CAR fully verified (hashes, signature, tree, records); records with their CBOR bytes; WAL, synchronous=NORMAL on both sides. Ours runs four backfills at once as the engine does by default: signatures checked on a worker thread, repositories that complete together written in one transaction (each written again alone if one fails), WAL checkpoints on a worker thread; the baseline one repository at a time, one transaction each',
      },
      {
        name: 'backfill 10 repos × 100k records into SQLite',
        unit: 'record',
        perCall: 1_000_000,
        memory: true,
        impls: { '@rsky/mirror SQLite': oursSqlite(tenLarge) },
        note: `${streamed}. The baseline is measured on one 100k-record repository (next case): one call here would take it over ten minutes`,
      },
      {
        name: 'backfill one 100k-record repo into SQLite',
        unit: 'record',
        perCall: 100_000,
        memory: true,
        impls: sqliteBackfill(big),
      },
      {
        name: 'backfill one 1M-record repo into SQLite',
        unit: 'record',
        perCall: 1_000_000,
        memory: true,
        impls: { '@rsky/mirror SQLite': oursSqlite(million) },
        note: `streamed from the CAR file (about 235 MB); ${streamed}. No baseline: @atproto/repo holds the whole repository in memory`,
      },
      {
        name: `backfill ${REPOS} repos × ${PER_REPO} records into Postgres`,
        unit: 'record',
        perCall: REPOS * PER_REPO,
        impls: postgresBackfill(smallRepos),
        note: 'ours runs four backfills at once as the engine does by default: signatures checked on a worker thread, repositories that complete together written in one transaction with one binary COPY (statements, rows and COMMIT in one round trip); the baseline one INSERT per record, one repository at a time',
      },
      {
        name: 'backfill 10 repos × 100k records into Postgres',
        unit: 'record',
        perCall: 1_000_000,
        memory: true,
        impls: { '@rsky/mirror Postgres (COPY)': oursPostgres(tenLarge) },
        note: `${streamed}. The baseline is measured on one 100k-record repository (next case)`,
      },
      {
        name: 'backfill one 100k-record repo into Postgres',
        unit: 'record',
        perCall: 100_000,
        memory: true,
        impls: postgresBackfill(big),
      },
      {
        name: 'backfill one 1M-record repo into Postgres',
        unit: 'record',
        perCall: 1_000_000,
        memory: true,
        impls: { '@rsky/mirror Postgres (COPY)': oursPostgres(million) },
        note: 'streamed from the CAR file (about 235 MB)',
      },
      {
        name: `live: ${COMMITS} verified commits applied durably (SQLite)`,
        unit: 'commit',
        perCall: COMMITS,
        impls: {
          '@rsky/mirror applyCommit': oursLive('sqlite'),
          '@atproto/sync + INSERT per op': atprotoLive(),
          '@rsky/mirror engine, inline authentication': oursEngine('sqlite', 0),
          '@rsky/mirror engine, CommitAuthPool 2 threads': oursEngine('sqlite', 2),
        },
        note: 'sync 1.1 authentication of each commit (CAR hashes, inversion to prevData, secp256k1 signature), then records + repository state + cursor committed. applyCommit and the baseline: one commit at a time, one transaction each. The engine rows: MirrorEngine fed the frames by a socket, commits authenticated as they arrive, runs of ready commits in one transaction (group commit, same exactly-once cursor); the main thread shares the cores with the pool',
      },
      {
        name: `live: ${COMMITS} verified commits applied durably (Postgres)`,
        unit: 'commit',
        perCall: COMMITS,
        impls: {
          '@rsky/mirror applyCommit': oursLive('postgres'),
          '@atproto/sync + INSERT per op (pg)': atprotoLivePg(),
          '@rsky/mirror engine, CommitAuthPool 2 threads': oursEngine('postgres', 2),
        },
        note: 'as the SQLite case, into Postgres on loopback (one server shared with the rest of the machine)',
      },
      {
        name: `live, steady state: ${LONG_COMMITS} verified commits applied durably (SQLite)`,
        unit: 'commit',
        perCall: LONG_COMMITS,
        impls: { '@rsky/mirror engine, CommitAuthPool 2 threads': oursEngine('sqlite', 2, LONG_COMMITS) },
        note: `the SQLite engine row on a five times longer stream of the same ${ACCOUNTS} accounts: the per-round fixed costs (opening and seeding the store, starting and stopping the engine, filling and draining the pipeline: about 30-60 ms) weigh a fifth as much, so this row is nearer the rate a running engine sustains`,
      },
    ]
  },
}

export default suite
