// An engine that backfilled but stopped before it wrote any live event leaves no cursor: the
// commits made while it is down are then on no stream position a restart could ask for. The next
// start sends what is active back to pending (resyncActive) and backfills it after the stream is
// open, so it ends equal to the host.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { staticKeys } from '@rsky/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MirrorEngine, SqliteMirrorStore } from '../src/index.ts'
import { mirrored, until } from './scenario.ts'
import { SyntheticHost } from './synthetic-host.ts'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rsky-mirror-first-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('a restart with no cursor', () => {
  it('backfills what is active again, so writes made while it was down are not missed', async () => {
    const host = await SyntheticHost.start({ accounts: 4, seed: 41 })
    const path = join(dir, 'm.db')
    const keys = staticKeys(new Map(Object.entries(host.keys())))
    try {
      const store = SqliteMirrorStore.open(path)
      const first = new MirrorEngine({ store, service: host.url, keys })
      await first.start()
      await until(async () => first.stats.backfilled === 4)
      await first.stop()
      store.close()
      const check = SqliteMirrorStore.open(path)
      expect(check.getCursor(first.stream)).toBeUndefined()
      check.close()

      // down: every account changes
      for (let i = 0; i < 4; i++) await host.commitOn(i)

      const again = SqliteMirrorStore.open(path)
      const second = new MirrorEngine({ store: again, service: host.url, keys })
      try {
        await second.start()
        const want = (await host.held()).sort()
        await until(async () => JSON.stringify(await mirrored(again)) === JSON.stringify(want), 30_000).catch(
          () => {},
        )
        expect(await mirrored(again)).toEqual(want)
        expect(second.stats.backfilled).toBe(4)
      } finally {
        await second.stop()
        again.close()
      }
    } finally {
      await host.close()
    }
  })
})
