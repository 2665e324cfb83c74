// Running test/engine-child.ts (a MirrorEngine with an application hook) as a child process, and
// reading what its database holds, for the hook crash test and the soak.
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import pg from 'pg'

const root = join(import.meta.dirname, '../../..')
const child = join(import.meta.dirname, 'engine-child.ts')

export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface ChildLine {
  t: number
  rss: number
  heap: number
  external: number
  queued: number
  applied: number
  errors: number
}

/** Starts engine-child.ts (with extra `nodeFlags`); its report lines go to `onLine`. */
export function startChild(
  opts: Record<string, unknown>,
  onLine: (l: ChildLine) => void = () => {},
  nodeFlags: readonly string[] = [],
): ChildProcess {
  const args = ['--conditions=source', '--no-warnings', ...nodeFlags, child, JSON.stringify(opts)]
  const c = spawn(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let buf = ''
  c.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk
    const lines = buf.split('\n')
    buf = lines.pop() ?? ''
    for (const l of lines) if (l.startsWith('{')) onLine(JSON.parse(l) as ChildLine)
  })
  return c
}

export function exited(c: ChildProcess): Promise<number | null> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c.exitCode)
  return new Promise((resolve) => c.once('exit', (code) => resolve(code)))
}

export async function activeRepos(kind: 'sqlite' | 'postgres', target: string): Promise<number> {
  try {
    if (kind === 'sqlite') {
      const d = new DatabaseSync(target, { readOnly: true })
      try {
        return (
          d.prepare("SELECT count(*) AS n FROM mirror_repo WHERE phase = 'active'").get() as { n: number }
        ).n
      } finally {
        d.close()
      }
    }
    const c = new pg.Client({ connectionString: target })
    await c.connect()
    try {
      return Number(
        (await c.query("SELECT count(*) AS n FROM mirror_repo WHERE phase = 'active'")).rows[0]?.n,
      )
    } finally {
      await c.end()
    }
  } catch {
    return 0 // not created yet
  }
}

/** What a database holds: mirror records, application records, live change ids (distinct and total). */
export async function mirrorTables(
  kind: 'sqlite' | 'postgres',
  target: string,
): Promise<{ mirror: string[]; app: string[]; live: number }> {
  const q = async <T>(sql: string): Promise<T[]> => {
    if (kind === 'sqlite') {
      const d = new DatabaseSync(target, { readOnly: true })
      try {
        return d.prepare(sql).all() as T[]
      } finally {
        d.close()
      }
    }
    const c = new pg.Client({ connectionString: target })
    await c.connect()
    try {
      return (await c.query(sql)).rows as T[]
    } finally {
      await c.end()
    }
  }
  const lines = (rows: { did: string; collection: string; rkey: string; cid: string }[]) =>
    rows.map((r) => `${r.did} ${r.collection}/${r.rkey} ${r.cid}`).sort()
  return {
    mirror: lines(await q('SELECT did, collection, rkey, cid FROM mirror_record')),
    app: lines(await q('SELECT did, collection, rkey, cid FROM app_record')),
    live: Number((await q<{ n: number }>('SELECT count(*) AS n FROM app_change WHERE live = 1'))[0]?.n),
  }
}
