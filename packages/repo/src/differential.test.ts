// Same writes, same key: @atproto/repo and ours must build the same tree, and each must accept
// the other's repositories, proofs and diffs, on both curves.
import * as atCrypto from '@atproto/crypto'
import * as at from '@atproto/repo'
import { readCar as readCarRef } from '@atproto/repo'
import { BlockMap, writeCar } from '@rsky/car'
import { P256Keypair, Secp256k1Keypair } from '@rsky/crypto'
import { fromMultiformatsCid, type LexValue, parseCid } from '@rsky/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { exportRepoCarBytes } from './export.ts'
import { type RecordWrite, Repo } from './repo.ts'
import { MemoryRepoStorage } from './storage.ts'
import { verifyDiff } from './verify.ts'
import { verifyRepoCar } from './verify-repo.ts'

const did = 'did:plc:differentialtestaaaaaaaa'
const PRIV = {
  secp256k1: '1f7a3c8e2b9d4a6f0c5e8b2d7a1f4c9e6b3d8a2f5c1e7b4d9a6f3c0e8b5d2a7f',
  p256: '2e6b4d9a1c7f3e8b5d2a6f9c4e1b7d3a8f5c2e9b6d1a4f7c3e0b8d5a2f6c9e1b',
}

const key = fc.tuple(
  fc.constantFrom('app.bsky.feed.post', 'app.bsky.feed.like', 'com.example.x'),
  fc.stringMatching(/^[a-zA-Z0-9._:~-]{1,40}$/).filter((s) => s !== '.' && s !== '..'),
)
const record = fc.record({
  $type: fc.constant('com.example.record'),
  text: fc.string({ maxLength: 60 }),
  n: fc.integer(),
})

/** Batches of writes valid against the state before each batch. */
const scenario = fc.array(fc.array(fc.tuple(key, record, fc.nat(9)), { minLength: 1, maxLength: 8 }), {
  minLength: 1,
  maxLength: 6,
})

function toWrites(
  batches: Array<Array<[[string, string], Record<string, unknown>, number]>>,
): RecordWrite[][] {
  const present = new Set<string>()
  return batches.map((batch) => {
    const seen = new Set<string>()
    const out: RecordWrite[] = []
    for (const [[collection, rkey], rec, roll] of batch) {
      const path = `${collection}/${rkey}`
      if (seen.has(path)) continue
      seen.add(path)
      if (!present.has(path)) {
        out.push({ action: 'create', collection, rkey, record: rec as LexValue })
        present.add(path)
      } else if (roll < 5) {
        out.push({ action: 'update', collection, rkey, record: rec as LexValue })
      } else {
        out.push({ action: 'delete', collection, rkey })
        present.delete(path)
      }
    }
    return out
  })
}

function toAtproto(w: RecordWrite): at.RecordWriteOp {
  const base = { collection: w.collection, rkey: w.rkey }
  if (w.action === 'delete') return { ...base, action: at.WriteOpAction.Delete } as at.RecordWriteOp
  const action = w.action === 'create' ? at.WriteOpAction.Create : at.WriteOpAction.Update
  return { ...base, action, record: w.record as never } as at.RecordWriteOp
}

describe.each(['secp256k1', 'p256'] as const)('differential with @atproto/repo on %s', (curve) => {
  it('builds the same trees, and each side verifies the other', async () => {
    const ours =
      curve === 'secp256k1' ? Secp256k1Keypair.import(PRIV[curve]) : P256Keypair.import(PRIV[curve])
    const theirs =
      curve === 'secp256k1'
        ? await atCrypto.Secp256k1Keypair.import(PRIV[curve])
        : await atCrypto.P256Keypair.import(PRIV[curve])
    expect(theirs.did()).toBe(ours.did())

    await fc.assert(
      fc.asyncProperty(scenario, async (batches) => {
        const writes = toWrites(batches)
        const storage = new MemoryRepoStorage()
        let repo = await Repo.create({ storage, did, keypair: ours })
        const refStorage = new at.MemoryBlockstore()
        let ref = await at.Repo.create(refStorage, did, theirs)
        let readerRepo: Repo | null = null
        const readerStorage = new MemoryRepoStorage()
        for (const batch of writes) {
          const commit = await repo.formatCommit(batch, ours)
          repo = await repo.applyCommit(commit)
          ref = await ref.applyWrites(batch.map(toAtproto), theirs)
          // Same records and same tree shape give the same MST root.
          expect(repo.commit.data.toString()).toBe(ref.commit.data.toString())

          // The reference accepts our commit as a diff on top of what it had.
          const diffCar = writeCar([commit.cid], commit.newBlocks)
          const refCar = await readCarRef(diffCar)
          expect(refCar.roots[0]!.toString()).toBe(commit.cid.toString())

          // We accept the same diff, reading it on top of our reader's copy.
          const diff = await verifyDiff(readerRepo, diffCar, { did, key: ours.did() })
          expect(diff.ops.map((o) => `${o.action} ${o.path}`)).toEqual(
            commit.ops.map((o) => `${o.action} ${o.path}`),
          )
          await readerStorage.applyCommit({
            cid: diff.cid,
            rev: diff.rev,
            newBlocks: diff.newBlocks,
            removedCids: diff.removedCids,
          })
          readerRepo = await Repo.load(readerStorage)
        }
        // Each verifies the other's full export.
        const ourCar = await exportRepoCarBytes(storage)
        const refVerified = await at.verifyRepoCar(ourCar, did, ours.did())
        const ourVerified = await verifyRepoCar(ourCar, { did, key: ours.did() })
        expect(refVerified.creates.length).toBe(ourVerified.records)

        const refCar = await at.getFullRepo(refStorage, ref.cid)
        const chunks: Uint8Array[] = []
        for await (const c of refCar) chunks.push(c)
        const refBytes = Buffer.concat(chunks)
        const fromRef = await verifyRepoCar(new Uint8Array(refBytes), { did, key: theirs.did() })
        expect(fromRef.records).toBe(ourVerified.records)
        expect(fromRef.data.toString()).toBe(ourVerified.data.toString())

        // Given the reference's blocks, our exporter writes the reference's CAR byte for byte.
        const refBlocks = new MemoryRepoStorage()
        const bm = new BlockMap()
        for (const [cidStr, bytes] of (
          refStorage.blocks as unknown as { map: Map<string, Uint8Array> }
        ).map.entries()) {
          bm.set(parseCid(cidStr), bytes)
        }
        await refBlocks.putMany(bm)
        const mine = await exportRepoCarBytes(refBlocks, fromMultiformatsCid(ref.cid))
        expect(Buffer.from(mine).equals(refBytes)).toBe(true)
      }),
      { seed: 42, numRuns: 25 },
    )
  })
})
