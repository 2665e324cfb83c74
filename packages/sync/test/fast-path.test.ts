// authenticateCommit hands the MST its CAR blocks as `hashChecked` (the CAR reader hash-checked
// every one), so tree nodes are not hashed twice. This file watches every inversion it runs and
// repeats it with each node hashed again: over honest and altered commits the verdicts are equal.
import { BlockMap, readCarWithRoot, writeCar } from '@rsky/car'
import { cidForCbor, encode } from '@rsky/dag-cbor'
import type * as Mst from '@rsky/mst'
import fc from 'fast-check'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { authenticateCommit } from '../src/authenticate.ts'
import type { CommitEvent } from '../src/events.ts'
import type { KeyResolver } from '../src/keys.ts'
import type { RepoState } from '../src/repo-state.ts'
import { commitEventOf, seededStream } from './fixtures.ts'
import type { StreamEvent } from './stream.ts'

const watch = vi.hoisted(() => ({ calls: 0, fast: 0, mismatches: [] as string[] }))

vi.mock('@rsky/mst', async (importOriginal) => {
  const mst = await importOriginal<typeof Mst>()
  return {
    ...mst,
    async verifyOpsByInversion(input: Mst.InversionInput): Promise<Mst.InversionResult> {
      const got = await mst.verifyOpsByInversion(input)
      watch.calls++
      if (input.hashChecked === true) watch.fast++
      const again = await mst.verifyOpsByInversion({ ...input, hashChecked: false })
      if (JSON.stringify(again) !== JSON.stringify(got))
        watch.mismatches.push(`${JSON.stringify(got)} vs ${JSON.stringify(again)}`)
      return got
    },
  }
})

let stream: StreamEvent[]
let keys: KeyResolver

beforeAll(async () => {
  ;({ stream, keys } = await seededStream(2024, 6, 240, { commitsOnly: true }))
}, 60_000)

describe('authenticateCommit with hash-checked MST blocks', () => {
  it('verifies a generated stream with the same verdicts as hashing every node', async () => {
    const before = watch.calls
    const states = new Map<string, RepoState>()
    for (const e of stream) {
      const r = await authenticateCommit(commitEventOf(e.body), { keys, prior: states.get(e.did) })
      if (!r.success) throw new Error(`${e.seq}: ${r.code} ${r.message}`)
      states.set(e.did, { rev: r.value.rev, data: r.value.data, status: 'synchronized' })
    }
    expect(watch.calls - before).toBe(stream.length)
    expect(watch.fast).toBe(watch.calls)
    expect(watch.mismatches).toEqual([])
  })

  it('gives the same verdicts on altered commits (fast-check)', async () => {
    const forged = cidForCbor(encode({ text: 'forged' }))
    const codes = new Map<string, number>()
    const arb = fc.record({
      at: fc.nat(),
      other: fc.nat(),
      pick: fc.nat(),
      mutation: fc.constantFrom(
        'none',
        'drop-block',
        'foreign-blocks',
        'alter-cid',
        'alter-prev',
        'drop-op',
        'extra-delete',
        'prev-data',
      ),
    })
    await fc.assert(
      fc.asyncProperty(arb, async ({ at, other, pick, mutation }) => {
        const e = stream[at % stream.length] as StreamEvent
        const o = stream[other % stream.length] as StreamEvent
        let evt = commitEventOf(e.body)
        const i = pick % evt.ops.length
        const op = evt.ops[i] as CommitEvent['ops'][number]
        const { root, blocks } = readCarWithRoot(evt.blocks)
        if (mutation === 'drop-block') {
          const list = [...blocks].filter(([c]) => !c.equals(root))
          const drop = list[pick % Math.max(1, list.length)]?.[0]
          const nb = new BlockMap([...blocks].filter(([c]) => drop === undefined || !c.equals(drop)))
          evt = { ...evt, blocks: writeCar([root], nb) }
        } else if (mutation === 'foreign-blocks') {
          // Blocks of another commit (any repo) alongside: more nodes to choose from, same verdict.
          const nb = new BlockMap(blocks)
          nb.addMap(readCarWithRoot(commitEventOf(o.body).blocks).blocks)
          evt = { ...evt, blocks: writeCar([root], nb) }
        } else if (mutation === 'alter-cid' && op.cid !== null) {
          evt = { ...evt, ops: evt.ops.map((x, j) => (j === i ? { ...x, cid: forged } : x)) }
        } else if (mutation === 'alter-prev' && op.prev != null) {
          evt = { ...evt, ops: evt.ops.map((x, j) => (j === i ? { ...x, prev: forged } : x)) }
        } else if (mutation === 'drop-op') {
          evt = { ...evt, ops: evt.ops.filter((_, j) => j !== i) }
        } else if (mutation === 'extra-delete') {
          const path = `app.bsky.feed.post/3kaaaaaaa${'abcdefghij'[pick % 10]}a22`
          evt = { ...evt, ops: [...evt.ops, { action: 'delete', path, cid: null, prev: forged }] }
        } else if (mutation === 'prev-data') {
          evt = { ...evt, prevData: commitEventOf(o.body).prevData ?? forged }
        }
        const r = await authenticateCommit(evt, { keys, requireRecords: false })
        const code = r.success ? 'ok' : r.code
        codes.set(`${mutation}:${code}`, (codes.get(`${mutation}:${code}`) ?? 0) + 1)
      }),
      { seed: 11, numRuns: 250 },
    )
    expect(watch.mismatches).toEqual([])
    const seen = new Set([...codes.keys()].map((k) => k.split(':')[1]))
    for (const c of ['ok', 'BROKEN_PROOF']) expect(seen).toContain(c)
  })
})
