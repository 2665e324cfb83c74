// Repositories as a hostile peer would send them: each must be rejected with a named error,
// none may crash, hang or come back as a partial success.
import { BlockMap, CarError, writeCar } from '@rsky/car'
import { Secp256k1Keypair } from '@rsky/crypto'
import { type Cid, cidForCbor, encode, type LexValue } from '@rsky/dag-cbor'
import { heightForKey } from '@rsky/mst'
import { describe, expect, it } from 'vitest'
import { encodeCommit, signCommit } from './commit.ts'
import { exportRepoCarBytes } from './export.ts'
import { Repo } from './repo.ts'
import { MemoryRepoStorage } from './storage.ts'
import { verifyRepoCar } from './verify-repo.ts'

const did = 'did:plc:hostiletestsaaaaaaaaaaaa'
const keypair = Secp256k1Keypair.import('5c0e8a3b9d1f4e7a2c6b8d0f3e5a7c9b1d4f6a8c0e2b4d6f8a1c3e5b7d9f0a2c')
const other = Secp256k1Keypair.import('6d1f9b4c0e2a5f8b3d7c9e1a4f6b8d0c2e5a7f9b1d3c5e7a9f2b4d6c8e0a1f3b')

async function goodCar(n = 40): Promise<{ car: Uint8Array; storage: MemoryRepoStorage; repo: Repo }> {
  const storage = new MemoryRepoStorage()
  const writes = Array.from({ length: n }, (_, i) => ({
    action: 'create' as const,
    collection: 'app.bsky.feed.post',
    rkey: `k${String(i).padStart(5, '0')}`,
    record: { text: `t${i}`, createdAt: '2026-01-01T00:00:00.000Z' },
  }))
  const repo = await Repo.create({ storage, did, keypair, writes })
  return { car: await exportRepoCarBytes(storage), storage, repo }
}

/** A signed commit over a hand-built tree node, as a forger would assemble it. */
async function carWithNode(
  entries: Array<{ k: string; v: Cid }>,
  extra: BlockMap = new BlockMap(),
): Promise<Uint8Array> {
  let prev = ''
  const e: LexValue[] = entries.map(({ k, v }) => {
    let p = 0
    while (p < prev.length && p < k.length && prev[p] === k[p]) p++
    prev = k
    return { p, k: new TextEncoder().encode(k.slice(p)), v, t: null }
  })
  const nodeBytes = encode({ l: null, e })
  const node = cidForCbor(nodeBytes)
  const commit = await signCommit({ did, version: 3, data: node, rev: '3kabcdefghijk', prev: null }, keypair)
  const c = encodeCommit(commit)
  const blocks = new BlockMap(extra)
  blocks.set(node, nodeBytes)
  blocks.set(c.cid, c.bytes)
  return writeCar(
    [c.cid],
    [
      { cid: c.cid, bytes: c.bytes },
      ...[...blocks].filter(([cid]) => !cid.equals(c.cid)).map(([cid, bytes]) => ({ cid, bytes })),
    ],
  )
}

function layer0Keys(count: number): string[] {
  const out: string[] = []
  for (let i = 0; out.length < count; i++) {
    const k = `app.bsky.feed.post/r${i}`
    if (heightForKey(k) === 0) out.push(k)
  }
  return out
}

describe('hostile repositories', () => {
  it('a record block whose bytes do not match its CID', async () => {
    const { car } = await goodCar()
    const forged = car.slice()
    forged[forged.length - 5]! ^= 0x01
    await expect(verifyRepoCar(forged)).rejects.toBeInstanceOf(CarError)
    await expect(verifyRepoCar(forged)).rejects.toMatchObject({
      code: expect.stringMatching(/HASH|MISMATCH/i),
    })
  })

  it('a commit signed by another key', async () => {
    const { car } = await goodCar()
    await expect(verifyRepoCar(car, { key: other.did() })).rejects.toMatchObject({
      name: 'InvalidSignatureError',
      code: 'BAD_SIGNATURE',
    })
  })

  it('a missing tree node and a missing record', async () => {
    const { storage, repo } = await goodCar(300)
    const root = await storage.getBytes(repo.commit.data)
    expect(root).not.toBeNull()
    const blocks: Array<{ cid: Cid; bytes: Uint8Array }> = []
    const { exportRepoBlocks } = await import('./export.ts')
    for await (const b of exportRepoBlocks(storage)) blocks.push(b)
    // Drop the last tree node (third block on is a non-root node in a 300-key tree) and a record.
    const withoutNode = blocks.filter((_, i) => i !== 2)
    await expect(verifyRepoCar(writeCar([repo.cid], withoutNode))).rejects.toMatchObject({
      code: 'MISSING_BLOCK',
    })
    const withoutRecord = blocks.slice(0, -1)
    await expect(verifyRepoCar(writeCar([repo.cid], withoutRecord))).rejects.toMatchObject({
      code: 'MISSING_BLOCK',
    })
  })

  it('a truncated CAR at many offsets', async () => {
    const { car } = await goodCar(20)
    for (let cut = 0; cut < car.length; cut += Math.max(1, Math.floor(car.length / 97))) {
      await expect(verifyRepoCar(car.subarray(0, cut))).rejects.toSatisfy(
        (e: unknown) => e instanceof Error && 'code' in e,
      )
    }
  })

  it('a CAR whose root is not a commit, or is absent', async () => {
    const rec = encode({ text: 'not a commit' })
    const cid = cidForCbor(rec)
    await expect(verifyRepoCar(writeCar([cid], [{ cid, bytes: rec }]))).rejects.toMatchObject({
      code: 'BAD_CAR_ROOT',
    })
    const { car } = await goodCar(3)
    const { repo } = await goodCar(3)
    const blocksOnly = writeCar([cid], [{ cid: repo.cid, bytes: car.subarray(0, 0) }].slice(1))
    await expect(verifyRepoCar(blocksOnly)).rejects.toMatchObject({ code: 'BAD_CAR_ROOT' })
  })

  it('a tree with keys out of order', async () => {
    const [a, b] = layer0Keys(2) as [string, string]
    const recBytes = encode({ text: 'x' })
    const rec = cidForCbor(recBytes)
    const extra = new BlockMap([[rec, recBytes]])
    const sorted = [a, b].sort()
    await expect(
      verifyRepoCar(
        await carWithNode(
          sorted.map((k) => ({ k, v: rec })),
          extra,
        ),
      ),
    ).resolves.toMatchObject({ records: 2 })
    const reversed = [...sorted].reverse()
    await expect(
      verifyRepoCar(
        await carWithNode(
          reversed.map((k) => ({ k, v: rec })),
          extra,
        ),
      ),
    ).rejects.toMatchObject({
      code: 'BAD_TREE',
    })
  })

  it('a tree node offered under a CID that is not its own (a node referencing itself)', async () => {
    const { car, repo } = await goodCar(5)
    // Claim the commit's own CID for the tree root block: the bytes cannot hash to it.
    const rootBytes = encode({ l: repo.cid, e: [] })
    const bad = writeCar([repo.cid], [{ cid: repo.cid, bytes: rootBytes }])
    await expect(verifyRepoCar(bad)).rejects.toBeInstanceOf(CarError)
    expect(car.length).toBeGreaterThan(0)
  })

  it('a record that is not a map', async () => {
    const [a] = layer0Keys(1) as [string]
    const recBytes = encode('just a string')
    const rec = cidForCbor(recBytes)
    await expect(
      verifyRepoCar(await carWithNode([{ k: a, v: rec }], new BlockMap([[rec, recBytes]]))),
    ).rejects.toMatchObject({
      code: 'BAD_RECORD',
    })
  })
})
