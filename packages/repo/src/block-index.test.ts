// CarBlockIndex against a BlockMap read by @rsky/car: the same blocks by CID from a buffer and from
// a stream cut anywhere, duplicates kept once, absent CIDs absent, hostile CARs raising the reader's
// errors. Blocks are seeded; the chunkings come from fast-check.
import { type BlockMap, CarBlockHashMismatchError, CarTruncatedError, readCar, writeCar } from '@rsky/car'
import { type Cid, cidForRaw, encodeWithCid } from '@rsky/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CarBlockIndex, indexCarStream } from './block-index.ts'

function blocks(n: number, size: number): { cid: Cid; bytes: Uint8Array }[] {
  const out: { cid: Cid; bytes: Uint8Array }[] = []
  for (let i = 0; i < n; i++) {
    if (i % 3 === 0) {
      const bytes = new Uint8Array((i * 37) % size).map((_, j) => (i * 31 + j) & 0xff)
      out.push({ cid: cidForRaw(bytes), bytes })
    } else out.push(encodeWithCid({ n: i, text: 'x'.repeat(i % size) }))
  }
  return out
}

function cut(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.min(c, bytes.length)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let prev = 0
  for (const p of points) {
    // fresh chunks, as a network source yields them
    out.push(bytes.slice(prev, p))
    prev = p
  }
  out.push(bytes.slice(prev))
  return out
}

function expectSame(index: CarBlockIndex, expected: BlockMap, absent: Cid[]): void {
  expect(index.size).toBe(expected.size)
  for (const [cid, bytes] of expected) expect(index.get(cid)).toEqual(bytes)
  for (const cid of absent) {
    expect(index.has(cid)).toBe(false)
    expect(index.indexOf(cid)).toBe(-1)
  }
}

describe('CarBlockIndex', () => {
  const list = blocks(3000, 700)
  // duplicates: the same block again, later in the file
  const withDuplicates = [...list, ...list.slice(0, 50)]
  const car = writeCar([list[0]!.cid], withDuplicates)
  const expected = readCar(car).blocks
  const absent = blocks(3020, 700)
    .slice(3000)
    .map((b) => cidForRaw(b.bytes.length > 0 ? b.bytes : Uint8Array.of(1, 2, 3)))

  it('fromBytes and indexCarStream (whole, and cut into 4 KB chunks) hold every block once', async () => {
    expectSame(CarBlockIndex.fromBytes(car), expected, absent)
    expectSame(await indexCarStream(car), expected, absent)
    const chunks: Uint8Array[] = []
    for (let i = 0; i < car.length; i += 4096) chunks.push(car.slice(i, i + 4096))
    expectSame(await indexCarStream(chunks), expected, absent)
  })

  it('indexCarStream agrees with readCar for any chunking', async () => {
    const small = writeCar([list[0]!.cid], [...list.slice(0, 60), ...list.slice(10, 20)])
    const want = readCar(small).blocks
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: small.length }), { maxLength: 30 }), async (cuts) => {
        expectSame(await indexCarStream(cut(small, cuts)), want, absent)
      }),
      { seed: 7, numRuns: 100 },
    )
  })

  it('a forged block or a truncated stream raises the reader error', async () => {
    const forged = car.slice()
    forged[forged.length - 1]! ^= 1
    await expect(indexCarStream(cut(forged, [1000, 5000]))).rejects.toBeInstanceOf(CarBlockHashMismatchError)
    expect(() => CarBlockIndex.fromBytes(forged)).toThrow(CarBlockHashMismatchError)
    await expect(indexCarStream(cut(car.subarray(0, car.length - 3), [777]))).rejects.toBeInstanceOf(
      CarTruncatedError,
    )
  })
})
