// A database connection lost mid-run is retried and the run resumes: on Postgres every connection
// of the engine is killed (pg_terminate_backend) while it backfills and while it applies live
// commits; on SQLite another process holds the write lock for longer than the busy timeout. Each
// run ends with the mirror equal to what the host holds, and no repository parked.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { staticKeys } from '@rsky/sync'
import { createTestDatabase, type TestDatabase } from '@rsky/test-vectors'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  getRepoSource,
  MirrorEngine,
  type MirrorStore,
  PostgresMirrorStore,
  type RepoSource,
  SqliteMirrorStore,
} from '../src/index.ts'
import { mirrored, until } from './scenario.ts'
import { SyntheticHost } from './synthetic-host.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rsky-mirror-connlost-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** getRepo from the host, each answer held back `ms` (so backfills are still running when the fault comes). */
function slowSource(host: SyntheticHost, ms: number, before?: () => Promise<void>): RepoSource {
  const inner = getRepoSource(host.url)
  return async (did, signal) => {
    await sleep(ms)
    await before?.()
    return inner(did, signal)
  }
}

async function endsEqual(
  host: SyntheticHost,
  store: MirrorStore,
  engine: MirrorEngine,
  errors: unknown[],
  /** How many backfills failed, and were retried, for a reason the test accepts (none by default). */
  retried: () => number = () => 0,
): Promise<void> {
  await host.stopProducing()
  const want = (await host.held()).sort()
  const same = async (): Promise<boolean> => {
    try {
      return JSON.stringify(await mirrored(store)) === JSON.stringify(want)
    } catch {
      return false // the test's own reads meet the killed connections too
    }
  }
  await until(same, 90_000).catch(() => {})
  expect(await mirrored(store)).toEqual(want)
  await engine.idle(30_000)
  const s = await store.status(engine.stream)
  expect(s.repos.parked).toBe(0)
  expect(s.repos.pending).toBe(0)
  expect(s.buffered).toBe(0)
  // the faults really happened, and were recovered from
  expect(errors.length).toBeGreaterThan(0)
  expect(engine.stats.rejected).toBe(retried())
}

describe('Postgres: the engine connections are killed mid-run', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase('rsky_mirror_connlost')
  })
  afterAll(async () => {
    await db?.drop()
  })

  it('while backfilling and while applying live commits: retried, and the run ends exact', {
    timeout: 180_000,
  }, async () => {
    const admin = new pg.Client({ connectionString: db.url })
    await admin.connect()
    let killed = 0
    const killAll = async (): Promise<void> => {
      const r = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      )
      killed += r.rowCount ?? 0
    }
    const host = await SyntheticHost.start({ accounts: 24, seed: 31 })
    const store = await PostgresMirrorStore.connect(db.url, { maxConnections: 4 })
    const errors: unknown[] = []
    let fetches = 0
    const engine = new MirrorEngine({
      store,
      service: host.url,
      keys: staticKeys(new Map(Object.entries(host.keys()))),
      retryDelayMs: 50,
      // every fourth getRepo first kills every connection: backfill writes meet dead sockets
      repoSource: slowSource(host, 40, async () => {
        if (fetches++ % 4 === 0) await killAll()
      }),
      onError: (err) => errors.push(err),
    })
    try {
      await engine.start()
      // backfill: the kills of the repoSource above hit writes in flight
      await until(async () => engine.stats.backfilled >= 24, 90_000)
      const killedInBackfill = killed
      expect(killedInBackfill).toBeGreaterThan(0)
      // live: kill every connection again and again while commits stream in
      host.produce()
      await host.subscribed()
      for (let i = 0; i < 8; i++) {
        await sleep(250)
        await killAll()
      }
      expect(killed).toBeGreaterThan(killedInBackfill)
      await endsEqual(host, store, engine, errors)
      expect(engine.stats.commitsApplied).toBeGreaterThan(0)
    } finally {
      await engine.stop()
      await store.close()
      await host.close()
      await admin.end()
    }
  })
})

describe('SQLite: another process holds the write lock longer than the busy timeout', () => {
  it('the engine retries, and the run ends exact', { timeout: 180_000 }, async () => {
    const path = join(dir, 'busy.db')
    const host = await SyntheticHost.start({ accounts: 16, seed: 32 })
    const store = SqliteMirrorStore.open(path)
    const errors: unknown[] = []
    const rejects: string[] = []
    const engine = new MirrorEngine({
      store,
      service: host.url,
      keys: staticKeys(new Map(Object.entries(host.keys()))),
      retryDelayMs: 50,
      concurrency: 2,
      repoSource: slowSource(host, 150),
      onError: (err) => errors.push(err),
      onReject: (r) => rejects.push(`${r.code} ${r.message}`),
    })
    let holder: ChildProcess | undefined
    try {
      await engine.start()
      host.produce()
      await host.subscribed()
      // while backfills and live commits are under way, a second process takes the write lock and
      // holds it until the engine has seen a write fail (the store waits 10 s for the lock, then
      // the write fails and is retried); then it lets go. Holding it for a fixed time instead made
      // the test depend on when the engine's next write started.
      const script = `const { DatabaseSync } = require('node:sqlite')
        const db = new DatabaseSync(process.argv[1], { timeout: 60000 })
        db.exec('BEGIN IMMEDIATE')
        process.stdout.write('locked\\n')
        const release = () => { db.exec('COMMIT'); db.close(); process.exit(0) }
        process.stdin.once('data', release)
        setTimeout(release, 90000)`
      holder = spawn(process.execPath, ['-e', script, path], { stdio: ['pipe', 'pipe', 'inherit'] })
      await new Promise<void>((resolve, reject) => {
        holder?.stdout?.once('data', () => resolve())
        holder?.once('exit', (code) => reject(new Error(`lock holder exited; code=${code}`)))
      })
      const exited = new Promise<void>((resolve) => holder?.once('exit', () => resolve()))
      const busy = (): boolean => errors.some((e) => /locked|busy/i.test(String((e as Error)?.message ?? e)))
      await until(async () => busy(), 80_000)
      const before = engine.stats.commitsApplied
      holder.stdin?.end('release\n')
      await exited
      // after the lock is gone the run goes on
      await until(async () => engine.stats.commitsApplied > before + 20, 60_000)
      // No repository is blamed for the database's lock. A getRepo in flight can fail, though: the
      // store waits out the busy timeout synchronously, so this process (the host's server and the
      // engine's fetch) is frozen for 10 s at a time; such a fetch is retried like any other.
      const fetchFailed = (): number => rejects.filter((r) => r.startsWith('FETCH_FAILED ')).length
      expect(rejects.length).toBe(fetchFailed())
      await endsEqual(host, store, engine, errors, fetchFailed)
      expect(rejects.length).toBe(fetchFailed())
    } finally {
      if (holder && holder.exitCode === null) holder.kill('SIGKILL')
      await engine.stop()
      store.close()
      await host.close()
    }
  })
})
