// The same scenario on Postgres: a database created for this run and dropped after. With CI=true
// an unreachable server fails the run (createTestDatabase throws), never a skip.
import { createTestDatabase, type TestDatabase } from '@rsky/test-vectors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { didHash, MirrorEngine, PostgresMirrorStore } from '../src/index.ts'
import { type Did, type Net, newAccount, type Seed, startNetwork } from './pds.ts'
import { expectEqualToHost, liveScenario } from './scenario.ts'

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

describe('two engines over one Postgres, each with its shard of the DIDs', () => {
  it('divide the repositories between them and together hold exactly what getRepo holds', async () => {
    const dids: Did[] = []
    for (let i = 0; i < 6; i++) {
      const d = await newAccount(sc)
      dids.push(d)
      await sc.post(d, `before ${i}`)
    }
    const shared = await createTestDatabase('rsky_mirror_shards')
    const stores = [
      await PostgresMirrorStore.connect(shared.url),
      await PostgresMirrorStore.connect(shared.url),
    ]
    const engines = stores.map(
      (store, index) =>
        new MirrorEngine({
          store,
          service: net.pds.url,
          plcUrl: net.plc.url,
          dids,
          shard: { index, count: 2 },
        }),
    )
    try {
      for (const e of engines) await e.start()
      for (const d of dids) await sc.post(d, 'live')
      await expectEqualToHost(net, stores[0] as PostgresMirrorStore, dids)
      // each engine backfilled only its own share, and kept its own cursor
      const mine = engines.map((e) => e.stats.backfilled)
      expect(mine[0]! + mine[1]!).toBe(dids.length)
      for (const [i, e] of engines.entries())
        expect(e.stats.backfilled).toBe(dids.filter((d) => didHash(d) % 2 === i).length)
      const status = await stores[0]!.status()
      expect(Object.keys(status.cursors).sort()).toEqual(engines.map((e) => e.stream).sort())
    } finally {
      for (const e of engines) await e.stop()
      for (const s of stores) await s.close()
      await shared.drop()
    }
  })
})
