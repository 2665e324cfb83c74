// A soak bounded in time: a fast producer (a loopback host signing commits as fast as the stream
// takes them) and a slow application (the in-transaction hook costs a fixed time per change), the
// engine in its own process. Its memory is sampled throughout and must stay flat: bounded by
// maxQueue and the socket buffers, not growing with the events produced. At the end nothing is
// lost: every produced change applied once, the application's table equal to the records and host.
// SOAK_SECONDS sets the length (default 40); RSKY_SOAK_POSTGRES=1 also runs it on Postgres.
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestDatabase, type TestDatabase } from '@rsky/test-vectors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { activeRepos, type ChildLine, exited, mirrorTables, startChild } from './engine-child-control.ts'
import { SyntheticHost } from './synthetic-host.ts'

const SECONDS = Number(process.env['SOAK_SECONDS'] ?? 40)
const MB = 1024 * 1024
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rsky-mirror-soak-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const kinds: ('sqlite' | 'postgres')[] = process.env['RSKY_SOAK_POSTGRES']
  ? ['sqlite', 'postgres']
  : ['sqlite']

describe('soak: fast producer, slow application', () => {
  for (const kind of kinds) {
    it(`${kind}: memory flat over ${SECONDS} s, nothing lost`, {
      timeout: (SECONDS + 120) * 1000,
    }, async () => {
      const host = await SyntheticHost.start({ accounts: 50, seed: 77, keepFrames: 1000 })
      let pgDb: TestDatabase | undefined
      let target = join(dir, `soak-${kind}.db`)
      if (kind === 'postgres') {
        pgDb = await createTestDatabase('rsky_mirror_soak')
        target = pgDb.url
      }
      const samples: ChildLine[] = []
      let engine: ChildProcess | undefined
      try {
        engine = startChild(
          {
            kind,
            db: target,
            service: host.url,
            msPerChange: 1,
            reportMs: 500,
            maxQueue: 200,
            cacheSizeKiB: 4096,
            gcBeforeReport: true,
          },
          (l) => samples.push(l),
          // a full collection before each sample: live memory is measured, not garbage that V8
          // leaves for a later collection (unsampled, the heap and external buffers climb for a
          // minute and drop back at the next full collection); the young generation at a fixed
          // size, so its one-time growth under allocation pressure is not read as a leak
          ['--expose-gc', '--min-semi-space-size=16', '--max-semi-space-size=16'],
        )
        while ((await activeRepos(kind, target)) < 50) await sleep(100)
        await host.subscribed()
        const startedAt = Date.now()
        host.produce()
        await sleep(SECONDS * 1000)
        await host.stopProducing()
        const producedIn = (Date.now() - startedAt) / 1000
        const during = samples.filter((s) => s.t >= startedAt && s.t <= startedAt + SECONDS * 1000)
        const appliedDuring = (during.at(-1)?.applied ?? 0) - (during[0]?.applied ?? 0)

        // nothing lost: the slow application catches up with every produced change, once
        const want = (await host.held()).sort()
        const end = Date.now() + 120_000
        let t = await mirrorTables(kind, target)
        while (t.live !== host.producedOps || JSON.stringify(t.mirror) !== JSON.stringify(want)) {
          if (Date.now() > end)
            throw new Error(
              `not caught up: live ${t.live}/${host.producedOps} records ${t.mirror.length}/${want.length}`,
            )
          await sleep(500)
          t = await mirrorTables(kind, target)
        }
        expect(t.app).toEqual(t.mirror)
        engine.kill('SIGTERM')
        expect(await exited(engine)).toBe(0)

        // memory flat: after a quarter of the run for warm-up, the last two thirds against the
        // third before it. Live memory (JS heap + external buffers, after a full collection) may
        // grow by 8 MB at most; the RSS peak, which also moves with the allocator and SQLite
        // (its page cache is capped small here so that its filling is not counted), by 32 MB
        // (measured: +5 to +13 MB over 40 s, and flat at ~230 MB from 90 s to 150 s unsampled)
        const warm = during.slice(Math.floor(during.length / 4))
        const mid = warm.slice(0, Math.floor(warm.length / 3))
        const late = warm.slice(Math.floor(warm.length / 3))
        const rss = (xs: ChildLine[]) => Math.max(...xs.map((x) => x.rss))
        const live = (xs: ChildLine[]) => Math.max(...xs.map((x) => x.heap + x.external))
        const line = `${kind}: ${host.produced} commits (${host.producedOps} changes) produced in ${producedIn.toFixed(0)} s, ${appliedDuring} applied during the run; RSS peak ${(rss(mid) / MB).toFixed(0)} -> ${(rss(late) / MB).toFixed(0)} MB, live heap+external ${(live(mid) / MB).toFixed(1)} -> ${(live(late) / MB).toFixed(1)} MB, max queued ${Math.max(...during.map((x) => x.queued))}`
        process.stderr.write(`soak ${line}\n`)
        if (process.env['SOAK_TRACE'])
          process.stderr.write(
            `series ${during.map((x) => `${((x.t - startedAt) / 1000).toFixed(0)}:${(x.rss / MB).toFixed(0)}/${(x.heap / MB).toFixed(1)}/${(x.external / MB).toFixed(1)}/${x.applied}`).join(' ')}\n`,
          )
        expect(during.length).toBeGreaterThan(10)
        expect(rss(late)).toBeLessThanOrEqual(rss(mid) + 32 * MB)
        expect(live(late)).toBeLessThanOrEqual(live(mid) + 8 * MB)
        expect(Math.max(...during.map((x) => x.queued))).toBeLessThanOrEqual(200 + 200)
        // the application was the bottleneck: the producer was held back by backpressure, not idle
        expect(host.produced).toBeGreaterThan(appliedDuring * 0.5)
      } finally {
        if (engine && engine.exitCode === null && engine.signalCode === null) engine.kill('SIGKILL')
        await host.close()
        await pgDb?.drop()
      }
    })
  }
})
