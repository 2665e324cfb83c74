// Issue 17: records that share a block, and explicit revisions that are not later TIDs.
import { writeCar } from '@rsky/car'
import { Secp256k1Keypair } from '@rsky/crypto'
import { cidForCbor, encode, type LexMap, type LexValue } from '@rsky/dag-cbor'
import { InvalidTidError, Tid } from '@rsky/syntax'
import { describe, expect, it } from 'vitest'
import { exportRepoCarBytes } from './export.ts'
import { type RecordWrite, Repo } from './repo.ts'
import { MemoryRepoStorage } from './storage.ts'
import { verifyDiff } from './verify.ts'
import { verifyRepoCar } from './verify-repo.ts'

const did = 'did:plc:abcdefghijklmnopqrstuvwx'
const keypair = Secp256k1Keypair.import('9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c')
const like: LexMap = { $type: 'app.bsky.feed.like', createdAt: '2026-11-24T12:00:00.000Z' }
const other: LexMap = { $type: 'app.bsky.feed.like', createdAt: '2026-11-25T12:00:00.000Z' }
const shared = cidForCbor(encode(like))
const create = (rkey: string, record: LexMap = like): RecordWrite => ({
  action: 'create',
  collection: 'app.bsky.feed.like',
  rkey,
  record,
})
const del = (rkey: string): RecordWrite => ({ action: 'delete', collection: 'app.bsky.feed.like', rkey })
const update = (rkey: string, record: LexValue): RecordWrite => ({
  action: 'update',
  collection: 'app.bsky.feed.like',
  rkey,
  record,
})

/** A repository holding `a` and `b` with the same content (one block), plus `c` with other content. */
async function twoSharing() {
  const storage = new MemoryRepoStorage()
  const repo = await Repo.create({
    storage,
    did,
    keypair,
    writes: [create('a'), create('b'), create('c', other)],
  })
  return { storage, repo }
}

async function readsAndExports(storage: MemoryRepoStorage, present: string[]): Promise<void> {
  const repo = await Repo.load(storage)
  for (const rkey of present) expect(await repo.getRecord('app.bsky.feed.like', rkey)).toBeTruthy()
  const r = await verifyRepoCar(await exportRepoCarBytes(storage), { did, key: keypair.did() })
  expect(r.records).toBe(present.length)
}

describe('records sharing a block (issue 17)', () => {
  it.each([
    ['deleting one', [del('a')], ['b', 'c']],
    ['updating one to other content', [update('a', other)], ['a', 'b', 'c']],
    ['deleting one and updating the other away', [del('a'), update('b', { ...like, x: 1 })], ['b', 'c']],
  ] as [string, RecordWrite[], string[]][])(
    '%s keeps the block the other still uses',
    async (_n, writes, present) => {
      const { storage, repo } = await twoSharing()
      const commit = await repo.formatCommit(writes, keypair)
      const stillUsed = writes.length === 1
      expect(commit.removedCids.has(shared)).toBe(!stillUsed)
      await repo.applyCommit(commit)
      expect(storage.blocks.has(shared)).toBe(stillUsed)
      await readsAndExports(storage, present)
    },
  )

  it('deleting both removes the block; deleting one and re-creating the content elsewhere keeps it', async () => {
    const { storage, repo } = await twoSharing()
    const both = await repo.formatCommit([del('a'), del('b')], keypair)
    expect(both.removedCids.has(shared)).toBe(true)
    const moved = await repo.formatCommit([del('a'), del('b'), create('d')], keypair)
    expect(moved.removedCids.has(shared)).toBe(false)
    await repo.applyCommit(moved)
    await readsAndExports(storage, ['c', 'd'])
  })

  it('verifyDiff keeps a shared block out of removedCids, and the reader can still read and export', async () => {
    const { storage, repo } = await twoSharing()
    // a reader that synced the first commit
    const readerStorage = new MemoryRepoStorage()
    const first = await verifyDiff(null, await exportRepoCarBytes(storage), { did, key: keypair.did() })
    await readerStorage.applyCommit(first)
    const reader = await Repo.load(readerStorage)

    const commit = await repo.formatCommit([del('a')], keypair)
    const diffCar = writeCar([commit.cid], commit.newBlocks)
    const view = await verifyDiff(reader, diffCar, { did, key: keypair.did() })
    expect(view.ops.map((o) => `${o.action} ${o.path}`)).toEqual(['delete app.bsky.feed.like/a'])
    expect(view.removedCids.has(shared)).toBe(false)
    await readerStorage.applyCommit(view)
    await readsAndExports(readerStorage, ['b', 'c'])

    // and when the last user goes, the block goes
    const writer = await Repo.load(storage)
    const last = await (await writer.applyCommit(commit)).formatCommit([del('b')], keypair)
    const view2 = await verifyDiff(await Repo.load(readerStorage), writeCar([last.cid], last.newBlocks), {
      did,
      key: keypair.did(),
    })
    expect(view2.removedCids.has(shared)).toBe(true)
  })
})

describe('explicit revisions must be later TIDs (issue 17)', () => {
  it('formatCommit refuses a rev that is not a TID, equal, or older; storage is untouched', async () => {
    const { storage, repo } = await twoSharing()
    const root = await storage.getRoot()
    const write = [create('z')]
    for (const rev of ['not-a-tid', '', 'zzzzzzzzzzzzz', `${repo.rev}x`, repo.rev.toUpperCase()]) {
      await expect(repo.formatCommit(write, keypair, { rev })).rejects.toBeInstanceOf(InvalidTidError)
    }
    await expect(repo.formatCommit(write, keypair, { rev: repo.rev })).rejects.toBeInstanceOf(RangeError)
    const older = Tid.fromTime(1_000_000, 0).toString()
    await expect(repo.formatCommit(write, keypair, { rev: older })).rejects.toBeInstanceOf(RangeError)
    expect((await storage.getRoot())?.equals(root!)).toBe(true)
    // a later TID is fine, and loads back
    const later = Tid.nextStr(repo.rev)
    const next = await repo.applyCommit(await repo.formatCommit(write, keypair, { rev: later }))
    expect((await Repo.load(storage)).rev).toBe(later)
    expect(next.rev).toBe(later)
  })

  it('formatInitCommit and Repo.create refuse a malformed rev before anything is stored', async () => {
    const storage = new MemoryRepoStorage()
    await expect(Repo.formatInitCommit({ storage, did, keypair, rev: 'nope' })).rejects.toBeInstanceOf(
      InvalidTidError,
    )
    await expect(Repo.create({ storage, did, keypair, rev: '3kaaaaaaaaaa' })).rejects.toBeInstanceOf(
      InvalidTidError,
    )
    expect(await storage.getRoot()).toBeNull()
    const ok = await Repo.create({ storage, did, keypair, rev: '3kaaaaaaaaaa2' })
    expect(ok.rev).toBe('3kaaaaaaaaaa2')
  })

  it('applyCommit refuses a hand-built commit whose rev is not a TID, storing nothing', async () => {
    const { storage, repo } = await twoSharing()
    const root = await storage.getRoot()
    const commit = await repo.formatCommit([create('z')], keypair)
    await expect(repo.applyCommit({ ...commit, rev: 'not a tid' })).rejects.toBeInstanceOf(InvalidTidError)
    expect((await storage.getRoot())?.equals(root!)).toBe(true)
    expect(storage.blocks.has(commit.cid)).toBe(false)
  })

  it('a resign keeps its own checks', async () => {
    const { repo } = await twoSharing()
    await expect(repo.formatResignCommit('nope', keypair)).rejects.toBeInstanceOf(InvalidTidError)
    await expect(repo.formatResignCommit(repo.rev, keypair)).rejects.toBeInstanceOf(RangeError)
  })
})
