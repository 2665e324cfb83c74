// readRepoRecords as browsers run it: #read-car swapped for read-car.browser.ts (WebCrypto's sha256
// for block hashes and key heights, the Map index, the asynchronous walk), then every case of
// read-records.test.ts (with @rsky/mst's browser node reader), where readRepoRecords must match
// iterateRepoRecords (sample repositories, generated ones, the table of hostile repositories: the
// same records, the same records before an error, the same error), and checks that the swaps took.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { encode } from '@rsky/dag-cbor'
import { decodeNodeEntries } from '@rsky/mst'
import { describe, expect, it, vi } from 'vitest'
import { readRepoRecords } from './read-records-core.ts'

vi.mock('#read-car', async () => await import('./read-car.browser.ts'))
// @rsky/mst's node reader as browsers have it too (its #node-entries), so that iterateRepoRecords,
// which the cases compare with, names node faults in the same words.
vi.mock('../../mst/src/node-entries.node.ts', async () => await import('../../mst/src/node-entries.ts'))

await import('./read-records.test.ts')

const reposDir = join(import.meta.dirname, '../../../test-vectors/repos')
const samples = JSON.parse(readFileSync(join(reposDir, 'samples.json'), 'utf8')) as { file: string }[]

describe('read-car.browser.ts', () => {
  it("@rsky/mst's node reader is the browsers' here (its short messages)", () => {
    expect(() => decodeNodeEntries(encode({ e: [] }), undefined)).toThrow(
      /^invalid MST node; code=MST_NODE_ENCODING/,
    )
  })

  it('is what #read-car resolves to in this file: every block and key hashed by WebCrypto', async () => {
    const car = new Uint8Array(readFileSync(join(reposDir, samples[0]!.file)))
    const digest = vi.spyOn(crypto.subtle, 'digest')
    let records = 0
    for await (const _ of readRepoRecords(car)) records++
    expect(records).toBeGreaterThan(0)
    // At least one digest per block (the records and the nodes) and one per key.
    expect(digest.mock.calls.length).toBeGreaterThan(2 * records)
    digest.mockRestore()
  })

  it('reads a stream in chunks of any size as it reads the bytes', async () => {
    const car = new Uint8Array(readFileSync(join(reposDir, samples[0]!.file)))
    const rows = async (src: Uint8Array | Iterable<Uint8Array> | ReadableStream<Uint8Array>) => {
      const out: string[] = []
      for await (const { collection, rkey, cid } of readRepoRecords(src))
        out.push(`${collection}/${rkey} ${cid}`)
      return out
    }
    const expected = await rows(car)
    const pieces = (size: number) =>
      Array.from({ length: Math.ceil(car.length / size) }, (_, i) => car.subarray(i * size, (i + 1) * size))
    expect(await rows(pieces(1000))).toEqual(expected)
    expect(await rows(new Blob([car]).stream())).toEqual(expected)
    await expect(rows([car.subarray(0, 10), 'x' as never])).rejects.toThrow(TypeError)
  })
})
