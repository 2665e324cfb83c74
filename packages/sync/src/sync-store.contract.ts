import { type Cid, parseCid } from '@rsky/dag-cbor'
import { afterEach, describe, expect, it } from 'vitest'
import type { RepoState } from './repo-state.ts'
import type { SyncStore, SyncStoreBatch } from './sync-store.ts'

/** What a store factory hands the contract suite: the store, and how to reopen and clean it up. */
export interface SyncStoreFixture {
  store: SyncStore
  /**
   * Durable stores: closes nothing, opens the same data again as a new store (as after a crash),
   * so the suite can check that committed writes survive.
   */
  reopen?: () => Promise<SyncStore> | SyncStore
  /** Called after each test (drop the database, delete the file). */
  cleanup?: () => Promise<void> | void
}

const CIDS = [
  'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
  'bafyreibj4lsc3aqnrvphp5xmxnfoorvru4wkpqtkjqcawd4kixnpr7jtti',
  'bafyreigdmqpykrgxyaxtlafqpqhzrb7qy2rh75nldvfd4tucqmqqme5yje',
].map((s) => parseCid(s))

function cid(i: number): Cid {
  return CIDS[i % CIDS.length] as Cid
}

function state(rev: string, i = 0, extra: Partial<RepoState> = {}): RepoState {
  return { rev, data: cid(i), status: 'synchronized', ...extra }
}

async function expectRepo(store: SyncStore, did: string, want: RepoState | undefined): Promise<void> {
  const got = await store.getRepo(did)
  if (want === undefined) {
    expect(got).toBeUndefined()
    return
  }
  expect(got).toBeDefined()
  const g = got as RepoState
  expect(g.rev).toBe(want.rev)
  expect(g.data.equals(want.data)).toBe(true)
  expect(g.status).toBe(want.status)
  expect(g.seq ?? undefined).toBe(want.seq)
  expect(g.unproven === true).toBe(want.unproven === true)
}

/** Bad batches: each must throw and write nothing (contract rule 4). */
const BAD_BATCHES: [string, unknown][] = [
  ['repo DID not a string', { repos: [{ did: 42, state: null }] }],
  ['repo DID empty', { repos: [{ did: '', state: null }] }],
  [
    'rev not a string',
    { repos: [{ did: 'did:plc:x', state: { rev: 1, data: cid(0), status: 'synchronized' } }] },
  ],
  [
    'data not a Cid',
    { repos: [{ did: 'did:plc:x', state: { rev: '3k', data: 'bafy', status: 'synchronized' } }] },
  ],
  ['unknown status', { repos: [{ did: 'did:plc:x', state: { rev: '3k', data: cid(0), status: 'maybe' } }] }],
  ['negative repo seq', { repos: [{ did: 'did:plc:x', state: { ...state('3k'), seq: -1 } }] }],
  ['account active not boolean', { accounts: [{ did: 'did:plc:x', status: { active: 'no' } }] }],
  ['negative cursor', { cursor: { stream: 's', seq: -1 } }],
  ['fractional cursor', { cursor: { stream: 's', seq: 1.5 } }],
  ['unsafe cursor', { cursor: { stream: 's', seq: 2 ** 60 } }],
  ['cursor stream empty', { cursor: { stream: '', seq: 1 } }],
]

/**
 * Registers the {@link SyncStore} contract tests (vitest) for one implementation. Call it from a
 * test file with a factory that returns a fresh, empty store each time.
 * @example
 * import { describeSyncStoreContract } from '@rsky/sync/testing'
 * describeSyncStoreContract('sqlite', async () => {
 *   const path = tempFile()
 *   return { store: openStore(path), reopen: () => openStore(path), cleanup: () => rm(path) }
 * })
 */
export function describeSyncStoreContract(
  name: string,
  makeStore: () => Promise<SyncStoreFixture | SyncStore> | SyncStoreFixture | SyncStore,
): void {
  describe(`SyncStore contract: ${name}`, () => {
    let cleanups: (() => Promise<void> | void)[] = []
    afterEach(async () => {
      const list = cleanups
      cleanups = []
      for (const c of list) await c()
    })
    async function open(): Promise<SyncStoreFixture> {
      const made = await makeStore()
      const fx: SyncStoreFixture = 'commit' in made ? { store: made } : made
      cleanups.push(async () => {
        await fx.store.close?.()
        await fx.cleanup?.()
      })
      return fx
    }

    it('an empty store knows nothing', async () => {
      const { store } = await open()
      expect(await store.getRepo('did:plc:none')).toBeUndefined()
      expect(await store.getAccount('did:plc:none')).toBeUndefined()
      expect(await store.getCursor('wss://relay.example')).toBeUndefined()
      await store.commit({})
      expect(await store.getCursor('wss://relay.example')).toBeUndefined()
    })

    it('round-trips repository state, including seq and unproven', async () => {
      const { store } = await open()
      const a = state('3kaaaaaaaaa22', 0, { seq: 7 })
      const b = state('3kbbbbbbbbb22', 1, { status: 'desynchronized', unproven: true })
      await store.commit({
        repos: [
          { did: 'did:plc:a', state: a },
          { did: 'did:web:b.example', state: b },
        ],
      })
      await expectRepo(store, 'did:plc:a', a)
      await expectRepo(store, 'did:web:b.example', b)
    })

    it('null deletes a repository; the last write of a DID in a batch wins', async () => {
      const { store } = await open()
      await store.commit({
        repos: [
          { did: 'did:plc:a', state: state('3k1') },
          { did: 'did:plc:b', state: state('3k1') },
        ],
      })
      await store.commit({
        repos: [
          { did: 'did:plc:a', state: null },
          { did: 'did:plc:b', state: state('3k2', 1) },
          { did: 'did:plc:b', state: state('3k3', 2) },
        ],
      })
      await expectRepo(store, 'did:plc:a', undefined)
      await expectRepo(store, 'did:plc:b', state('3k3', 2))
      await store.commit({ repos: [{ did: 'did:plc:gone', state: null }] })
      await expectRepo(store, 'did:plc:gone', undefined)
    })

    it('keeps inactive account statuses; active ones read as active or unknown; null forgets', async () => {
      const { store } = await open()
      await store.commit({
        accounts: [
          { did: 'did:plc:t', status: { active: false, status: 'takendown' } },
          { did: 'did:plc:d', status: { active: false } },
          { did: 'did:plc:ok', status: { active: true } },
        ],
      })
      expect(await store.getAccount('did:plc:t')).toEqual({ active: false, status: 'takendown' })
      const d = await store.getAccount('did:plc:d')
      expect(d?.active).toBe(false)
      expect(d?.status ?? undefined).toBeUndefined()
      const ok = await store.getAccount('did:plc:ok')
      expect(ok === undefined || ok.active === true).toBe(true)
      await store.commit({
        accounts: [
          { did: 'did:plc:t', status: { active: true } },
          { did: 'did:plc:d', status: null },
        ],
      })
      const t = await store.getAccount('did:plc:t')
      expect(t === undefined || t.active === true).toBe(true)
      expect(await store.getAccount('did:plc:d')).toBeUndefined()
    })

    it('keeps one cursor per stream; 0 is a cursor; null clears it', async () => {
      const { store } = await open()
      await store.commit({ cursor: { stream: 'wss://a.example', seq: 0 } })
      await store.commit({ cursor: { stream: 'wss://b.example', seq: Number.MAX_SAFE_INTEGER } })
      expect(await store.getCursor('wss://a.example')).toBe(0)
      expect(await store.getCursor('wss://b.example')).toBe(Number.MAX_SAFE_INTEGER)
      await store.commit({ cursor: { stream: 'wss://a.example', seq: 12 } })
      expect(await store.getCursor('wss://a.example')).toBe(12)
      await store.commit({ cursor: { stream: 'wss://a.example', seq: null } })
      expect(await store.getCursor('wss://a.example')).toBeUndefined()
      expect(await store.getCursor('wss://b.example')).toBe(Number.MAX_SAFE_INTEGER)
    })

    it('writes repository, account and cursor of one batch together', async () => {
      const { store } = await open()
      await store.commit({
        repos: [{ did: 'did:plc:a', state: state('3k1', 0, { seq: 5 }) }],
        accounts: [{ did: 'did:plc:a', status: { active: false, status: 'deactivated' } }],
        cursor: { stream: 's', seq: 5 },
      })
      await expectRepo(store, 'did:plc:a', state('3k1', 0, { seq: 5 }))
      expect((await store.getAccount('did:plc:a'))?.status).toBe('deactivated')
      expect(await store.getCursor('s')).toBe(5)
    })

    for (const [label, batch] of BAD_BATCHES) {
      it(`refuses a bad batch and writes none of it: ${label}`, async () => {
        const { store } = await open()
        await store.commit({
          repos: [{ did: 'did:plc:keep', state: state('3k1') }],
          cursor: { stream: 's', seq: 1 },
        })
        const full = {
          repos: [{ did: 'did:plc:new', state: state('3k9') }, ...((batch as SyncStoreBatch).repos ?? [])],
          accounts: [
            { did: 'did:plc:new', status: { active: false, status: 'suspended' } },
            ...((batch as SyncStoreBatch).accounts ?? []),
          ],
          cursor: (batch as SyncStoreBatch).cursor ?? { stream: 's', seq: 9 },
        } as SyncStoreBatch
        await expect(async () => store.commit(full)).rejects.toThrow()
        await expectRepo(store, 'did:plc:new', undefined)
        await expectRepo(store, 'did:plc:keep', state('3k1'))
        expect(await store.getAccount('did:plc:new')).toBeUndefined()
        expect(await store.getCursor('s')).toBe(1)
      })
    }

    it('returns copies: changing a read value changes nothing stored', async () => {
      const { store } = await open()
      await store.commit({
        repos: [{ did: 'did:plc:a', state: state('3k1', 0, { seq: 1 }) }],
        accounts: [{ did: 'did:plc:a', status: { active: false, status: 'suspended' } }],
      })
      const got = (await store.getRepo('did:plc:a')) as RepoState
      got.rev = 'zzz'
      got.status = 'desynchronized'
      const acct = (await store.getAccount('did:plc:a')) as { active: boolean; status?: string }
      acct.status = 'changed'
      await expectRepo(store, 'did:plc:a', state('3k1', 0, { seq: 1 }))
      expect((await store.getAccount('did:plc:a'))?.status).toBe('suspended')
    })

    it('applies commits in call order, even when issued without waiting', async () => {
      const { store } = await open()
      const n = 40
      const all: (Promise<void> | void)[] = []
      for (let i = 1; i <= n; i++) {
        all.push(
          store.commit({
            repos: [
              { did: `did:plc:k${i % 5}`, state: state(`3k${String(i).padStart(3, '0')}`, i, { seq: i }) },
            ],
            cursor: { stream: 's', seq: i },
          }),
        )
      }
      await Promise.all(all)
      expect(await store.getCursor('s')).toBe(n)
      for (let k = 0; k < 5; k++) {
        const last = n - ((n - k) % 5)
        await expectRepo(
          store,
          `did:plc:k${k}`,
          state(`3k${String(last).padStart(3, '0')}`, last, { seq: last }),
        )
      }
    })

    it('holds a large batch (2,000 DIDs) in one commit', async () => {
      const { store } = await open()
      const repos = Array.from({ length: 2000 }, (_, i) => ({
        did: `did:plc:many${i}`,
        state: state('3k1', i),
      }))
      await store.commit({ repos, cursor: { stream: 's', seq: 2000 } })
      await expectRepo(store, 'did:plc:many0', state('3k1', 0))
      await expectRepo(store, 'did:plc:many1999', state('3k1', 1999))
      expect(await store.getCursor('s')).toBe(2000)
    })

    it('keeps committed writes across a reopen (durable stores)', async (ctx) => {
      const fx = await open()
      if (fx.reopen === undefined) {
        ctx.skip()
        return
      }
      await fx.store.commit({
        repos: [{ did: 'did:plc:a', state: state('3k1', 1, { seq: 3, unproven: true }) }],
        accounts: [{ did: 'did:plc:a', status: { active: false, status: 'takendown' } }],
        cursor: { stream: 's', seq: 3 },
      })
      const again = await fx.reopen()
      cleanups.unshift(async () => {
        await again.close?.()
      })
      await expectRepo(again, 'did:plc:a', state('3k1', 1, { seq: 3, unproven: true }))
      expect(await again.getAccount('did:plc:a')).toEqual({ active: false, status: 'takendown' })
      expect(await again.getCursor('s')).toBe(3)
    })
  })
}
