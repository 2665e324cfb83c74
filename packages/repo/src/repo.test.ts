import { P256Keypair, Secp256k1Keypair } from '@rsky/crypto'
import { cidForCbor, type LexValue } from '@rsky/dag-cbor'
import { describe, expect, it } from 'vitest'
import { decodeCommit, verifyCommitSignature } from './commit.ts'
import { exportRepoCarBytes, getRecordsProofCar } from './export.ts'
import { type RecordWrite, Repo } from './repo.ts'
import { MemoryRepoStorage } from './storage.ts'
import { verifyDiff, verifyRecordProofs } from './verify.ts'
import { verifyRepoCar } from './verify-repo.ts'

const did = 'did:plc:abcdefghijklmnopqrstuvwx'
const keys = {
  secp256k1: Secp256k1Keypair.import('9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c'),
  p256: P256Keypair.import('4fb2a5e3b2a1d8c8f1e6a1b6d4c1f0e9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3'),
}

const post = (i: number): LexValue => ({
  $type: 'app.bsky.feed.post',
  text: `post number ${i}`,
  createdAt: '2026-11-24T12:00:00.000Z',
})

const rkey = (i: number) => `r${String(i).padStart(6, '0')}`

function creates(n: number, collection = 'app.bsky.feed.post'): RecordWrite[] {
  return Array.from({ length: n }, (_, i) => ({
    action: 'create' as const,
    collection,
    rkey: rkey(i),
    record: post(i),
  }))
}

describe.each(Object.entries(keys))('Repo on %s', (_curve, keypair) => {
  it('creates, writes, reads, lists, exports and verifies', async () => {
    const storage = new MemoryRepoStorage()
    let repo = await Repo.create({ storage, did, keypair, writes: creates(50) })
    expect(repo.did).toBe(did)
    expect(verifyCommitSignature(repo.commit, keypair.did())).toBe(true)
    expect(await repo.getRecord('app.bsky.feed.post', rkey(7))).toEqual(post(7))
    expect(await repo.getRecord('app.bsky.feed.post', 'nope')).toBeNull()

    repo = await repo.applyWrites(
      [
        {
          action: 'create',
          collection: 'app.bsky.feed.like',
          rkey: 'a1',
          record: { $type: 'app.bsky.feed.like', n: 1 },
        },
        { action: 'update', collection: 'app.bsky.feed.post', rkey: rkey(3), record: post(300) },
        { action: 'delete', collection: 'app.bsky.feed.post', rkey: rkey(4) },
      ],
      keypair,
    )
    expect(await repo.getRecord('app.bsky.feed.post', rkey(3))).toEqual(post(300))
    expect(await repo.getRecord('app.bsky.feed.post', rkey(4))).toBeNull()
    const posts = await repo.listCollection('app.bsky.feed.post', { limit: 5 })
    expect(posts.map((r) => r.rkey)).toEqual([0, 1, 2, 3, 5].map(rkey))
    const all: string[] = []
    for await (const r of repo.walkRecords()) all.push(`${r.collection}/${r.rkey}`)
    expect(all.length).toBe(50)

    const car = await exportRepoCarBytes(storage)
    const verified = await verifyRepoCar(car, { did, key: keypair.did() })
    expect(verified).toMatchObject({
      did,
      rev: repo.rev,
      signature: 'valid',
      records: 50,
      collections: { 'app.bsky.feed.like': 1, 'app.bsky.feed.post': 49 },
    })
    expect(verified.commit.equals(repo.cid)).toBe(true)
  })

  it('formats commits with ops in key order, prev CIDs, prevData and since', async () => {
    const storage = new MemoryRepoStorage()
    const repo = await Repo.create({ storage, did, keypair, writes: creates(20) })
    const oldCid = await repo.getRecordCid('app.bsky.feed.post', rkey(9))
    const commit = await repo.formatCommit(
      [
        { action: 'delete', collection: 'app.bsky.feed.post', rkey: rkey(9) },
        {
          action: 'create',
          collection: 'app.bsky.actor.profile',
          rkey: 'self',
          record: { displayName: 'x' },
        },
        { action: 'update', collection: 'app.bsky.feed.post', rkey: rkey(1), record: post(100) },
      ],
      keypair,
    )
    expect(commit.ops.map((o) => [o.action, o.path])).toEqual([
      ['create', 'app.bsky.actor.profile/self'],
      ['update', `app.bsky.feed.post/${rkey(1)}`],
      ['delete', `app.bsky.feed.post/${rkey(9)}`],
    ])
    expect(commit.ops[2]!.prev?.equals(oldCid!)).toBe(true)
    expect(commit.prevData?.equals(repo.commit.data)).toBe(true)
    expect(commit.since).toBe(repo.rev)
    expect(commit.rev > repo.rev).toBe(true)
    expect(commit.removedCids.has(oldCid!)).toBe(true)
    // The proof blocks plus the commit are enough for a reader to check the ops by inversion.
    const { verifyOpsByInversion } = await import('@rsky/mst')
    const inverted = await verifyOpsByInversion({
      root: commit.commit.data,
      prevRoot: commit.prevData!,
      blocks: commit.relevantBlocks,
      ops: commit.ops.map((o) => ({ action: o.action, key: o.path, cid: o.cid, prev: o.prev }) as never),
    })
    expect(inverted.success).toBe(true)
  })

  it('verifies diffs from one commit to the next and rejects stale ones', async () => {
    const writer = new MemoryRepoStorage()
    const repo = await Repo.create({ storage: writer, did, keypair, writes: creates(10) })
    const reader = new MemoryRepoStorage()
    const first = await verifyDiff(null, await exportRepoCarBytes(writer), { did, key: keypair.did() })
    await reader.applyCommit({
      cid: first.cid,
      rev: first.rev,
      newBlocks: first.newBlocks,
      removedCids: first.removedCids,
    })
    const readerRepo = await Repo.load(reader)
    const next = await repo.formatCommit(creates(3, 'app.bsky.graph.follow'), keypair)
    const { writeCar } = await import('@rsky/car')
    const diffCar = writeCar([next.cid], next.newBlocks)
    const diff = await verifyDiff(readerRepo, diffCar, { did, key: keypair.did() })
    expect(diff.ops.map((o) => o.action)).toEqual(['create', 'create', 'create'])
    await expect(
      verifyDiff(await readerRepo.applyCommit({ ...next, cid: diff.cid }), diffCar, {
        did,
        key: keypair.did(),
      }),
    ).rejects.toMatchObject({
      code: 'STALE_REV',
    })
  })

  it('proves records exist and do not exist', async () => {
    const storage = new MemoryRepoStorage()
    const repo = await Repo.create({ storage, did, keypair, writes: creates(30) })
    const present = {
      collection: 'app.bsky.feed.post',
      rkey: rkey(5),
      cid: await repo.getRecordCid('app.bsky.feed.post', rkey(5)),
    }
    const absent = { collection: 'app.bsky.feed.post', rkey: 'zzzzzz', cid: null }
    const wrong = { collection: 'app.bsky.feed.post', rkey: rkey(6), cid: cidForCbor(new Uint8Array([0xa0])) }
    const car = await getRecordsProofCar(storage, [present, absent, wrong])
    const r = await verifyRecordProofs(car, [present, absent, wrong], { did, key: keypair.did() })
    expect(r.verified).toEqual([present, absent])
    expect(r.unverified).toEqual([wrong])
  })
})

describe('Repo edge cases', () => {
  it('refuses two writes to one record in a commit and non-map records', async () => {
    const storage = new MemoryRepoStorage()
    const keypair = keys.secp256k1
    await expect(
      Repo.create({ storage, did, keypair, writes: [...creates(1), ...creates(1)] }),
    ).rejects.toThrow(RangeError)
    await expect(
      Repo.create({
        storage,
        did,
        keypair,
        writes: [{ action: 'create', collection: 'a.b.c', rkey: 'x', record: 'str' }],
      }),
    ).rejects.toMatchObject({ code: 'BAD_RECORD' })
  })

  it('an empty repository exports and verifies', async () => {
    const storage = new MemoryRepoStorage()
    const repo = await Repo.create({ storage, did, keypair: keys.p256 })
    const car = await exportRepoCarBytes(storage)
    expect(decodeCommit(new Uint8Array(0).length ? car : (await storage.getBytes(repo.cid))!).did).toBe(did)
    expect(await verifyRepoCar(car, { key: keys.p256.did() })).toMatchObject({ records: 0, collections: {} })
  })
})
