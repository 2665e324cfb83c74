// One scenario run against each backend: history before start (backfill), writes while it runs
// (live), a new account mid-run, deletes, applyWrites batches, a handle change, deactivate and
// activate. It ends when the mirror holds exactly what getRepo holds for every account.
import { expect } from 'vitest'
import { MirrorEngine, type MirrorStore } from '../src/index.ts'
import { applyWrites, type Did, heldByHost, type Net, newAccount, type Seed, setActive } from './pds.ts'

export async function mirrored(store: MirrorStore, did?: string): Promise<string[]> {
  const out: string[] = []
  for await (const r of store.records(did === undefined ? {} : { did }))
    out.push(`${r.did} ${r.collection}/${r.rkey} ${r.cid}`)
  return out.sort()
}

export async function until(cond: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Waits until the store holds exactly what the host serves for each DID, then checks it once more. */
export async function expectEqualToHost(
  net: Net,
  store: MirrorStore,
  dids: readonly Did[],
  ms = 30_000,
): Promise<void> {
  const same = async (): Promise<boolean> => {
    for (const did of dids) {
      const want = await heldByHost(net.pds.url, did)
      if (JSON.stringify(want) !== JSON.stringify(await mirrored(store, did))) return false
    }
    return true
  }
  await until(same, ms).catch(() => {})
  for (const did of dids) expect(await mirrored(store, did)).toEqual(await heldByHost(net.pds.url, did))
  // nothing extra: every record held belongs to one of these accounts, and none is duplicated
  const all = await mirrored(store)
  expect(new Set(all).size).toBe(all.length)
}

export async function liveScenario(net: Net, sc: Seed, store: MirrorStore): Promise<void> {
  const alice = await newAccount(sc)
  const bob = await newAccount(sc)
  for (let i = 0; i < 5; i++) await sc.post(alice, `before ${i}`)
  await sc.follow(alice, bob)
  await applyWrites(sc, bob, 7)

  const rejects: string[] = []
  const engine = new MirrorEngine({
    store,
    service: net.pds.url,
    plcUrl: net.plc.url,
    dids: undefined,
    retryDelayMs: 50,
    onReject: (r) => rejects.push(`${r.code} ${r.message}`),
  })
  await engine.start()
  const p = await sc.post(alice, 'live 1')
  await sc.like(bob, p.ref)
  const carol = await newAccount(sc)
  await sc.post(carol, 'carol was here')
  const made = await applyWrites(sc, bob, 3)
  await applyWrites(
    sc,
    bob,
    1,
    made.slice(0, 2).map((m) => m.rkey),
  )
  await sc.deletePost(alice, p.ref.uri)
  await sc.updateHandle(alice, `${alice.slice(-6)}-renamed.test`)
  await setActive(net.pds.url, sc, bob, false)
  await setActive(net.pds.url, sc, bob, true)
  await sc.post(bob, 'back again')

  const dids = [alice, bob, carol]
  await expectEqualToHost(net, store, dids)
  await engine.idle(20_000)
  const status = await store.status(engine.stream)
  expect(status.repos.active).toBeGreaterThanOrEqual(3)
  expect(status.repos.pending + status.repos.parked).toBe(0)
  expect(status.buffered).toBe(0)
  expect(status.cursor).toBeGreaterThan(0)
  expect(rejects).toEqual([])
  await engine.stop()
}
