import { BlockMap } from '@rsky/car'
import type { Cid } from '@rsky/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  applyOps,
  getInversionProof,
  MemoryBlockstore,
  MST,
  mstDiff,
  type RecordOp,
  verifyOpsByInversion,
} from '../src/index.ts'
import { applyCommitEdits, arbCommitEdits, arbEntries, arbKey, valueCid } from './helpers.ts'

async function incremental(entries: readonly (readonly [string, number])[]): Promise<MST> {
  let t = MST.create(new MemoryBlockstore())
  for (const [k, v] of entries) t = await t.add(k, valueCid(v))
  return t
}

/** A stored tree: its blocks in a fresh block store, loaded back lazily from the root CID. */
async function stored(tree: MST): Promise<MST> {
  const store = new MemoryBlockstore(await tree.exportNodeBlocks())
  return MST.load(store, await tree.getPointer())
}

describe('MST properties', () => {
  it('insertion order does not change the root; bulk build agrees', async () => {
    await fc.assert(
      fc.asyncProperty(arbEntries, fc.integer(), async (entries, seed) => {
        const shuffled =
          fc.sample(fc.shuffledSubarray(entries, { minLength: entries.length }), { seed, numRuns: 1 })[0] ??
          []
        const a = await incremental(entries)
        const b = await incremental(shuffled)
        const c = MST.fromEntries(
          new MemoryBlockstore(),
          shuffled.map(([k, v]) => [k, valueCid(v)] as const),
        )
        const root = (await a.getPointer()).toString()
        expect((await b.getPointer()).toString()).toBe(root)
        expect((await c.getPointer()).toString()).toBe(root)
      }),
      { seed: 42, numRuns: 150 },
    )
  })

  it('diff(a, b) applied to a gives b, and its node sets are the exact set differences', async () => {
    await fc.assert(
      fc.asyncProperty(arbEntries, arbEntries, async (ea, eb) => {
        const a = await stored(await incremental(ea))
        const b = await stored(
          MST.fromEntries(
            new MemoryBlockstore(),
            eb.map(([k, v]) => [k, valueCid(v)] as const),
          ),
        )
        const diff = await mstDiff(a, b)
        const keys = diff.ops.map((o) => o.key)
        expect(keys).toEqual([...keys].sort())
        const applied = await applyOps(a, diff.ops)
        expect((await applied.getPointer()).toString()).toBe((await b.getPointer()).toString())
        const nodesA = new Set((await a.allNodeCids()).map(String))
        const nodesB = new Set((await b.allNodeCids()).map(String))
        expect(diff.createdNodes.map(String).sort()).toEqual([...nodesB].filter((c) => !nodesA.has(c)).sort())
        expect(diff.deletedNodes.map(String).sort()).toEqual([...nodesA].filter((c) => !nodesB.has(c)).sort())
        for (const cid of diff.createdNodes) expect(diff.newBlocks.has(cid)).toBe(true)
      }),
      { seed: 42, numRuns: 150 },
    )
  })

  it('after edits to a loaded tree, unstored blocks cover every node storage lacks, and only tree nodes', async () => {
    await fc.assert(
      fc.asyncProperty(arbEntries, arbEntries, async (base, more) => {
        const tree = await stored(await incremental(base))
        const store = tree.storage as MemoryBlockstore
        let edited = tree
        for (const [k, v] of more) {
          edited =
            (await edited.get(k)) === null
              ? await edited.add(k, valueCid(v))
              : await edited.update(k, valueCid(v))
        }
        const { root, blocks } = await edited.getUnstoredBlocks()
        expect(root.equals(await edited.getPointer())).toBe(true)
        const nodes = await edited.allNodeCids()
        for (const cid of nodes) expect(blocks.has(cid) || store.blocks.has(cid)).toBe(true)
        // An edit can rebuild a node storage already has; such a block may be listed again.
        const inTree = new Set(nodes.map(String))
        for (const [cid] of blocks) expect(inTree.has(cid.toString())).toBe(true)
      }),
      { seed: 42, numRuns: 100 },
    )
  })

  it('list, listWithPrefix and walkLeaves agree with a sorted model', async () => {
    await fc.assert(
      fc.asyncProperty(arbEntries, arbKey, arbKey, fc.nat(30), async (entries, x, y, limit) => {
        const tree = await stored(await incremental(entries))
        const model = entries.map(([k]) => k).sort()
        const [after, before] = x < y ? [x, y] : [y, x]
        const page = await tree.list({ after, before, limit })
        expect(page.map((l) => l.key)).toEqual(model.filter((k) => k > after && k < before).slice(0, limit))
        const prefix = after.slice(0, after.indexOf('/') + 2)
        const byPrefix = await tree.listWithPrefix(prefix)
        expect(byPrefix.map((l) => l.key)).toEqual(model.filter((k) => k.startsWith(prefix)))
        const walked: string[] = []
        for await (const leaf of tree.walkLeaves()) walked.push(leaf.key)
        expect(walked).toEqual(model)
        for (const [k, v] of entries) expect((await tree.get(k))?.equals(valueCid(v))).toBe(true)
      }),
      { seed: 42, numRuns: 100 },
    )
  })

  it('every commit inverts from its minimal proof; a dropped block or an altered op fails', async () => {
    await fc.assert(
      fc.asyncProperty(arbCommitEdits, async (edits) => {
        const { base, pick } = edits
        const before = await stored(await incremental(base))
        const after = await applyCommitEdits(before, edits)
        const { ops } = await mstDiff(before, after)
        const root = await after.getPointer()
        const prevRoot = await before.getPointer()
        const proof = await getInversionProof(after, ops)
        expect(await verifyOpsByInversion({ root, prevRoot, blocks: proof, ops })).toEqual({
          success: true,
          value: { prevRoot },
        })
        if (ops.length === 0) {
          expect(root.equals(prevRoot)).toBe(true)
          return
        }
        // Drop one block: the inversion read it, so it must now fail.
        const cids = [...proof].map(([c]) => c)
        const dropped = cids[pick % cids.length] as Cid
        const partial = new BlockMap([...proof].filter(([c]) => !c.equals(dropped)))
        const r1 = await verifyOpsByInversion({ root, prevRoot, blocks: partial, ops })
        expect(r1.success).toBe(false)
        // Alter one op: a different value, a dropped op, or a create turned into an update.
        const i = pick % ops.length
        const op = ops[i] as RecordOp
        const other = valueCid(99_999)
        const altered: RecordOp = op.action === 'delete' ? { ...op, prev: other } : { ...op, cid: other }
        const bad = [
          ops.slice(0, i).concat([altered], ops.slice(i + 1)),
          ops.slice(0, i).concat(ops.slice(i + 1)),
        ]
        for (const badOps of bad) {
          const full = new MemoryBlockstore(await after.exportNodeBlocks())
          const r = await verifyOpsByInversion({ root, prevRoot, blocks: full, ops: badOps })
          expect(r.success).toBe(false)
        }
      }),
      { seed: 42, numRuns: 150 },
    )
  })
})
