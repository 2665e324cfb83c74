// `hashChecked` (a caller vouching that its blocks hash to their CIDs) only skips the second
// hash of each node block: over honest blocks every verdict equals the one of the hashing path,
// and over blocks that do not match their CID the default path still refuses them.
import { BlockMap, type BlocksAndMissing } from '@rsky/car'
import { type Cid, cidForCbor, decodeCid } from '@rsky/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  getInversionProof,
  type InversionResult,
  MemoryBlockstore,
  MST,
  mstDiff,
  type ReadableBlockstore,
  type RecordOp,
  verifyOpsByInversion,
} from '../src/index.ts'
import { applyCommitEdits, arbCommitEdits, valueCid } from './helpers.ts'

/** A block source that is not a MemoryBlockstore: the batched, asynchronous read path. */
class AsyncStore implements ReadableBlockstore {
  readonly hashChecked: boolean
  readonly #blocks: BlockMap
  constructor(blocks: BlockMap, hashChecked: boolean) {
    this.#blocks = blocks
    this.hashChecked = hashChecked
  }
  async getBytes(cid: Cid): Promise<Uint8Array | null> {
    return this.#blocks.get(cid) ?? null
  }
  async getBlocks(cids: Cid[]): Promise<BlocksAndMissing> {
    return this.#blocks.getMany(cids)
  }
}

/** A MemoryBlockstore subclass: read through its (overridable) methods, not directly. */
class SubclassStore extends MemoryBlockstore {}

type Input = { root: Cid; prevRoot: Cid; blocks: BlockMap; ops: RecordOp[] }

/** The verdict of every read path, with and without hashChecked. */
async function verdicts(input: Input): Promise<InversionResult[]> {
  const { blocks } = input
  return Promise.all([
    verifyOpsByInversion(input),
    verifyOpsByInversion({ ...input, hashChecked: true }),
    verifyOpsByInversion({ ...input, blocks: new MemoryBlockstore(blocks) }),
    verifyOpsByInversion({ ...input, blocks: new MemoryBlockstore(blocks, { hashChecked: true }) }),
    verifyOpsByInversion({ ...input, blocks: new AsyncStore(blocks, false) }),
    verifyOpsByInversion({ ...input, blocks: new AsyncStore(blocks, true) }),
    verifyOpsByInversion({ ...input, blocks: new SubclassStore(blocks, { hashChecked: true }) }),
  ])
}

describe('hashChecked blocks', () => {
  it('give the same verdict as hashing every node, on honest and altered commits', async () => {
    const arbCommit = fc.record({
      edits: arbCommitEdits,
      mutation: fc.constantFrom('none', 'drop-block', 'alter-op', 'drop-op', 'swap-action', 'prev-root'),
    })
    const seen = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(arbCommit, async ({ edits, mutation }) => {
        const { base, pick } = edits
        let before = MST.create(new MemoryBlockstore())
        for (const [k, v] of base) before = await before.add(k, valueCid(v))
        const after = await applyCommitEdits(before, edits)
        const { ops } = await mstDiff(before, after)
        const root = await after.getPointer()
        const prevRoot = await before.getPointer()
        let blocks = await getInversionProof(after, ops)
        let input: Input = { root, prevRoot, blocks, ops }
        const i = ops.length === 0 ? 0 : pick % ops.length
        const op = ops[i]
        if (mutation === 'drop-block' && blocks.size > 0) {
          const dropped = [...blocks][pick % blocks.size]?.[0] as Cid
          blocks = new BlockMap([...blocks].filter(([c]) => !c.equals(dropped)))
          input = { ...input, blocks }
        } else if (mutation === 'alter-op' && op !== undefined) {
          const other = valueCid(99_999)
          const altered: RecordOp = op.action === 'delete' ? { ...op, prev: other } : { ...op, cid: other }
          input = { ...input, ops: ops.slice(0, i).concat([altered], ops.slice(i + 1)) }
        } else if (mutation === 'drop-op' && op !== undefined) {
          input = { ...input, ops: ops.slice(0, i).concat(ops.slice(i + 1)) }
        } else if (mutation === 'swap-action' && op !== undefined) {
          const swapped = (
            op.action === 'create'
              ? { ...op, action: 'update', prev: valueCid(7) }
              : op.action === 'update'
                ? { ...op, action: 'create', prev: null }
                : { ...op, action: 'update', cid: valueCid(7) }
          ) as RecordOp
          input = { ...input, ops: ops.slice(0, i).concat([swapped], ops.slice(i + 1)) }
        } else if (mutation === 'prev-root') {
          input = { ...input, prevRoot: valueCid(123_456) }
        }
        const all = await verdicts(input)
        for (const v of all.slice(1)) expect(v).toEqual(all[0])
        const key = `${mutation}:${all[0]?.success ? 'ok' : all[0]?.issues[0]?.code}`
        seen.set(key, (seen.get(key) ?? 0) + 1)
      }),
      { seed: 7, numRuns: 300 },
    )
    // The run covered acceptance and several kinds of refusal.
    expect(seen.get('none:ok')).toBeGreaterThan(0)
    const codes = new Set([...seen.keys()].map((k) => k.split(':')[1]))
    for (const c of ['MST_INVERT_MISSING_BLOCKS', 'MST_INVERT_VALUE_MISMATCH', 'MST_INVERT_ROOT_MISMATCH'])
      expect(codes).toContain(c)
  })

  it('without hashChecked a block that does not hash to its CID is refused', async () => {
    let tree = MST.create(new MemoryBlockstore())
    for (let i = 0; i < 40; i++) tree = await tree.add(`app.bsky.feed.post/k${i}`, valueCid(i))
    const root = await tree.getPointer()
    const op: RecordOp = { action: 'create', key: 'app.bsky.feed.post/k3', cid: valueCid(3), prev: null }
    const before = await tree.delete(op.key)
    const proof = await getInversionProof(tree, [op])
    // Swap the root's bytes for another node's bytes, keeping the root CID.
    const other = [...proof].find(([c]) => !c.equals(root))
    if (other === undefined) throw new Error('proof has one block')
    const forged = new BlockMap([...proof].map(([c, b]) => [c, c.equals(root) ? other[1] : b] as const))
    const input = { root, prevRoot: await before.getPointer(), blocks: forged, ops: [op] }
    for (const blocks of [forged, new MemoryBlockstore(forged), new AsyncStore(forged, false)]) {
      expect(await verifyOpsByInversion({ ...input, blocks })).toMatchObject({
        success: false,
        issues: [{ code: 'MST_INVERT_INVALID_NODE', message: expect.stringContaining('hash') }],
      })
    }
    expect((await verifyOpsByInversion({ ...input, blocks: proof })).success).toBe(true)
  })

  it('still requires sha2-256 node CIDs', async () => {
    const bytes = new Uint8Array([0xa2, 0x61, 0x65, 0x80, 0x61, 0x6c, 0xf6]) // the empty node
    // CIDv1 dag-cbor with an identity multihash of the node itself.
    const identity = decodeCid(new Uint8Array([0x01, 0x71, 0x00, bytes.length, ...bytes]))
    const blocks = new BlockMap([[identity, bytes]])
    const ops: RecordOp[] = [{ action: 'delete', key: 'a/b', cid: null, prev: valueCid(1) }]
    const input = { root: identity, prevRoot: cidForCbor(bytes), blocks, ops }
    for (const hashChecked of [false, true]) {
      expect(await verifyOpsByInversion({ ...input, hashChecked })).toMatchObject({
        success: false,
        issues: [{ code: 'MST_INVERT_INVALID_NODE' }],
      })
    }
    expect(
      await MST.load(new MemoryBlockstore(blocks, { hashChecked: true }), identity)
        .getRoot()
        .catch((e) => e.code),
    ).toBe('MST_NODE_HASH_MISMATCH')
  })
})
