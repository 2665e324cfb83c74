// The engine against the official PDS on loopback, into SQLite: history before start (backfill),
// writes while it runs (live), a new account mid-run, deletes, applyWrites batches, a handle
// change, deactivate/activate. At the end the mirror holds exactly what getRepo holds.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MirrorEngine, SqliteMirrorStore } from '../src/index.ts'
import { applyWrites, heldByHost, type Net, newAccount, type Seed, setActive, startNetwork } from './pds.ts'

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

async function mirrored(store: SqliteMirrorStore, did: string): Promise<string[]> {
  const out: string[] = []
  for await (const r of store.records({ did })) out.push(`${r.did} ${r.collection}/${r.rkey} ${r.cid}`)
  return out.sort()
}

async function until(cond: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('MirrorEngine on SQLite against the official PDS', () => {
  it('backfills history, follows live writes, and ends equal to getRepo for every account', async () => {
    const alice = await newAccount(sc)
    const bob = await newAccount(sc)
    for (let i = 0; i < 5; i++) await sc.post(alice, `before ${i}`)
    await sc.follow(alice, bob)
    await applyWrites(sc, bob, 7)

    const store = SqliteMirrorStore.open(join(dir, 'm.db'))
    const rejects: string[] = []
    const engine = new MirrorEngine({
      store,
      service: net.pds.url,
      plcUrl: net.plc.url,
      retryDelayMs: 50,
      onReject: (r) => rejects.push(`${r.code} ${r.message}`),
    })
    await engine.start()
    // live while (and after) the backfill runs
    const p = await sc.post(alice, 'live 1')
    await sc.like(bob, p.ref)
    const carol = await newAccount(sc)
    await sc.post(carol, 'carol was here')
    const made = await applyWrites(sc, bob, 3)
    await applyWrites(sc, bob, 1, made.slice(0, 2))
    await sc.deletePost(alice, p.ref.uri)
    await sc.updateHandle(alice, 'alice-renamed.test')
    await setActive(net.pds.url, sc, bob, false)
    await setActive(net.pds.url, sc, bob, true)
    await sc.post(bob, 'back again')

    const dids = [alice, bob, carol]
    await until(async () => {
      for (const did of dids) {
        const want = await heldByHost(net.pds.url, did)
        if (JSON.stringify(want) !== JSON.stringify(await mirrored(store, did))) return false
      }
      return true
    })
    for (const did of dids) expect(await mirrored(store, did)).toEqual(await heldByHost(net.pds.url, did))
    const status = store.status(engine.stream)
    expect(status.repos.active).toBe(3)
    expect(status.buffered).toBe(0)
    expect(status.cursor).toBeGreaterThan(0)
    expect(rejects).toEqual([])
    await engine.stop()
    store.close()
  })
})
