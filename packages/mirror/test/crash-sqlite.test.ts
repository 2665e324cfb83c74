// The SIGKILL crash/restart scenario (crash.ts) on SQLite. The official PDS runs in a process of
// its own (pds-host.ts, driven over IPC): over a run this long the process hosting the PDS
// sometimes aborts in a GC finalizer of the PDS's better-sqlite3 (Node 24: ObjectWrap →
// RemoveEnvironmentCleanupHook with no current environment), most often under load. The test
// then retries with a fresh PDS and database; a mirror mismatch fails every attempt the same way.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { SqliteMirrorStore } from '../src/index.ts'
import { crashScenario } from './crash.ts'
import { startRemotePds } from './remote-pds.ts'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rsky-mirror-crash-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The cursor and record count, read with one query on a short-lived read-only connection. */
function progressOf(path: string): string {
  if (!existsSync(path)) return ''
  try {
    const db = new DatabaseSync(path, { readOnly: true })
    try {
      const row = db
        .prepare(
          'SELECT (SELECT max(seq) FROM mirror_cursor) AS c, (SELECT count(*) FROM mirror_record) AS n',
        )
        .get() as { c: number | null; n: number }
      return `${row.c} ${row.n}`
    } finally {
      db.close()
    }
  } catch {
    return ''
  }
}

describe('rsky sync run on SQLite, killed with SIGKILL and restarted', () => {
  // retry: a fresh PDS and database when the PDS process aborted (see above)
  it('ends with rsky sync records equal to getRepo for every account', {
    timeout: 200_000,
    retry: 2,
  }, async () => {
    const pds = await startRemotePds()
    const work = mkdtempSync(join(dir, 'run-'))
    const db = join(work, 'mirror.db')
    try {
      await crashScenario({
        writer: pds.writer,
        db,
        store: async () => SqliteMirrorStore.open(db),
        progress: async () => progressOf(db),
        seed: 13,
        rounds: 4,
        workDir: work,
      })
    } finally {
      await pds.close()
    }
  })
})
