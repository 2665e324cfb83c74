// Key rotation without writes: formatResignCommit / resignCommit.
import * as atCrypto from '@atproto/crypto'
import * as at from '@atproto/repo'
import { writeCar } from '@rsky/car'
import { P256Keypair, Secp256k1Keypair } from '@rsky/crypto'
import { InvalidTidError } from '@rsky/syntax'
import { describe, expect, it } from 'vitest'
import { InvalidSignatureError } from './errors.ts'
import { exportRepoCarBytes } from './export.ts'
import { type RecordWrite, Repo } from './repo.ts'
import { MemoryRepoStorage } from './storage.ts'
import { verifyDiff } from './verify.ts'
import { verifyRepoCar } from './verify-repo.ts'

const did = 'did:plc:abcdefghijklmnopqrstuvwx'
const K256_HEX = '9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c'
const P256_HEX = '4fb2a5e3b2a1d8c8f1e6a1b6d4c1f0e9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3'
const oldKey = Secp256k1Keypair.import(K256_HEX)
const newKey = P256Keypair.import(P256_HEX)

const writes: RecordWrite[] = Array.from({ length: 20 }, (_, i) => ({
  action: 'create',
  collection: 'app.bsky.feed.post',
  rkey: `r${String(i).padStart(4, '0')}`,
  record: { $type: 'app.bsky.feed.post', text: `post ${i}`, createdAt: '2026-11-24T12:00:00.000Z' },
}))

describe('resigning a repository with a rotated key', () => {
  it('keeps the tree, moves the rev, and only the commit block is new', async () => {
    const storage = new MemoryRepoStorage()
    const before = await Repo.create({ storage, did, keypair: oldKey, writes, rev: '3kaaaaaaaaaa2' })
    const commit = await before.formatResignCommit('3kaaaaaaaaab2', newKey)
    expect(commit.ops).toEqual([])
    expect(commit.rev).toBe('3kaaaaaaaaab2')
    expect(commit.since).toBe(before.rev)
    expect(commit.prevData?.equals(before.commit.data)).toBe(true)
    expect(commit.commit.data.equals(before.commit.data)).toBe(true)
    expect([...commit.newBlocks.cids()].map(String)).toEqual([commit.cid.toString()])
    expect(commit.removedCids.has(before.cid)).toBe(true)

    // A reader holding the old commit accepts the step, signed by the new key only.
    const step = writeCar([commit.cid], commit.relevantBlocks)
    const diff = await verifyDiff(before, step, { did, key: newKey.did() })
    expect(diff.ops).toEqual([])
    expect(diff.removedCids.has(before.cid)).toBe(true)
    await expect(verifyDiff(before, step, { did, key: oldKey.did() })).rejects.toBeInstanceOf(
      InvalidSignatureError,
    )

    const after = await before.resignCommit('3kaaaaaaaaab2', newKey)
    expect(after.rev).toBe('3kaaaaaaaaab2')
    expect((await after.data.getPointer()).equals(await before.data.getPointer())).toBe(true)
    expect(await after.getRecord('app.bsky.feed.post', 'r0007')).toMatchObject({ text: 'post 7' })
    const car = await exportRepoCarBytes(storage)
    expect((await verifyRepoCar(car, { did, key: newKey.did() })).records).toBe(20)
    await expect(verifyRepoCar(car, { did, key: oldKey.did() })).rejects.toBeInstanceOf(InvalidSignatureError)
  })

  it('refuses a rev that is not later, and a malformed one', async () => {
    const repo = await Repo.create({
      storage: new MemoryRepoStorage(),
      did,
      keypair: oldKey,
      writes,
      rev: '3kaaaaaaaaab2',
    })
    await expect(repo.formatResignCommit('3kaaaaaaaaab2', newKey)).rejects.toBeInstanceOf(RangeError)
    await expect(repo.formatResignCommit('3kaaaaaaaaaa2', newKey)).rejects.toBeInstanceOf(RangeError)
    await expect(repo.formatResignCommit('not a tid', newKey)).rejects.toBeInstanceOf(InvalidTidError)
  })

  it('gives the same commit block as @atproto/repo for the same key and rev, on both curves', async () => {
    for (const [ours, theirs] of [
      [oldKey, await atCrypto.Secp256k1Keypair.import(K256_HEX)],
      [newKey, await atCrypto.P256Keypair.import(P256_HEX)],
    ] as const) {
      const repo = await Repo.create({
        storage: new MemoryRepoStorage(),
        did,
        keypair: oldKey,
        writes,
        rev: '3kaaaaaaaaaa2',
      })
      const refInit = await at.Repo.formatInitCommit(
        new at.MemoryBlockstore(),
        did,
        await atCrypto.Secp256k1Keypair.import(K256_HEX),
        writes.map((w) => ({ ...w, action: at.WriteOpAction.Create })) as at.RecordCreateOp[],
        '3kaaaaaaaaaa2',
      )
      expect(repo.cid.toString()).toBe(refInit.cid.toString())
      const refStorage = new at.MemoryBlockstore()
      const ref = await at.Repo.createFromCommit(refStorage, refInit)
      const refResign = await ref.formatResignCommit('3kaaaaaaaaab2', theirs)
      const resign = await repo.formatResignCommit('3kaaaaaaaaab2', ours)
      expect(resign.cid.toString()).toBe(refResign.cid.toString())
      expect([...resign.removedCids].map(String)).toEqual(refResign.removedCids.toList().map(String))
    }
  })
})
