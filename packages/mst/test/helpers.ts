import { type Cid, cidForCbor } from '@rsky/dag-cbor'
import fc from 'fast-check'
import type { MST } from '../src/index.ts'

const RKEY_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_~:.-'.split('')

/** Valid MST keys, including `~`, `:`, `.` and occasional long record keys. */
export const arbKey: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('app.bsky.feed.post', 'app.bsky.feed.like', 'com.example.record', 'a.b.c'),
    fc.oneof(
      {
        weight: 8,
        arbitrary: fc.string({ unit: fc.constantFrom(...RKEY_CHARS), minLength: 1, maxLength: 14 }),
      },
      {
        weight: 1,
        arbitrary: fc.string({ unit: fc.constantFrom(...RKEY_CHARS), minLength: 200, maxLength: 1000 }),
      },
    ),
  )
  .map(([c, r]) => `${c}/${r}`.slice(0, 1024))

/** A record CID made from a small integer (distinct integers give distinct CIDs). */
export function valueCid(n: number): Cid {
  return cidForCbor(
    new Uint8Array([0xa1, 0x61, 0x6e, 0x1a, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]),
  )
}

export type EditOp = { kind: 'put'; key: string; value: number } | { kind: 'del'; index: number }

export const arbEdits: fc.Arbitrary<EditOp[]> = fc.array(
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('put' as const), key: arbKey, value: fc.nat(1000) }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('del' as const), index: fc.nat() }) },
  ),
  { minLength: 1, maxLength: 60 },
)

/** Up to 80 distinct keys, each with a small record value. */
export const arbEntries: fc.Arbitrary<[string, number][]> = fc.uniqueArray(fc.tuple(arbKey, fc.nat(500)), {
  selector: ([k]) => k,
  maxLength: 80,
})

/** A tree's entries and one commit's edits on it: adds, deletes and updates by index into `base`. */
export interface CommitEdits {
  base: [string, number][]
  adds: [string, number][]
  dels: number[]
  upds: [number, number][]
  pick: number
}

export const arbCommitEdits: fc.Arbitrary<CommitEdits> = fc.record({
  base: arbEntries,
  adds: fc.uniqueArray(fc.tuple(arbKey, fc.nat(500)), { selector: ([k]) => k, maxLength: 6 }),
  dels: fc.array(fc.nat(), { maxLength: 4 }),
  upds: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1000, max: 2000 })), { maxLength: 4 }),
  pick: fc.nat(),
})

/** The tree after one commit: `before` (holding `base`) with the adds, then deletes and updates of distinct base keys. */
export async function applyCommitEdits(before: MST, { base, adds, dels, upds }: CommitEdits): Promise<MST> {
  let after = before
  const present = new Set(base.map(([k]) => k))
  for (const [k, v] of adds) if (!present.has(k)) after = await after.add(k, valueCid(v))
  const baseKeys = base.map(([k]) => k)
  const touched = new Set<string>()
  for (const d of dels) {
    const k = baseKeys[d % Math.max(1, baseKeys.length)]
    if (k !== undefined && !touched.has(k)) {
      touched.add(k)
      after = await after.delete(k)
    }
  }
  for (const [i, v] of upds) {
    const k = baseKeys[i % Math.max(1, baseKeys.length)]
    if (k !== undefined && !touched.has(k)) {
      touched.add(k)
      after = await after.update(k, valueCid(v))
    }
  }
  return after
}
