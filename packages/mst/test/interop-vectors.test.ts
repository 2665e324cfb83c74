import { MemoryBlockstore as AtpBlockstore, MST as AtpMST } from '@atproto/repo'
import { type Cid, parseCid } from '@rsky/dag-cbor'
import { toMultiformatsCid } from '@rsky/dag-cbor/multiformats'
import { readInteropJson, readInteropText, recordInteropCount } from '@rsky/test-vectors'
import { describe, expect, it } from 'vitest'
import {
  countPrefixLen,
  getCoveringProof,
  getInversionProof,
  heightForKey,
  isValidMstKey,
  MemoryBlockstore,
  MST,
  mstDiff,
  verifyOpsByInversion,
} from '../src/index.ts'

describe('mst/key_heights.json', () => {
  it('every key has the expected height', () => {
    const cases = readInteropJson<{ key: string; height: number }[]>(
      'atproto-interop-tests',
      'mst/key_heights.json',
    )
    for (const c of cases) expect(heightForKey(c.key), c.key).toBe(c.height)
    recordInteropCount('atproto mst/key_heights.json', cases.length)
  })
})

describe('mst/common_prefix.json', () => {
  it('every pair has the expected common prefix length', () => {
    const cases = readInteropJson<{ left: string; right: string; len: number }[]>(
      'atproto-interop-tests',
      'mst/common_prefix.json',
    )
    for (const c of cases) expect(countPrefixLen(c.left, c.right), `${c.left}|${c.right}`).toBe(c.len)
    recordInteropCount('atproto mst/common_prefix.json', cases.length)
  })
})

describe('mst/example_keys.txt', () => {
  const keys = readInteropText('atproto-interop-tests', 'mst/example_keys.txt')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
  const leaf = parseCid('bafyreie5cvv4h45feadgeuwhbcutmh6t2ceseocckahdoe6uat64zmz454')

  it('each key is valid and sits at the height its name says', () => {
    for (const key of keys) {
      expect(isValidMstKey(key), key).toBe(true)
      expect(heightForKey(key), key).toBe(Number(key[1]))
    }
    recordInteropCount('atproto mst/example_keys.txt', keys.length)
  })

  it('the tree of all keys has the same root as @atproto/repo, built in bulk and one add at a time', async () => {
    let atp = await AtpMST.create(new AtpBlockstore())
    for (const key of keys) atp = await atp.add(key, toMultiformatsCid(leaf))
    const want = (await atp.getPointer()).toString()
    const bulk = MST.fromEntries(
      new MemoryBlockstore(),
      keys.map((k) => [k, leaf] as const),
    )
    expect((await bulk.getPointer()).toString()).toBe(want)
    let inc = MST.create(new MemoryBlockstore())
    for (const key of [...keys].reverse()) inc = await inc.add(key, leaf)
    expect((await inc.getPointer()).toString()).toBe(want)
  })
})

interface ProofFixture {
  comment: string
  leafValue: string
  keys: string[]
  adds: string[]
  dels: string[]
  rootBeforeCommit: string
  rootAfterCommit: string
  blocksInProof: string[]
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items]
  const out: T[][] = []
  items.forEach((item, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) out.push([item, ...rest])
  })
  return out
}

describe('firehose/commit-proof-fixtures.json', () => {
  const fixtures = readInteropJson<ProofFixture[]>(
    'atproto-interop-tests',
    'firehose/commit-proof-fixtures.json',
  )
  recordInteropCount('atproto firehose/commit-proof-fixtures.json', fixtures.length)
  for (const fx of fixtures) {
    it(fx.comment, async () => {
      const leaf = parseCid(fx.leafValue)
      const store = new MemoryBlockstore()
      let tree = MST.create(store)
      for (const key of fx.keys) tree = await tree.add(key, leaf)
      const before = await tree.getPointer()
      expect(before.toString()).toBe(fx.rootBeforeCommit)
      store.putMany((await tree.getUnstoredBlocks()).blocks)
      const prev = MST.load(store, before)
      for (const key of fx.adds) tree = await tree.add(key, leaf)
      for (const key of fx.dels) tree = await tree.delete(key)
      const after = await tree.getPointer()
      expect(after.toString()).toBe(fx.rootAfterCommit)

      const proof = await getCoveringProof(tree, [...fx.adds, ...fx.dels])
      for (const s of fx.blocksInProof) expect(proof.has(parseCid(s)), s).toBe(true)

      // Inverting in every order from the covering proof alone gives the root before.
      const inverse = [...fx.adds.map((k) => ({ k, add: false })), ...fx.dels.map((k) => ({ k, add: true }))]
      for (const order of permutations(inverse)) {
        let t = MST.load(new MemoryBlockstore(proof), after)
        for (const step of order) t = step.add ? await t.add(step.k, leaf) : await t.delete(step.k)
        expect((await t.getPointer()).toString()).toBe(fx.rootBeforeCommit)
      }

      // The ops from a diff, verified by inversion from the minimal inversion proof.
      const { ops } = await mstDiff(prev, tree)
      const minimal = await getInversionProof(tree, ops)
      for (const [cid] of minimal) expect(proof.has(cid as Cid)).toBe(true)
      const r = await verifyOpsByInversion({ root: after, prevRoot: before, blocks: minimal, ops })
      expect(r).toEqual({ success: true, value: { prevRoot: before } })
    })
  }
})
