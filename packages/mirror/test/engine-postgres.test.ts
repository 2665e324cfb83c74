// The same scenario on Postgres: a database created for this run and dropped after. With CI=true
// an unreachable server fails the run (createTestDatabase throws), never a skip.
import { createTestDatabase, type TestDatabase } from '@rsky/test-vectors'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { PostgresMirrorStore } from '../src/index.ts'
import { type Net, type Seed, startNetwork } from './pds.ts'
import { liveScenario } from './scenario.ts'

let net: Net
let sc: Seed
let db: TestDatabase

beforeAll(async () => {
  ;({ net, sc } = await startNetwork())
  db = await createTestDatabase('rsky_mirror')
})
afterAll(async () => {
  await net?.close()
  await db?.drop()
})

describe('MirrorEngine on Postgres against the official PDS', () => {
  it('backfills history, follows live writes, and ends equal to getRepo for every account', async () => {
    const store = await PostgresMirrorStore.connect(db.url)
    try {
      await liveScenario(net, sc, store)
    } finally {
      await store.close()
    }
  })
})
