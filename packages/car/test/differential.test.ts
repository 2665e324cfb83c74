// Differential tests: CARs written by @ipld/car, @atcute/car and @atproto/repo are read by us
// with the same roots and blocks (and the same bytes when we write them again), and CARs we
// write are read by all three with the same blocks.
import { fromUint8Array as atcuteRead, writeCarStream as atcuteWriteStream } from '@atcute/car'
import { CidLinkWrapper } from '@atcute/cid'
import {
  BlockMap as AtprotoBlockMap,
  blocksToCarFile as atprotoBlocksToCarFile,
  readCar as atprotoReadCar,
} from '@atproto/repo'
import { CarReader, CarWriter } from '@ipld/car'
import { type Cid, decodeCid } from '@rsky/dag-cbor'
import fc from 'fast-check'
import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { type CarBlock, iterateCar, readCar, writeCar } from '../src/index.ts'
import { blocksArb, hex, rootsArb, summary } from './helpers.ts'

const mf = (cid: Cid): CID => CID.decode(cid.bytes)

async function ipldWrite(roots: Cid[], blocks: CarBlock[]): Promise<Uint8Array> {
  const { writer, out } = CarWriter.create(roots.map(mf))
  const parts: Uint8Array[] = []
  const done = (async () => {
    for await (const c of out) parts.push(c)
  })()
  for (const b of blocks) await writer.put({ cid: mf(b.cid), bytes: b.bytes })
  await writer.close()
  await done
  return Buffer.concat(parts)
}

async function atcuteWrite(roots: Cid[], blocks: CarBlock[]): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  const links = roots.map((r) => new CidLinkWrapper(r.bytes))
  for await (const c of atcuteWriteStream(
    links,
    blocks.map((b) => ({ cid: b.cid.bytes, data: b.bytes })),
  )) {
    parts.push(c)
  }
  return Buffer.concat(parts)
}

const oneRootArb = rootsArb.filter((r) => r.length === 1)
const uniqueBlocksArb = blocksArb.map((bs) => {
  const seen = new Set<string>()
  return bs.filter((b) => {
    const k = hex(b.cid.bytes)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
})

describe('differential: @ipld/car', () => {
  it('writes the same bytes as we do, and each side reads the other', async () => {
    await fc.assert(
      fc.asyncProperty(rootsArb, blocksArb, async (roots, blocks) => {
        const theirs = await ipldWrite(roots, blocks)
        const ours = writeCar(roots, blocks)
        expect(hex(ours)).toBe(hex(theirs))
        const it = iterateCar(theirs)
        expect(it.header.roots.map((r) => hex(r.bytes))).toEqual(roots.map((r) => hex(r.bytes)))
        expect(summary(it)).toEqual(summary(blocks))
        const reader = await CarReader.fromBytes(ours)
        expect((await reader.getRoots()).map((r) => hex(r.bytes))).toEqual(roots.map((r) => hex(r.bytes)))
        const back: CarBlock[] = []
        for await (const b of reader.blocks()) back.push({ cid: decodeCid(b.cid.bytes), bytes: b.bytes })
        expect(summary(back)).toEqual(summary(blocks))
      }),
      { seed: 42, numRuns: 100 },
    )
  })
})

describe('differential: @atcute/car', () => {
  it('writes the same bytes as we do, and each side reads the other', async () => {
    await fc.assert(
      fc.asyncProperty(rootsArb, blocksArb, async (roots, blocks) => {
        const theirs = await atcuteWrite(roots, blocks)
        const ours = writeCar(roots, blocks)
        expect(hex(ours)).toBe(hex(theirs))
        expect(summary(iterateCar(theirs))).toEqual(summary(blocks))
        const reader = atcuteRead(ours)
        expect(reader.roots.map((r) => r.$link)).toEqual(roots.map((r) => r.toString()))
        const back: CarBlock[] = []
        for (const e of reader) back.push({ cid: decodeCid(e.cid.bytes), bytes: e.bytes })
        expect(summary(back)).toEqual(summary(blocks))
      }),
      { seed: 42, numRuns: 100 },
    )
  })
})

describe('differential: @atproto/repo', () => {
  it('blocksToCarFile writes what writeCar writes; readCar on both sides agrees', async () => {
    await fc.assert(
      fc.asyncProperty(oneRootArb, uniqueBlocksArb, async (roots, blocks) => {
        const map = new AtprotoBlockMap()
        for (const b of blocks) map.set(mf(b.cid) as never, b.bytes)
        const theirs = await atprotoBlocksToCarFile(mf(roots[0]!) as never, map)
        const ours = writeCar(roots, blocks)
        expect(hex(ours)).toBe(hex(theirs))
        const read = readCar(theirs)
        expect(read.blocks.size).toBe(blocks.length)
        for (const b of blocks) expect(hex(read.blocks.get(b.cid)!)).toBe(hex(b.bytes))
        const back = await atprotoReadCar(ours)
        expect(back.roots.map((r) => r.toString())).toEqual([roots[0]!.toString()])
        expect(back.blocks.size).toBe(blocks.length)
        for (const b of blocks) expect(hex(back.blocks.get(mf(b.cid) as never)!)).toBe(hex(b.bytes))
      }),
      { seed: 42, numRuns: 60 },
    )
  })

  it('both reject a forged block (atproto verifies by default too)', async () => {
    const [roots] = fc.sample(oneRootArb, { seed: 42, numRuns: 1 })
    const blocks = [{ cid: roots![0]!, bytes: new Uint8Array([1, 2, 3]) }]
    const car = writeCar(roots!, blocks)
    expect(() => readCar(car)).toThrow(expect.objectContaining({ code: 'CAR_HASH_MISMATCH' }))
    await expect(atprotoReadCar(car)).rejects.toThrow()
  })
})
