import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { SqliteMirrorStore } from '../src/index.ts'
import { crashScenario } from './crash.ts'
import { type Net, type Seed, startNetwork } from './pds.ts'

let net: Net
let sc: Seed
let dir: string

beforeAll(async () => {
  ;({ net, sc } = await startNetwork())
  dir = mkdtempSync(join(tmpdir(), 'rsky-mirror-crash-'))
})
afterAll(async () => {
  await net?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('rsky sync run on SQLite, killed with SIGKILL and restarted', () => {
  it('ends with rsky sync records equal to getRepo for every account', { timeout: 180_000 }, async () => {
    const db = join(dir, 'mirror.db')
    await crashScenario({ net, sc, db, store: async () => SqliteMirrorStore.open(db), seed: 13, rounds: 4 })
  })
})
