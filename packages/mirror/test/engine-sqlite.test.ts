import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { SqliteMirrorStore } from '../src/index.ts'
import { type Net, type Seed, startNetwork } from './pds.ts'
import { liveScenario } from './scenario.ts'

let net: Net
let sc: Seed
let dir: string

beforeAll(async () => {
  ;({ net, sc } = await startNetwork())
  dir = mkdtempSync(join(tmpdir(), 'rsky-mirror-'))
})
afterAll(async () => {
  await net?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('MirrorEngine on SQLite against the official PDS', () => {
  it('backfills history, follows live writes, and ends equal to getRepo for every account', async () => {
    const store = SqliteMirrorStore.open(join(dir, 'm.db'))
    try {
      await liveScenario(net, sc, store)
    } finally {
      store.close()
    }
  })
})
