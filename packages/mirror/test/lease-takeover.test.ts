// Scale-out by leases, end to end: two `rsky sync run --lease` processes over one Postgres and the
// official PDS (in its own process). Both hold partitions; one is SIGKILLed mid-run while the PDS
// keeps taking writes; the survivor takes its partitions over once their leases expire. At the end
// `rsky sync records --json` lists exactly what getRepo holds for every account.
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestDatabase, type TestDatabase } from '@rsky/test-vectors'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PostgresMirrorStore } from '../src/index.ts'
import type { Post, Writer } from './crash.ts'
import { type Did, heldByHost, type Net } from './pds.ts'
import { startRemotePds } from './remote-pds.ts'
import { expectEqualToHost, until } from './scenario.ts'

const root = join(import.meta.dirname, '../../..')
const bin = join(root, 'packages/cli/src/bin.ts')
const nodeArgs = ['--conditions=source', '--no-warnings']
const PARTITIONS = 8
const TTL_MS = 1_500

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rsky-mirror-lease-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function engine(w: Writer, db: string, owner: string): ChildProcess {
  const fd = openSync(join(dir, `${owner}.log`), 'a')
  const args = ['sync', 'run', '--service', w.pdsUrl, '--db', db, '--plc', w.plcUrl, '--lease']
  args.push('--owner', owner, '--partitions', String(PARTITIONS), '--lease-ttl', String(TTL_MS))
  const child = spawn(process.execPath, [...nodeArgs, bin, ...args], {
    stdio: ['ignore', 'ignore', fd],
    cwd: root,
  })
  closeSync(fd)
  return child
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

async function owners(db: string): Promise<Map<string, number>> {
  const c = new pg.Client({ connectionString: db })
  await c.connect()
  try {
    const r = await c.query<{ owner: string; n: number }>(
      `SELECT owner, count(*)::int AS n FROM mirror_lease
       WHERE owner IS NOT NULL AND expires > (extract(epoch from clock_timestamp()) * 1000)::bigint
       GROUP BY owner`,
    )
    return new Map(r.rows.map((row) => [row.owner, row.n]))
  } catch {
    return new Map()
  } finally {
    await c.end()
  }
}

async function rsky(args: string[], out: string): Promise<[number | null, string]> {
  const fd = openSync(out, 'w')
  const child = spawn(process.execPath, [...nodeArgs, bin, ...args], {
    stdio: ['ignore', fd, 'ignore'],
    cwd: root,
  })
  closeSync(fd)
  const code = await exited(child)
  return [code, readFileSync(out, 'utf8')]
}

describe('two rsky sync run --lease over one Postgres, one SIGKILLed', () => {
  // retry: a fresh PDS and database when the PDS process aborted (see crash-sqlite.test.ts)
  it('the survivor takes over its partitions; records equal getRepo for every account', {
    timeout: 240_000,
    retry: 2,
  }, async () => {
    const pds = await startRemotePds()
    const w = pds.writer
    const net = { pds: { url: w.pdsUrl }, plc: { url: w.plcUrl } } as Net
    const db: TestDatabase = await createTestDatabase('rsky_mirror_lease_e2e')
    const started: ChildProcess[] = []
    try {
      const dids: Did[] = []
      const posts = new Map<Did, Post[]>()
      const write = async (i: number): Promise<void> => {
        const did = dids[i % dids.length] as Did
        const held = posts.get(did) as Post[]
        if (i % 3 === 2 && held.length > 1) {
          const gone = held.splice(0, 1).map((p) => p.rkey)
          held.push(...(await w.applyWrites(did, 2, gone)))
        } else held.push(await w.post(did, `post ${i}`))
      }
      // history before the engines start: several accounts, spread over the partitions
      for (let i = 0; i < 8; i++) {
        const d = await w.newAccount()
        dids.push(d)
        posts.set(d, [])
      }
      for (let i = 0; i < 16; i++) await write(i)

      const a = engine(w, db.url, 'A')
      started.push(a)
      await until(async () => (await owners(db.url)).get('A') === PARTITIONS, 60_000)
      const b = engine(w, db.url, 'B')
      started.push(b)
      // A gives back down to its fair share and B claims it
      await until(async () => {
        const o = await owners(db.url)
        return (
          (o.get('A') ?? 0) > 0 &&
          (o.get('B') ?? 0) > 0 &&
          (o.get('A') ?? 0) + (o.get('B') ?? 0) === PARTITIONS
        )
      }, 60_000)
      let i = 16
      for (const end = Date.now() + 2_000; Date.now() < end; ) await write(i++)
      dids.push(await w.newAccount())
      posts.set(dids.at(-1) as Did, [])
      // kill A in the middle of writes
      const killer = (async () => {
        await new Promise((r) => setTimeout(r, 700))
        a.kill('SIGKILL')
      })()
      for (const end = Date.now() + 1_500; Date.now() < end; ) await write(i++)
      await killer
      await exited(a)
      // writes while A's leases run out; then B holds every partition
      for (const end = Date.now() + 2_000; Date.now() < end; ) await write(i++)
      await until(async () => (await owners(db.url)).get('B') === PARTITIONS, 60_000)
      for (let k = 0; k < 6; k++) await write(i++)

      const store = await PostgresMirrorStore.connect(db.url, { maxConnections: 1 })
      try {
        await expectEqualToHost(net, store, dids, 90_000)
        const s = await store.status()
        expect(s.repos.parked).toBe(0)
        const leases = await store.listLeases()
        expect(leases.filter((l) => l.owner === 'B').length).toBe(PARTITIONS)
      } finally {
        await store.close()
      }
      b.kill('SIGTERM')
      expect(await exited(b)).toBe(0)
      for (const who of ['A', 'B'])
        expect(readFileSync(join(dir, `${who}.log`), 'utf8')).not.toMatch(/rejected/)

      const [code, stdout] = await rsky(
        ['sync', 'records', '--db', db.url, '--json'],
        join(dir, 'records.jsonl'),
      )
      expect(code).toBe(0)
      const listed = stdout
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => {
          const o = JSON.parse(l) as { did: string; collection: string; rkey: string; cid: string }
          return `${o.did} ${o.collection}/${o.rkey} ${o.cid}`
        })
      const want: string[] = []
      for (const did of dids) want.push(...((await heldByHost(w.pdsUrl, did)) ?? []))
      expect(listed.sort()).toEqual(want.sort())
      // B stopped cleanly: it gave its leases back
      expect((await owners(db.url)).size).toBe(0)
    } finally {
      for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
      await pds.close()
      await db.drop()
    }
  })
})
