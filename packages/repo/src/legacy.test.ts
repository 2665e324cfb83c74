// Legacy v2 commits (still the root of old repositories): read and verified, never written.
import { BlockMap, readCar, writeCar } from '@rsky/car'
import { P256Keypair, Secp256k1Keypair } from '@rsky/crypto'
import { encode, type LexValue } from '@rsky/dag-cbor'
import { describe, expect, it } from 'vitest'
import { decodeCommit, encodeCommit, verifyCommitSignature } from './commit.ts'
import { InvalidCarRootError, InvalidCommitError, InvalidSignatureError } from './errors.ts'
import { exportRepoCarBytes } from './export.ts'
import { type RecordWrite, Repo } from './repo.ts'
import { MemoryRepoStorage } from './storage.ts'
import { loadRepoCar } from './verify.ts'
import { verifyRepoCar } from './verify-repo.ts'

const did = 'did:plc:abcdefghijklmnopqrstuvwx'
const keys = {
  secp256k1: Secp256k1Keypair.import('9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c'),
  p256: P256Keypair.import('4fb2a5e3b2a1d8c8f1e6a1b6d4c1f0e9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3'),
}
const writes: RecordWrite[] = Array.from({ length: 30 }, (_, i) => ({
  action: 'create',
  collection: i % 3 === 0 ? 'app.bsky.feed.like' : 'app.bsky.feed.post',
  rkey: `k${String(i).padStart(4, '0')}`,
  record: { $type: 'app.bsky.feed.post', text: `record ${i}` },
}))

/** The repository of `writes`, with its v3 commit replaced by a v2 commit over the same tree. */
async function v2RepoCar(
  keypair: (typeof keys)['p256'] | (typeof keys)['secp256k1'],
  extra: Record<string, LexValue>,
): Promise<Uint8Array> {
  const storage = new MemoryRepoStorage()
  const repo = await Repo.create({ storage, did, keypair, writes })
  const { blocks } = readCar(await exportRepoCarBytes(storage))
  const unsigned = { did, version: 2, data: repo.commit.data, prev: null, ...extra }
  const sig = await keypair.sign(encode(unsigned as LexValue))
  const { bytes, cid } = encodeCommit({ ...unsigned, sig } as never)
  const out = new BlockMap([[cid, bytes]])
  for (const [c, b] of blocks) if (!c.equals(repo.cid)) out.set(c, b)
  return writeCar([cid], out)
}

describe.each(Object.entries(keys))('legacy v2 commits on %s', (_curve, keypair) => {
  it('a v2 repository (with or without rev) verifies in full, with its version reported', async () => {
    for (const extra of [{}, { rev: '3kaaaaaaaaaa2' }] as Record<string, LexValue>[]) {
      const car = await v2RepoCar(keypair, extra)
      const r = await verifyRepoCar(car, { did, key: keypair.did() })
      expect(r).toMatchObject({ did, version: 2, signature: 'valid', records: 30 })
      const loaded = await loadRepoCar(car, { did, key: keypair.did() })
      expect(loaded.commit.version).toBe(2)
      expect(verifyCommitSignature(loaded.commit, keypair.did())).toBe(true)
      expect(decodeCommit(readCar(car).blocks.get(loaded.root)!).version).toBe(2)
    }
  })

  it('a v2 commit signed by another key, or with a bad field, is refused', async () => {
    const other = keypair === keys.p256 ? keys.secp256k1 : keys.p256
    const car = await v2RepoCar(keypair, {})
    await expect(verifyRepoCar(car, { did, key: other.did() })).rejects.toBeInstanceOf(InvalidSignatureError)
    // A malformed v2 commit is not a commit: the CAR's root is refused, naming the field.
    const bad = verifyRepoCar(await v2RepoCar(keypair, { rev: 'nope' }))
    await expect(bad).rejects.toBeInstanceOf(InvalidCarRootError)
    await expect(bad).rejects.toThrow(/rev/)
  })

  it('Repo.load reads a v2 repository (records, lists, walks, export) and refuses to write to it', async () => {
    for (const extra of [{}, { rev: '3kaaaaaaaaaa2' }] as Record<string, LexValue>[]) {
      const car = await v2RepoCar(keypair, extra)
      const { roots, blocks } = readCar(car)
      const storage = new MemoryRepoStorage(blocks, roots[0])
      const repo = await Repo.load(storage)
      expect(repo.commit.version).toBe(2)
      expect(repo.rev).toBe(typeof extra['rev'] === 'string' ? extra['rev'] : '')
      expect(await repo.getRecord('app.bsky.feed.post', 'k0001')).toEqual({
        $type: 'app.bsky.feed.post',
        text: 'record 1',
      })
      expect((await repo.listCollection('app.bsky.feed.like')).length).toBe(10)
      let n = 0
      for await (const _ of repo.walkRecords()) n++
      expect(n).toBe(30)
      const again = await verifyRepoCar(await exportRepoCarBytes(storage), { did, key: keypair.did() })
      expect(again).toMatchObject({ version: 2, records: 30 })
      const write: RecordWrite = { action: 'delete', collection: 'app.bsky.feed.post', rkey: 'k0001' }
      await expect(repo.formatCommit([write], keypair)).rejects.toBeInstanceOf(InvalidCommitError)
      await expect(repo.formatCommit([write], keypair)).rejects.toThrow(/v2/)
      await expect(repo.formatResignCommit('3kzzzzzzzzzz2', keypair)).rejects.toBeInstanceOf(
        InvalidCommitError,
      )
    }
  })
})
