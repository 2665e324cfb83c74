import { encodeWithCid } from '@rsky/dag-cbor'
import { describe, expect, it } from 'vitest'
import { BlockMap, iterateCar, readCar, readCarStream, writeCar } from '../src/index.ts'

describe('smoke', () => {
  it('round trips', async () => {
    const blocks = new BlockMap()
    const a = encodeWithCid({ hello: 'world' })
    const b = encodeWithCid({ n: 1, list: [1, 2, 3] })
    blocks.set(a.cid, a.bytes).set(b.cid, b.bytes)
    const car = writeCar([a.cid], blocks)
    const back = readCar(car)
    expect(back.roots[0]!.equals(a.cid)).toBe(true)
    expect(back.blocks.equals(blocks)).toBe(true)
    expect(writeCar(back.roots, back.blocks)).toEqual(car)
    expect([...iterateCar(car)].length).toBe(2)
    const s = readCarStream(car)
    expect((await s.header).roots.length).toBe(1)
    let n = 0
    for await (const _ of s) n++
    expect(n).toBe(2)
  })
})
