import { type Cid, cidForCbor } from '@rsky/dag-cbor'
import fc from 'fast-check'

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
