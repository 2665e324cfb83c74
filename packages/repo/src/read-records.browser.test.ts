// iterateRepoRecords as browsers run it: #bytes-index swapped for bytes-index.browser.ts (the Map
// of block spans), then every case of read-records.test.ts (sample repositories, generated ones,
// the table of hostile repositories: iterateRepoRecords must match readRepoRecords, which keeps
// the typed-array index), and the two indexes compared block by block.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { iterateCar } from '@rsky/car'
import { type Cid, cidForCbor } from '@rsky/dag-cbor'
import { describe, expect, it, vi } from 'vitest'
import { indexCarBytes } from '#bytes-index'
import { CarBlockIndex } from './block-index.ts'

vi.mock('#bytes-index', async () => await import('./bytes-index.browser.ts'))

await import('./read-records.test.ts')

const reposDir = join(import.meta.dirname, '../../../test-vectors/repos')
const samples = JSON.parse(readFileSync(join(reposDir, 'samples.json'), 'utf8')) as { file: string }[]

describe('bytes-index.browser.ts', () => {
  it('is what #bytes-index resolves to in this file', () => {
    const car = new Uint8Array(readFileSync(join(reposDir, samples[0]!.file)))
    expect(indexCarBytes(car)).not.toBeInstanceOf(CarBlockIndex)
  })

  it.each(samples.map((s) => s.file))(
    'finds every block of %s as the typed-array index does',
    async (file) => {
      const car = new Uint8Array(readFileSync(join(reposDir, file)))
      const lean = indexCarBytes(car)
      const full = CarBlockIndex.fromBytes(car)
      expect(lean.roots.map(String)).toEqual(full.roots.map(String))
      let blocks = 0
      for await (const { cid } of iterateCar(car)) {
        blocks++
        expect(lean.get(cid)).toEqual(full.get(cid))
        expect(lean.bytesAt(lean.indexOf(cid))).toEqual(full.bytesAt(full.indexOf(cid)))
      }
      expect(blocks).toBeGreaterThan(0)
      const absent = cidForCbor(new Uint8Array([0xa0]))
      expect(lean.indexOf(absent)).toBe(-1)
      expect(lean.get(absent)).toBeUndefined()
      const short = { bytes: absent.bytes.subarray(0, 35) } as Cid // not the 36-byte form
      expect(lean.indexOf(short)).toBe(-1)
    },
  )
})
