// Runs the crash scenario in a plain Node process (no test runner): `node --conditions=source
// crash-driver.ts sqlite|postgres DIR [DBURL]`. Exit code 0 when the mirror ended equal to getRepo.
import { join } from 'node:path'
import pg from 'pg'
import { PostgresMirrorStore, SqliteMirrorStore } from '../src/index.ts'
import { crashScenario } from './crash.ts'
import { startNetwork } from './pds.ts'

const [kind, dir, url] = process.argv.slice(2) as [string, string, string | undefined]
const { net, sc } = await startNetwork()
try {
  if (kind === 'sqlite') {
    const db = join(dir, 'mirror.db')
    const { DatabaseSync } = await import('node:sqlite')
    await crashScenario({
      net,
      sc,
      db,
      store: async () => SqliteMirrorStore.open(db),
      progress: async () => {
        try {
          const d = new DatabaseSync(db, { readOnly: true })
          try {
            const row = d
              .prepare(
                'SELECT (SELECT max(seq) FROM mirror_cursor) AS c, (SELECT count(*) FROM mirror_record) AS n',
              )
              .get() as { c: number | null; n: number }
            return `${row.c} ${row.n}`
          } finally {
            d.close()
          }
        } catch {
          return ''
        }
      },
      seed: 13,
      rounds: 4,
      workDir: dir,
    })
  } else {
    const dbUrl = url as string
    await crashScenario({
      net,
      sc,
      db: dbUrl,
      store: () => PostgresMirrorStore.connect(dbUrl, { maxConnections: 1 }),
      progress: async () => {
        const c = new pg.Client({ connectionString: dbUrl })
        await c.connect()
        try {
          const r = await c.query(
            'SELECT (SELECT max(seq) FROM mirror_cursor) AS c, (SELECT count(*) FROM mirror_record) AS n',
          )
          return `${r.rows[0]?.c} ${r.rows[0]?.n}`
        } catch {
          return ''
        } finally {
          await c.end()
        }
      },
      seed: 1313,
      rounds: 4,
      workDir: dir,
    })
  }
  process.stdout.write('crash scenario passed\n')
} finally {
  await net.close()
}
