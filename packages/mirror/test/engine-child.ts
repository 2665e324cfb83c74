// Child process of the hook and soak tests: a MirrorEngine with an application hook that keeps the
// application's own tables (`app_record`, `app_change`) in the mirror's transaction, optionally slow.
// Prints a JSON line of memory and counters every `reportMs`; SIGTERM stops it cleanly.
// Usage: node --conditions=source engine-child.ts '{"kind":"sqlite","db":"…","service":"http://…"}'
import type { DatabaseSync } from 'node:sqlite'
import { staticKeys } from '@rsky/sync'
import type pg from 'pg'
import {
  type AppChange,
  MirrorEngine,
  type MirrorStore,
  PostgresMirrorStore,
  SqliteMirrorStore,
} from '../src/index.ts'

interface ChildOptions {
  kind: 'sqlite' | 'postgres'
  db: string
  service: string
  /** The application's cost per change, in ms (a blocking wait on SQLite, a timer on Postgres). */
  msPerChange?: number
  reportMs?: number
  maxQueue?: number
  /** SQLite page cache in KiB (the store's default is 64 MiB, which fills as the file grows). */
  cacheSizeKiB?: number
  /** A full collection before each report (needs `--expose-gc`): the numbers are then live memory, not garbage awaiting a collection. */
  gcBeforeReport?: boolean
}

const o = JSON.parse(process.argv[2] as string) as ChildOptions
const keys = staticKeys((await (await fetch(`${o.service}/keys`)).json()) as Record<string, string>)
const pause = new Int32Array(new SharedArrayBuffer(4))

/** An id like `did/rev/3`: a change of a live commit (backfill ids end in a path or `reset`). */
function isLive(id: string): number {
  const parts = id.split('/')
  return parts.length === 3 && /^\d+$/.test(parts[2] as string) ? 1 : 0
}

const APP_SCHEMA = `
CREATE TABLE IF NOT EXISTS app_record (did TEXT NOT NULL, collection TEXT NOT NULL, rkey TEXT NOT NULL, cid TEXT NOT NULL,
  PRIMARY KEY (did, collection, rkey));
CREATE TABLE IF NOT EXISTS app_change (id TEXT PRIMARY KEY, live INTEGER NOT NULL);
`

function sqliteHook(db: DatabaseSync, changes: readonly AppChange[]): void {
  if (o.msPerChange) Atomics.wait(pause, 0, 0, o.msPerChange * changes.length)
  const put = db.prepare(
    'INSERT INTO app_record VALUES (?, ?, ?, ?) ON CONFLICT (did, collection, rkey) DO UPDATE SET cid = excluded.cid',
  )
  const del = db.prepare('DELETE FROM app_record WHERE did = ? AND collection = ? AND rkey = ?')
  const reset = db.prepare('DELETE FROM app_record WHERE did = ?')
  // a plain INSERT: a change delivered twice fails the transaction (and the test)
  const seen = db.prepare('INSERT INTO app_change VALUES (?, ?)')
  for (const ch of changes) {
    if (ch.action === 'reset') reset.run(ch.did)
    else if (ch.action === 'delete') del.run(ch.did, ch.collection, ch.rkey)
    else put.run(ch.did, ch.collection, ch.rkey, ch.cid as string)
    if (ch.action !== 'reset') seen.run(ch.id, isLive(ch.id))
  }
}

async function postgresHook(c: pg.PoolClient, changes: readonly AppChange[]): Promise<void> {
  if (o.msPerChange) await new Promise((r) => setTimeout(r, (o.msPerChange as number) * changes.length))
  for (const ch of changes) {
    if (ch.action === 'reset') await c.query('DELETE FROM app_record WHERE did = $1', [ch.did])
    else if (ch.action === 'delete')
      await c.query('DELETE FROM app_record WHERE did = $1 AND collection = $2 AND rkey = $3', [
        ch.did,
        ch.collection,
        ch.rkey,
      ])
    else
      await c.query(
        'INSERT INTO app_record VALUES ($1, $2, $3, $4) ON CONFLICT (did, collection, rkey) DO UPDATE SET cid = excluded.cid',
        [ch.did, ch.collection, ch.rkey, ch.cid],
      )
    if (ch.action !== 'reset') await c.query('INSERT INTO app_change VALUES ($1, $2)', [ch.id, isLive(ch.id)])
  }
}

let store: MirrorStore
if (o.kind === 'sqlite') {
  const s = SqliteMirrorStore.open(o.db, {
    onChanges: sqliteHook,
    ...(o.cacheSizeKiB === undefined ? {} : { cacheSizeKiB: o.cacheSizeKiB }),
  })
  s.db.exec(APP_SCHEMA)
  store = s
} else {
  const s = await PostgresMirrorStore.connect(o.db, { onChanges: postgresHook, maxConnections: 4 })
  await s.pool.query(APP_SCHEMA.replaceAll('TEXT', 'text').replaceAll('INTEGER', 'integer'))
  store = s
}

let errors = 0
const engine = new MirrorEngine({
  store,
  service: o.service,
  keys,
  ...(o.maxQueue === undefined ? {} : { maxQueue: o.maxQueue }),
  onError: () => {
    errors++
  },
  onReject: (r) => process.stderr.write(`rejected ${JSON.stringify(r)}\n`),
})
await engine.start()

const report = setInterval(() => {
  if (o.gcBeforeReport) (globalThis as { gc?: () => void }).gc?.()
  const m = process.memoryUsage()
  process.stdout.write(
    `${JSON.stringify({ t: Date.now(), rss: m.rss, heap: m.heapUsed, heapTotal: m.heapTotal, external: m.external, queued: engine.queued, applied: engine.stats.commitsApplied, errors })}\n`,
  )
}, o.reportMs ?? 500)

process.once('SIGTERM', () => {
  clearInterval(report)
  void engine
    .stop()
    .then(() => store.close())
    .then(() => process.exit(0))
})
