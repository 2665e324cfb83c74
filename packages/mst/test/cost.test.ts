import type { BlocksAndMissing } from '@rsky/car'
import type { Cid } from '@rsky/dag-cbor'
import { describe, expect, it } from 'vitest'
import { MemoryBlockstore, MST, mstDiff, type ReadableBlockstore } from '../src/index.ts'
import { valueCid } from './helpers.ts'

// Cost in blocks read rather than time: a page, a lookup and a small diff must read a number of
// nodes that follows the tree's depth and the size of the answer, not the size of the tree.
class CountingStore implements ReadableBlockstore {
  reads = 0
  readonly inner: MemoryBlockstore
  constructor(inner: MemoryBlockstore) {
    this.inner = inner
  }
  getBytes(cid: Cid): Promise<Uint8Array | null> {
    this.reads++
    return this.inner.getBytes(cid)
  }
  getBlocks(cids: Cid[]): Promise<BlocksAndMissing> {
    this.reads += cids.length
    return this.inner.getBlocks(cids)
  }
}

describe('reads follow the answer, not the tree', () => {
  const n = 20_000
  const entries = Array.from(
    { length: n },
    (_, i) => [`app.bsky.feed.post/k${String(i).padStart(6, '0')}`, valueCid(i)] as const,
  )

  it('list, get and diff read few nodes of a 20,000-key tree', async () => {
    const base = MST.create(new MemoryBlockstore(), entries)
    const changed = await (await base.update(entries[12_345]?.[0] as string, valueCid(1e6))).delete(
      entries[777]?.[0] as string,
    )
    const inner = new MemoryBlockstore(await base.exportNodeBlocks())
    inner.putMany((await changed.getUnstoredBlocks()).blocks)
    const total = inner.blocks.size
    const depth = (await base.getLayer()) + 1
    expect(total).toBeGreaterThan(3000)

    const s1 = new CountingStore(inner)
    const page = await MST.load(s1, await base.getPointer()).list({ after: entries[10_000]?.[0], limit: 50 })
    expect(page.length).toBe(50)
    expect(s1.reads).toBeLessThan(depth * 2 + 50)

    const s2 = new CountingStore(inner)
    expect(await MST.load(s2, await base.getPointer()).get(entries[5]?.[0] as string)).not.toBeNull()
    expect(s2.reads).toBeLessThanOrEqual(depth)

    const s3 = new CountingStore(inner)
    const d = await mstDiff(MST.load(s3, await base.getPointer()), MST.load(s3, await changed.getPointer()))
    expect(d.ops.map((o) => o.action)).toEqual(['delete', 'update'])
    expect(s3.reads).toBeLessThan(depth * 8)
  })
})
