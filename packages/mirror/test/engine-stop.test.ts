// stop() while the backfill loop waits for the store (a Postgres query in flight): the engine
// stops at once, without waiting out the loop's 250 ms timer, and starts no backfill afterwards.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { staticKeys } from '@rsky/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MirrorEngine, type MirrorStore, SqliteMirrorStore } from '../src/index.ts'

let dir: string
let server: Server
let service: string
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rsky-mirror-stop-'))
  server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end('{}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  service = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

describe('MirrorEngine.stop', () => {
  it('does not wait on the backfill timer or start a backfill when the store answers after it', async () => {
    const store = SqliteMirrorStore.open(join(dir, 'a.db'))
    const did = 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'
    const due = store.duePending.bind(store)
    let asked: (() => void) | undefined
    const inFlight = new Promise<void>((resolve) => {
      asked = resolve
    })
    let answer: (() => void) | undefined
    // the store's first answer is held back until the test lets it go
    ;(store as { duePending: MirrorStore['duePending'] }).duePending = (opts) =>
      new Promise((resolve) => {
        answer = () => resolve(due(opts))
        asked?.()
      })
    let fetched = 0
    const engine = new MirrorEngine({
      store,
      service,
      dids: [did],
      keys: staticKeys(new Map()),
      live: false,
      repoSource: async () => {
        fetched++
        throw new Error('no repository here')
      },
    })
    try {
      await engine.start()
      await inFlight
      const t0 = performance.now()
      const stopped = engine.stop()
      answer?.()
      await stopped
      const took = performance.now() - t0
      expect(took).toBeLessThan(200)
      await new Promise((r) => setTimeout(r, 20))
      expect(fetched).toBe(0)
      expect(engine.backfilling).toBe(0)
    } finally {
      await engine.stop()
      store.close()
    }
  })
})
