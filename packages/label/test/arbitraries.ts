// Test-only: fast-check generators of valid label fields, and seeded keypairs of both curves.
import { P256Keypair, Secp256k1Keypair } from '@rsky/crypto'
import { cidForRaw } from '@rsky/dag-cbor'
import fc from 'fast-check'
import type { LabelInput } from '../src/types.ts'

const B32 = 'abcdefghijklmnopqrstuvwxyz234567'
const plcDid = fc
  .array(fc.constantFrom(...B32.split('')), { minLength: 24, maxLength: 24 })
  .map((cs) => `did:plc:${cs.join('')}`)
const webDid = fc.constantFrom('did:web:mod.example.com', 'did:web:labeler.test')
export const arbDid: fc.Arbitrary<string> = fc.oneof(plcDid, webDid)

const rkey = fc.stringMatching(/^[a-z0-9]{1,13}$/)
export const arbSubject: fc.Arbitrary<string> = fc.oneof(
  arbDid,
  fc
    .tuple(arbDid, fc.constantFrom('app.bsky.feed.post', 'app.bsky.actor.profile'), rkey)
    .map(([d, c, r]) => `at://${d}/${c}/${r}`),
)
export const arbCid: fc.Arbitrary<string> = fc
  .uint8Array({ maxLength: 16 })
  .map((b) => cidForRaw(b).toString())
// 1..128 UTF-8 bytes, ASCII-heavy with some multi-byte characters.
export const arbVal: fc.Arbitrary<string> = fc
  .oneof(
    fc.stringMatching(/^[a-z!][a-z-]{0,40}$/),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
  )
  .filter((s) => s.length > 0 && new TextEncoder().encode(s).length <= 128)
export const arbDatetime: fc.Arbitrary<string> = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2090-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString())

export const arbLabelInput: fc.Arbitrary<LabelInput> = fc.record(
  {
    src: arbDid,
    uri: arbSubject,
    cid: arbCid,
    val: arbVal,
    neg: fc.boolean(),
    cts: arbDatetime,
    exp: arbDatetime,
  },
  { requiredKeys: ['src', 'uri', 'val', 'cts'] },
)

/** Fixed keys so failures reproduce. */
export const keys: { k256: Secp256k1Keypair; p256: P256Keypair } = {
  k256: Secp256k1Keypair.import('9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c'),
  p256: P256Keypair.import('c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721'),
}
