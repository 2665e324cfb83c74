import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CarBlockIndex } from './block-index.ts'
import { decodeCommit } from './commit.ts'
import { MissingBlockError, RepoError } from './errors.ts'
import { readRepoRecords } from './read-records.ts'
import { walkRecordTree } from './tree-walk.ts'

const reposDir = join(import.meta.dirname, '../../../test-vectors/repos')
const car = readFileSync(join(reposDir, 'sample-k256.car'))

function indexAndData(): { index: CarBlockIndex; data: ReturnType<typeof decodeCommit>['data'] } {
  const index = CarBlockIndex.fromBytes(car)
  const root = index.roots[0]!
  return { index, data: decodeCommit(index.get(root)!, root).data }
}

describe('walkRecordTree', () => {
  it('yields the same keys and CIDs, in the same order, as readRepoRecords', async () => {
    const { index, data } = indexAndData()
    const walked = [...walkRecordTree(index, data)].map((e) => `${e.collection}/${e.rkey} ${e.cid}`)
    const read: string[] = []
    for await (const r of readRepoRecords(car)) read.push(`${r.collection}/${r.rkey} ${r.cid}`)
    expect(walked.length).toBeGreaterThan(0)
    expect(walked).toEqual(read)
  })

  it('with a collection, yields exactly that collection', () => {
    const { index, data } = indexAndData()
    const all = [...walkRecordTree(index, data)]
    const collection = all[Math.floor(all.length / 2)]!.collection
    const some = [...walkRecordTree(index, data, { collection })]
    expect(some.map((e) => e.key)).toEqual(all.filter((e) => e.collection === collection).map((e) => e.key))
  })

  it('an absent root node is a MissingBlockError; a bad limit a RangeError', () => {
    const { index } = indexAndData()
    const root = index.roots[0]!
    // the commit block is not a tree node: decoding it as one fails as a named repo error
    expect(() => [...walkRecordTree(index, root)]).toThrow(RepoError)
    const other = CarBlockIndex.fromBytes(readFileSync(join(reposDir, 'sample-p256.car')))
    const { data } = indexAndData()
    expect(() => [...walkRecordTree(other, data)]).toThrow(MissingBlockError)
    expect(() => [...walkRecordTree(index, data, { maxNodeEntries: 0 })]).toThrow(RangeError)
  })
})
