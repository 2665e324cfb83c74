import { createTestDatabase, type TestDatabase } from '@rsky/test-vectors'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { PostgresMirrorStore } from '../src/index.ts'
import { crashScenario } from './crash.ts'
import { type Net, type Seed, startNetwork } from './pds.ts'

let net: Net
let sc: Seed
let db: TestDatabase

beforeAll(async () => {
  ;({ net, sc } = await startNetwork())
  db = await createTestDatabase('rsky_mirror_crash')
})
afterAll(async () => {
  await net?.close()
  await db?.drop()
})

describe('rsky sync run on Postgres, killed with SIGKILL and restarted', () => {
  it('ends with rsky sync records equal to getRepo for every account', { timeout: 180_000 }, async () => {
    await crashScenario({
      net,
      sc,
      db: db.url,
      store: () => PostgresMirrorStore.connect(db.url, { maxConnections: 1 }),
      seed: 1313,
      rounds: 4,
    })
  })
})
