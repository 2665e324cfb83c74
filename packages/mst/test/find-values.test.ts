// MST.findValues: which record CIDs a tree still points at (used by @rsky/repo so that a record
// block shared by two keys is not dropped when one of them goes).
import { BlockMap } from '@rsky/car'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MemoryBlockstore, MissingBlocksError, MST } from '../src/index.ts'
import { arbEntries, valueCid } from './helpers.ts'

describe('MST.findValues', () => {
  it('finds exactly the targets some leaf holds, on a tree loaded from blocks (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(arbEntries, fc.uniqueArray(fc.nat(520), { maxLength: 6 }), async (entries, wanted) => {
        // values drawn from a small pool, so several keys share one value
        const built = MST.create(
          new MemoryBlockstore(),
          entries.map(([k, v]) => [k, valueCid(v % 40)] as const),
        )
        const blocks = await built.exportNodeBlocks()
        const tree = MST.load(new MemoryBlockstore(blocks), await built.getPointer())
        const held = new Set(entries.map(([, v]) => v % 40))
        const targets = wanted.map((n) => valueCid(n))
        const found = await tree.findValues(targets)
        const expected = wanted.filter((n) => held.has(n)).map((n) => valueCid(n).toString())
        expect(found.map((c) => c.toString()).sort()).toEqual(expected.sort())
      }),
      { seed: 17, numRuns: 60 },
    )
  })

  it('an empty tree holds nothing; a missing node is MissingBlocksError', async () => {
    expect(await MST.create(new MemoryBlockstore()).findValues([valueCid(1)])).toEqual([])
    const entries = Array.from({ length: 400 }, (_, i) => [`a.b/${i}`, valueCid(i)] as const)
    const built = MST.create(new MemoryBlockstore(), entries)
    const root = await built.getPointer()
    const blocks = await built.exportNodeBlocks()
    const partial = new MemoryBlockstore(new BlockMap([[root, blocks.get(root) as Uint8Array]]))
    await expect(MST.load(partial, root).findValues([valueCid(100_000)])).rejects.toBeInstanceOf(
      MissingBlocksError,
    )
  })
})
