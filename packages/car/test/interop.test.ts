// Every CAR of the shared MST test suite, read in place: hash-checked by us, compared block by
// block with @ipld/car, and written back byte for byte.
import { readFileSync } from 'node:fs'
import { CarReader } from '@ipld/car'
import { interopPath, listInteropFiles, recordInteropCount } from '@rsky/test-vectors'
import { describe, expect, it } from 'vitest'
import { iterateCar, readCarStream, writeCar } from '../src/index.ts'
import { hex, splitAt, summary } from './helpers.ts'

describe('interop: mst-test-suite CAR files', () => {
  it('reads every CAR (hash-checked), agrees with @ipld/car, and writes it back identically', async () => {
    const files = listInteropFiles('mst-test-suite', 'cars', '.car')
    let count = 0
    for (const file of files) {
      const bytes = new Uint8Array(readFileSync(interopPath('mst-test-suite', file)))
      const car = iterateCar(bytes)
      const blocks = [...car]
      expect(blocks.length).toBeGreaterThan(0)
      const reader = await CarReader.fromBytes(bytes)
      const theirs: string[] = []
      for await (const b of reader.blocks()) theirs.push(`${hex(b.cid.bytes)}:${hex(b.bytes)}`)
      expect(summary(blocks)).toEqual(theirs)
      expect((await reader.getRoots()).map((r) => hex(r.bytes))).toEqual(
        car.header.roots.map((r) => hex(r.bytes)),
      )
      expect(hex(writeCar(car.header.roots, blocks))).toBe(hex(bytes))
      const streamed = []
      for await (const b of readCarStream(splitAt(bytes, [1, 17, 100, 1000]))) streamed.push(b)
      expect(summary(streamed)).toEqual(theirs)
      count++
    }
    recordInteropCount('car: mst-test-suite/cars/**/*.car', count)
    expect(count).toBe(files.length)
  })
})
