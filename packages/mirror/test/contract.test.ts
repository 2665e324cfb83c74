// Both stores keep the SyncStore contract of @rsky/sync (its shared suite), durably: `reopen`
// opens the same file or database again, as after a crash.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeSyncStoreContract } from '@rsky/sync/testing'
import { createTestDatabase, type TestDatabase } from '@rsky/test-vectors'
import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import { PostgresMirrorStore, SqliteMirrorStore } from '../src/index.ts'

let dir: string
let n = 0
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rsky-mirror-contract-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describeSyncStoreContract('SqliteMirrorStore', () => {
  const path = join(dir, `c${n++}.db`)
  return { store: SqliteMirrorStore.open(path), reopen: () => SqliteMirrorStore.open(path) }
})

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase('rsky_mirror_contract')
})
afterAll(async () => {
  await db?.drop()
})

describeSyncStoreContract('PostgresMirrorStore', async () => {
  const store = await PostgresMirrorStore.connect(db.url, { maxConnections: 2 })
  return {
    store,
    reopen: () => PostgresMirrorStore.connect(db.url, { maxConnections: 2 }),
    cleanup: async () => {
      const c = new pg.Client({ connectionString: db.url })
      await c.connect()
      await c.query(
        'TRUNCATE mirror_cursor, mirror_repo, mirror_account, mirror_record, mirror_buffer, mirror_change',
      )
      await c.end()
    },
  }
})
