// What a relay checks on every #commit event (sync 1.1): from the event's blocks alone, the ops
// invert the new tree back to prevData, and each op's key is proven present (with its CID) or absent.
import { BlockMap } from '@rsky/car'
import { Secp256k1Keypair } from '@rsky/crypto'
import { getInversionProof, MemoryBlockstore, MST, type RecordOp, verifyOpsByInversion } from '@rsky/mst'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { verifyCommitSignature } from './commit.ts'
import { type RecordWrite, Repo } from './repo.ts'
import { MemoryRepoStorage } from './storage.ts'

const did = 'did:plc:abcdefghijklmnopqrstuvwx'
const keypair = Secp256k1Keypair.import('9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c')
const COLLECTIONS = ['app.bsky.feed.like', 'app.bsky.feed.post', 'app.bsky.graph.follow']

// A step: (collection index, key number, kind); turned into a valid write against the model.
const arbStep = fc.tuple(fc.nat(COLLECTIONS.length - 1), fc.nat(40), fc.nat(2), fc.nat(1000))
const arbBatches = fc.array(fc.array(arbStep, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 })

describe('commits as a relay sees them', () => {
  it('event blocks alone prove every op and invert to prevData; dropping a block breaks it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(60), arbBatches, async (initial, batches) => {
        const model = new Map<string, number>()
        const init: RecordWrite[] = []
        for (let i = 0; i < initial; i++) {
          const collection = COLLECTIONS[i % COLLECTIONS.length]!
          const rkey = `k${i}`
          model.set(`${collection}/${rkey}`, i)
          init.push({ action: 'create', collection, rkey, record: { n: i } })
        }
        let repo = await Repo.create({ storage: new MemoryRepoStorage(), did, keypair, writes: init })
        for (const batch of batches) {
          const writes: RecordWrite[] = []
          const touched = new Set<string>()
          for (const [c, k, kind, v] of batch) {
            const collection = COLLECTIONS[c]!
            const rkey = `k${k}`
            const path = `${collection}/${rkey}`
            if (touched.has(path)) continue
            touched.add(path)
            if (!model.has(path)) {
              writes.push({ action: 'create', collection, rkey, record: { n: v } })
              model.set(path, v)
            } else if (kind === 0) {
              writes.push({ action: 'delete', collection, rkey })
              model.delete(path)
            } else {
              writes.push({ action: 'update', collection, rkey, record: { n: v, u: true } })
              model.set(path, v)
            }
          }
          const commit = await repo.formatCommit(writes, keypair)
          expect(verifyCommitSignature(commit.commit, keypair.did())).toBe(true)
          const blocks = commit.relevantBlocks
          expect(blocks.has(commit.cid)).toBe(true)
          const ops = commit.ops.map(
            (o) => ({ action: o.action, key: o.path, cid: o.cid, prev: o.prev }) as RecordOp,
          )
          const inv = await verifyOpsByInversion({
            root: commit.commit.data,
            prevRoot: commit.prevData!,
            blocks,
            ops,
          })
          expect(inv.success).toBe(true)
          // Inclusion and exclusion of every op's key from the event's blocks only.
          const tree = MST.load(new MemoryBlockstore(blocks), commit.commit.data)
          for (const op of commit.ops) {
            const got = await tree.get(op.path)
            if (op.cid === null) expect(got).toBeNull()
            else {
              expect(got?.equals(op.cid)).toBe(true)
              expect(blocks.has(op.cid)).toBe(true) // the record itself travels with the event
            }
          }
          // Every node inversion reads travels with the event, and dropping one of them fails it.
          const needed = await getInversionProof(tree, ops)
          for (const cid of needed.cids()) expect(blocks.has(cid)).toBe(true)
          const first = [...needed.cids()][0]
          if (first !== undefined && ops.length > 0) {
            const fewer = new BlockMap(blocks)
            fewer.delete(first)
            const broken = await verifyOpsByInversion({
              root: commit.commit.data,
              prevRoot: commit.prevData!,
              blocks: fewer,
              ops,
            })
            expect(broken.success).toBe(false)
          }
          repo = await repo.applyCommit(commit)
        }
        expect(await repo.data.leafCount()).toBe(model.size)
      }),
      { seed: 7, numRuns: 40 },
    )
  })
})
