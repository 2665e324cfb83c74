// The RepoStorage contract as a shared vitest suite: any implementation (memory, SQLite, Postgres,
// …) runs the same cases. Durable ones also pass `reopen`, and the suite checks that what a call
// stored survives a new handle on the same data, as after a restart.
import { BlockMap, CidSet } from '@rsky/car'
import { Secp256k1Keypair } from '@rsky/crypto'
import { type Cid, encodeWithCid, type LexValue } from '@rsky/dag-cbor'
import { afterEach, describe, expect, it } from 'vitest'
import { exportRepoCarBytes } from './export.ts'
import { type RecordWrite, Repo } from './repo.ts'
import { MemoryRepoStorage, type RepoStorage } from './storage.ts'
import { verifyRepoCar } from './verify-repo.ts'

/** What a storage factory hands the contract suite. */
export interface RepoStorageFixture {
  storage: RepoStorage
  /** Durable storages: a new handle on the same data (the old one is left open), as after a restart. */
  reopen?: () => Promise<RepoStorage> | RepoStorage
  /** Called after each test (close handles, drop the database, delete the file). */
  cleanup?: () => Promise<void> | void
}

const DID = 'did:plc:storagecontract0000000000'
const KEY = Secp256k1Keypair.import('9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c')

function block(i: number): { cid: Cid; bytes: Uint8Array } {
  return encodeWithCid({ $type: 'test.block', n: i, pad: 'x'.repeat(i % 7) } as LexValue)
}

function blocks(from: number, to: number): BlockMap {
  const map = new BlockMap()
  for (let i = from; i < to; i++) {
    const b = block(i)
    map.set(b.cid, b.bytes)
  }
  return map
}

function bytesOf(u: Uint8Array | null | undefined): number[] | null {
  return u ? Array.from(u) : null
}

function post(i: number): LexValue {
  return { $type: 'app.bsky.feed.post', text: `post ${i}`, createdAt: '2026-12-01T00:00:00.000Z' }
}

function rkey(i: number): string {
  return `k${String(i).padStart(5, '0')}`
}

const REVS = ['3kaaaaaaaaa22', '3kaaaaaaaaa23', '3kaaaaaaaaa24', '3kaaaaaaaaa25', '3kaaaaaaaaa26']

/** 30 posts, then four commits each updating, deleting and creating: the same history on any storage. */
async function writeHistory(storage: RepoStorage): Promise<Repo> {
  const writes: RecordWrite[] = Array.from({ length: 30 }, (_, i) => ({
    action: 'create',
    collection: 'app.bsky.feed.post',
    rkey: rkey(i),
    record: post(i),
  }))
  let repo = await Repo.create({ storage, did: DID, keypair: KEY, writes, rev: REVS[0] as string })
  for (let n = 1; n < REVS.length; n++) {
    const batch: RecordWrite[] = [
      { action: 'update', collection: 'app.bsky.feed.post', rkey: rkey(n - 1), record: post(99 + n) },
      { action: 'delete', collection: 'app.bsky.feed.post', rkey: rkey(19 + n) },
      { action: 'create', collection: 'app.bsky.feed.like', rkey: rkey(n), record: { $type: 'x', n } },
    ]
    repo = await repo.applyCommit(await repo.formatCommit(batch, KEY, { rev: REVS[n] as string }))
  }
  return repo
}

/**
 * Runs the RepoStorage contract on what `makeStorage` returns (a fresh, empty storage per call).
 * @example describeRepoStorageContract('memory', () => new MemoryRepoStorage())
 */
export function describeRepoStorageContract(
  name: string,
  makeStorage: () => Promise<RepoStorageFixture | RepoStorage> | RepoStorageFixture | RepoStorage,
): void {
  describe(`RepoStorage contract: ${name}`, () => {
    let cleanups: (() => Promise<void> | void)[] = []
    afterEach(async () => {
      const list = cleanups
      cleanups = []
      for (const c of list.reverse()) await c()
    })
    async function open(): Promise<RepoStorageFixture> {
      const made = await makeStorage()
      const fx: RepoStorageFixture = 'applyCommit' in made ? { storage: made } : made
      if (fx.cleanup) cleanups.push(fx.cleanup)
      return fx
    }
    /** The storage itself and, when durable, a reopened handle: each check runs on both. */
    async function views(fx: RepoStorageFixture): Promise<RepoStorage[]> {
      return fx.reopen ? [fx.storage, await fx.reopen()] : [fx.storage]
    }

    it('an empty storage has no root and no blocks', async () => {
      const { storage } = await open()
      const b = block(1)
      expect(await storage.getRoot()).toBeNull()
      expect(await storage.getBytes(b.cid)).toBeNull()
      expect(await storage.has(b.cid)).toBe(false)
      const got = await storage.getBlocks([b.cid])
      expect(got.blocks.size).toBe(0)
      expect(got.missing.map(String)).toEqual([b.cid.toString()])
      expect((await storage.getBlocks([])).missing).toEqual([])
    })

    it('putMany stores blocks byte for byte; getBlocks splits present from missing', async () => {
      const fx = await open()
      await fx.storage.putMany(blocks(0, 40))
      await fx.storage.putMany(blocks(30, 50)) // overlapping puts are idempotent
      await fx.storage.putMany(new BlockMap())
      const want = blocks(0, 50)
      const absent = [block(60).cid, block(61).cid]
      for (const s of await views(fx)) {
        expect(await s.getRoot()).toBeNull()
        for (const [cid, bytes] of want) {
          expect(await s.has(cid)).toBe(true)
          expect(bytesOf(await s.getBytes(cid))).toEqual(Array.from(bytes))
        }
        const asked = [...[...want].map(([c]) => c), ...absent]
        const got = await s.getBlocks(asked)
        expect(got.blocks.size).toBe(50)
        for (const [cid, bytes] of want) expect(bytesOf(got.blocks.get(cid))).toEqual(Array.from(bytes))
        expect(got.missing.map(String).sort()).toEqual(absent.map(String).sort())
      }
    })

    it('applyCommit adds, removes and moves the root together', async () => {
      const fx = await open()
      const first = block(100)
      const news = blocks(0, 10).set(first.cid, first.bytes)
      await fx.storage.applyCommit({
        cid: first.cid,
        rev: '3kaaaaaaaaa22',
        newBlocks: news,
        removedCids: new CidSet(),
      })
      const second = block(101)
      const removed = new CidSet([block(0).cid, block(1).cid, first.cid])
      const more = blocks(10, 15).set(second.cid, second.bytes)
      await fx.storage.applyCommit({
        cid: second.cid,
        rev: '3kaaaaaaaaa23',
        newBlocks: more,
        removedCids: removed,
      })
      for (const s of await views(fx)) {
        expect(String(await s.getRoot())).toBe(second.cid.toString())
        for (const cid of removed) expect(await s.has(cid)).toBe(false)
        for (const [cid] of blocks(2, 15)) expect(await s.has(cid)).toBe(true)
        expect(await s.has(second.cid)).toBe(true)
      }
    })

    it('a CID both removed and new in one commit stays (removals go first)', async () => {
      const fx = await open()
      const root = block(200)
      const kept = block(5)
      await fx.storage.applyCommit({
        cid: root.cid,
        rev: '3kaaaaaaaaa22',
        newBlocks: blocks(0, 6).set(root.cid, root.bytes),
        removedCids: new CidSet(),
      })
      const next = block(201)
      await fx.storage.applyCommit({
        cid: next.cid,
        rev: '3kaaaaaaaaa23',
        newBlocks: new BlockMap([[kept.cid, kept.bytes]]).set(next.cid, next.bytes),
        removedCids: new CidSet([kept.cid, block(4).cid]),
      })
      for (const s of await views(fx)) {
        expect(bytesOf(await s.getBytes(kept.cid))).toEqual(Array.from(kept.bytes))
        expect(await s.has(block(4).cid)).toBe(false)
      }
    })

    it('a Repo written over many commits loads, reads and exports a verifying CAR equal to memory', async () => {
      const fx = await open()
      const repo = await writeHistory(fx.storage)
      const memory = await writeHistory(new MemoryRepoStorage())
      const car = await exportRepoCarBytes(memory.storage)
      for (const s of await views(fx)) {
        const loaded = await Repo.load(s)
        expect(loaded.cid.toString()).toBe(repo.cid.toString())
        expect(loaded.rev).toBe(REVS[REVS.length - 1])
        expect(await loaded.getRecord('app.bsky.feed.post', rkey(1))).toEqual(post(101))
        expect(await loaded.getRecord('app.bsky.feed.post', rkey(21))).toBeNull()
        const exported = await exportRepoCarBytes(s)
        expect(Array.from(exported)).toEqual(Array.from(car))
        const verified = await verifyRepoCar(exported, { did: DID, key: KEY.did() })
        expect(verified).toMatchObject({ rev: REVS[REVS.length - 1], signature: 'valid', records: 30 })
      }
    })
  })
}
