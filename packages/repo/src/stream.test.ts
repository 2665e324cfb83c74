// The readers take a CAR as bytes or as a stream (Node Readable, web ReadableStream, async iterable
// of chunks). Blocks straddle chunk boundaries and, past 4 MB, the index's slabs: same answers.
import { Readable } from 'node:stream'
import { CarError } from '@rsky/car'
import { P256Keypair } from '@rsky/crypto'
import { describe, expect, it } from 'vitest'
import { exportRepoCarBytes, getRecordsProofCar } from './export.ts'
import { type RecordWrite, Repo } from './repo.ts'
import { MemoryRepoStorage } from './storage.ts'
import { loadRepoCar, verifyRecordProofs } from './verify.ts'
import { verifyRepoCar } from './verify-repo.ts'

const did = 'did:plc:abcdefghijklmnopqrstuvwx'
const keypair = P256Keypair.import('4fb2a5e3b2a1d8c8f1e6a1b6d4c1f0e9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3')

function writes(n: number, textBytes: number): RecordWrite[] {
  return Array.from({ length: n }, (_, i) => ({
    action: 'create',
    collection: i % 4 === 0 ? 'app.bsky.feed.like' : 'app.bsky.feed.post',
    rkey: `s${String(i).padStart(5, '0')}`,
    record: { $type: 'app.bsky.feed.post', text: `${i} `.padEnd(textBytes, 'x') },
  }))
}

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size)
}

function webStream(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let i = 0
  return new ReadableStream({
    pull(controller) {
      if (i >= bytes.length) return controller.close()
      controller.enqueue(bytes.slice(i, i + size))
      i += size
    },
  })
}

async function repoCar(n: number, textBytes: number) {
  const storage = new MemoryRepoStorage()
  const repo = await Repo.create({ storage, did, keypair, writes: writes(n, textBytes) })
  return { storage, repo, car: await exportRepoCarBytes(storage) }
}

describe('repository CARs as streams', () => {
  it('verifyRepoCar gives the same result for bytes and for every kind of stream and chunking', async () => {
    const { car } = await repoCar(300, 200)
    const want = await verifyRepoCar(car, { did, key: keypair.did() })
    expect(want.records).toBe(300)
    const sources = [
      ...[1, 7, 37, 36 + 1, 4096, car.length].map((n) => chunked(car, n)),
      webStream(car, 113),
      Readable.from(chunked(car, 999)),
    ]
    for (const source of sources) {
      const got = await verifyRepoCar(source, { did, key: keypair.did() })
      expect({ ...got, commit: got.commit.toString(), data: got.data.toString() }).toEqual({
        ...want,
        commit: want.commit.toString(),
        data: want.data.toString(),
      })
    }
  })

  it('a repository larger than one 4 MB slab verifies from a stream', async () => {
    const { car } = await repoCar(400, 20_000)
    expect(car.length).toBeGreaterThan(4 * 2 ** 20) // at least two slabs
    const r = await verifyRepoCar(chunked(car, 65_536), { did, key: keypair.did() })
    expect(r.records).toBe(400)
  })

  it('loadRepoCar and verifyRecordProofs read streams too', async () => {
    const { storage, car } = await repoCar(50, 100)
    const loaded = await loadRepoCar(chunked(car, 50), { did, key: keypair.did() })
    expect(await loaded.tree.leafCount()).toBe(50)
    const claims = [
      {
        collection: 'app.bsky.feed.post',
        rkey: 's00001',
        cid: (await loaded.tree.get('app.bsky.feed.post/s00001'))!,
      },
      { collection: 'app.bsky.feed.post', rkey: 'nope', cid: null },
    ]
    const proof = await getRecordsProofCar(storage, claims)
    const r = await verifyRecordProofs(chunked(proof, 17), claims, { did, key: keypair.did() })
    expect(r.verified).toHaveLength(2)
    expect(r.unverified).toHaveLength(0)
  })

  it('a stream cut short or carrying a forged block is refused, never a partial result', async () => {
    const { car } = await repoCar(100, 100)
    await expect(verifyRepoCar(chunked(car.subarray(0, car.length - 5), 64))).rejects.toBeInstanceOf(CarError)
    const forged = car.slice()
    forged[forged.length - 3]! ^= 1
    await expect(verifyRepoCar(chunked(forged, 64))).rejects.toBeInstanceOf(CarError)
  })
})
