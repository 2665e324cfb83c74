// The SIGKILL crash/restart scenario (crash.ts) on Postgres, in its own Node process (see
// crash-sqlite.test.ts); a database created for this run and dropped after.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestDatabase, type TestDatabase } from '@rsky/test-vectors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runDriver } from './run-driver.ts'

let db: TestDatabase
let dir: string
beforeAll(async () => {
  db = await createTestDatabase('rsky_mirror_crash')
  dir = mkdtempSync(join(tmpdir(), 'rsky-mirror-crash-pg-'))
})
afterAll(async () => {
  await db?.drop()
  rmSync(dir, { recursive: true, force: true })
})

describe.runIf(process.env['RSKY_MIRROR_CRASH'] === '1')(
  'rsky sync run on Postgres, killed with SIGKILL and restarted',
  () => {
    it('ends with rsky sync records equal to getRepo for every account', { timeout: 200_000 }, async () => {
      const r = await runDriver(['postgres', dir, db.url])
      expect(r.code, r.output).toBe(0)
      expect(r.output).toMatch(/crash scenario passed/)
    })
  },
)
