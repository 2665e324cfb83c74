import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BlockMap, iterateCar, readCar, readCarStream, writeCar, writeCarStream } from '../src/index.ts'
import {
  blocksArb,
  makeBlock,
  readStream,
  readSync,
  readVisited,
  rootsArb,
  splitAt,
  summary,
} from './helpers.ts'

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const c of chunks) parts.push(c)
  return Buffer.concat(parts)
}

describe('round trips', () => {
  it('writeCar then iterateCar gives the same roots and blocks, and writing again the same bytes', () => {
    fc.assert(
      fc.property(rootsArb, blocksArb, (roots, blocks) => {
        const car = writeCar(roots, blocks)
        const it = iterateCar(car)
        expect(it.header.roots.map((r) => r.toString())).toEqual(roots.map((r) => r.toString()))
        const back = [...it]
        expect(summary(back)).toEqual(summary(blocks))
        expect(writeCar(it.header.roots, back)).toEqual(car)
      }),
      { seed: 42, numRuns: 200 },
    )
  })

  it('writeCarStream yields exactly writeCar, at any chunk size', async () => {
    await fc.assert(
      fc.asyncProperty(
        rootsArb,
        blocksArb,
        fc.integer({ min: 1, max: 2000 }),
        async (roots, blocks, chunkSize) => {
          const whole = writeCar(roots, blocks)
          expect(await collect(writeCarStream(roots, blocks, { chunkSize }))).toEqual(Buffer.from(whole))
          async function* gen() {
            yield* blocks
          }
          expect(await collect(writeCarStream(roots, gen(), { chunkSize }))).toEqual(Buffer.from(whole))
        },
      ),
      { seed: 42, numRuns: 150 },
    )
  })

  it('writeCar gives the same bytes for an array, a one-shot generator and a BlockMap of the blocks', () => {
    fc.assert(
      fc.property(rootsArb, blocksArb, (roots, blocks) => {
        const whole = writeCar(roots, blocks)
        function* gen() {
          yield* blocks
        }
        expect(writeCar(roots, gen())).toEqual(whole)
        // A BlockMap keeps the first position and the last bytes of a repeated CID.
        const map = new BlockMap(blocks.map((b) => [b.cid, b.bytes] as const))
        expect(writeCar(roots, map)).toEqual(writeCar(roots, [...map.blocks()]))
      }),
      { seed: 42, numRuns: 150 },
    )
  })

  it('writeCar throws, rather than leave a gap or overrun, when a block answers differently on each read', () => {
    const { cid } = makeBlock('raw', new Uint8Array([1]), 0)
    for (const step of [1, -1]) {
      let reads = 0
      const shifty = {
        cid,
        get bytes() {
          reads++
          return new Uint8Array(10 + step * reads)
        },
      }
      expect(() => writeCar([], [shifty])).toThrow()
    }
  })

  it('readCar into a BlockMap keeps one entry per CID and round trips through writeCar', () => {
    fc.assert(
      fc.property(rootsArb, blocksArb, (roots, blocks) => {
        const car = writeCar(roots, blocks)
        const read = readCar(car)
        const expected = new BlockMap(blocks.map((b) => [b.cid, b.bytes] as const))
        expect(read.blocks.equals(expected)).toBe(true)
        expect(read.blocks.size).toBe(expected.size)
        const again = readCar(writeCar(read.roots, read.blocks))
        expect(again.blocks.equals(expected)).toBe(true)
      }),
      { seed: 42, numRuns: 150 },
    )
  })

  it('the stream reader agrees with the buffer reader, for any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        rootsArb,
        blocksArb,
        fc.array(fc.nat({ max: 10_000 }), { maxLength: 40 }),
        async (roots, blocks, cuts) => {
          const car = writeCar(roots, blocks)
          const expected = readSync(car)
          expect(expected.ok).toBe(true)
          expect(await readStream(splitAt(car, cuts))).toEqual(expected)
          expect(await readVisited(splitAt(car, cuts))).toEqual(expected)
        },
      ),
      { seed: 42, numRuns: 200 },
    )
  })

  it('a stream written by writeCarStream reads back through readCarStream', async () => {
    await fc.assert(
      fc.asyncProperty(rootsArb, blocksArb, async (roots, blocks) => {
        const car = readCarStream(writeCarStream(roots, blocks, { chunkSize: 97 }))
        const back = []
        for await (const b of car) back.push(b)
        expect(summary(back)).toEqual(summary(blocks))
        expect((await car.header).roots.length).toBe(roots.length)
      }),
      { seed: 42, numRuns: 100 },
    )
  })
})
