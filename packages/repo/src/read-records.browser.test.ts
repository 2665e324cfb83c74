// iterateRepoRecords as browsers run it: #bytes-index swapped for bytes-index.browser.ts (the Map
// of block spans) and @rsky/mst's node reader for its non-Node one, then every case of
// read-records.test.ts (sample repositories, generated ones, the table of hostile repositories:
// iterateRepoRecords must match readRepoRecords, which keeps the typed-array index), and the two
// indexes compared block by block.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { iterateCar } from '@rsky/car'
import { type Cid, cidForCbor, encode } from '@rsky/dag-cbor'
import { decodeNodeEntries } from '@rsky/mst'
import { describe, expect, it, vi } from 'vitest'
import { indexCarBytes } from '#bytes-index'
import { CarBlockIndex } from './block-index.ts'

vi.mock('#bytes-index', async () => await import('./bytes-index.browser.ts'))
// @rsky/mst's node reader as browsers have it too (its #node-entries gives node-entries.ts outside
// Node), so that the whole read path of a browser runs: the Map index and the node read through
// `decode`, on the samples, generated repositories and the hostile table.
vi.mock('../../mst/src/node-entries.node.ts', async () => await import('../../mst/src/node-entries.ts'))

await import('./read-records.test.ts')

const reposDir = join(import.meta.dirname, '../../../test-vectors/repos')
const samples = JSON.parse(readFileSync(join(reposDir, 'samples.json'), 'utf8')) as { file: string }[]

describe('bytes-index.browser.ts', () => {
  it("@rsky/mst's node reader is the non-Node one here (its short messages)", () => {
    expect(() => decodeNodeEntries(encode({ e: [] }), undefined)).toThrow(
      /^invalid MST node; code=MST_NODE_ENCODING/,
    )
  })

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
        expect(lean.bytesAt(lean.indexOf(cid))).toEqual(full.bytesAt(full.indexOf(cid)))
      }
      expect(blocks).toBeGreaterThan(0)
      const absent = cidForCbor(new Uint8Array([0xa0]))
      expect(lean.indexOf(absent)).toBe(-1)
      const short = { bytes: absent.bytes.subarray(0, 35) } as Cid // not the 36-byte form
      expect(lean.indexOf(short)).toBe(-1)
    },
  )
})
