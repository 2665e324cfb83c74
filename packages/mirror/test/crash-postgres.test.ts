// The SIGKILL crash/restart scenario (crash.ts) on Postgres (see crash-sqlite.test.ts: the PDS in
// its own process, retried when it aborts); a database created per attempt and dropped after.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestDatabase } from '@rsky/test-vectors'
import pg from 'pg'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { PostgresMirrorStore } from '../src/index.ts'
import { crashScenario } from './crash.ts'
import { startRemotePds } from './remote-pds.ts'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rsky-mirror-crash-pg-'))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('rsky sync run on Postgres, killed with SIGKILL and restarted', () => {
  // retry: a fresh PDS and database when the PDS process aborted (see crash-sqlite.test.ts)
  it('ends with rsky sync records equal to getRepo for every account', {
    timeout: 200_000,
    retry: 2,
  }, async () => {
    const pds = await startRemotePds()
    const db = await createTestDatabase('rsky_mirror_crash')
    try {
      await crashScenario({
        writer: pds.writer,
        db: db.url,
        store: () => PostgresMirrorStore.connect(db.url, { maxConnections: 1 }),
        progress: async () => {
          const c = new pg.Client({ connectionString: db.url })
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
    } finally {
      await pds.close()
      await db.drop()
    }
  })
})
