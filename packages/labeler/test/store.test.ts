// The same store contract on SQLite (node:sqlite) and Postgres (a fresh database per run).
import { Secp256k1Keypair } from '@rsky/crypto'
import { type LabelInput, type SignedLabel, signLabel, verifyLabelWithKey } from '@rsky/label'
import { createTestDatabase, type TestDatabase } from '@rsky/test-vectors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseQueryParams } from '../src/query.ts'
import { PostgresLabelStore } from '../src/store/postgres.ts'
import { SqliteLabelStore } from '../src/store/sqlite.ts'
import type { LabelStore } from '../src/store/types.ts'

const SRC = 'did:plc:labelerlabelerlabelerla'
const OTHER = 'did:plc:otherlabelerotherlabeler'
const key = Secp256k1Keypair.import('9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c')
const A = 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'
const B = 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb'
const post = (d: string, r: string) => `at://${d}/app.bsky.feed.post/${r}`
const sign = (l: Omit<LabelInput, 'src'> & { src?: string }): Promise<SignedLabel> =>
  signLabel({ src: SRC, cts: '2024-01-01T00:00:00.000Z', ...l }, key)
const q = (s: string) => parseQueryParams(new URLSearchParams(s), Date.parse('2024-06-01T00:00:00Z'))

let pgDb: TestDatabase | undefined
const stores: [string, () => Promise<LabelStore>][] = [
  ['sqlite', async () => SqliteLabelStore.open(':memory:')],
  [
    'postgres',
    async () => {
      pgDb ??= await createTestDatabase('rsky_labeler')
      const store = await PostgresLabelStore.open({ url: pgDb.url })
      return store
    },
  ],
]

afterAll(async () => {
  await pgDb?.drop()
})

describe.each(stores)('%s store', (_name, open) => {
  let store: LabelStore
  beforeAll(async () => {
    store = await open()
    await store.append([
      await sign({ uri: post(A, '1'), val: 'spam' }), // 1
      await sign({ uri: post(A, '2'), val: 'rude' }), // 2
      await sign({ uri: A, val: '!hide' }), // 3
      await sign({ uri: post(B, '1'), val: 'spam', src: OTHER }), // 4
      await sign({ uri: post(A, '1'), val: 'spam', neg: true, cts: '2024-01-02T00:00:00.000Z' }), // 5 negates 1
      await sign({ uri: post(B, '2'), val: 'old', exp: '2024-02-01T00:00:00.000Z' }), // 6 expired by June
      await sign({
        uri: post(B, '3'),
        val: 'new',
        exp: '2099-01-01T00:00:00.000Z',
        cid: 'bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a',
      }), // 7
    ])
  })
  afterAll(async () => {
    await store.close()
  })

  it('gives consecutive seqs and replays them byte-exact (signatures still verify)', async () => {
    expect(await store.latestSeq()).toBe(7)
    const all = await store.since(0, 100)
    expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7])
    for (const e of all)
      expect(verifyLabelWithKey(e.label, key.did(), { checkExpiry: false }).valid).toBe(true)
    expect(all[4]?.label.neg).toBe(true)
    expect(all[6]?.label.cid).toBe('bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a')
    expect((await store.since(5, 1)).map((e) => e.seq)).toEqual([6])
    expect(await store.since(7, 10)).toEqual([])
  })

  it('queries current labels by exact URI, prefix, source; hides expired; a negation replaces its label', async () => {
    const vals = async (s: string) =>
      (await store.query(q(s))).labels.map((e) => `${e.seq}:${e.label.val}${e.label.neg ? '-' : ''}`)
    expect(await vals(`uriPatterns=${encodeURIComponent(post(A, '1'))}`)).toEqual(['5:spam-'])
    expect(await vals(`uriPatterns=${encodeURIComponent(`at://${A}/*`)}`)).toEqual(['2:rude', '5:spam-'])
    expect(await vals(`uriPatterns=${encodeURIComponent(A)}`)).toEqual(['3:!hide'])
    expect(await vals(`uriPatterns=${encodeURIComponent(`${A}*`)}`)).toEqual(['3:!hide'])
    expect(await vals('uriPatterns=*')).toEqual(['2:rude', '3:!hide', '4:spam', '5:spam-', '7:new'])
    expect(await vals(`uriPatterns=*&sources=${OTHER}`)).toEqual(['4:spam'])
    expect(await vals(`uriPatterns=*&sources=${OTHER}&sources=${SRC}`)).toHaveLength(5)
    // a prefix is literal text: % and _ are not wildcards
    expect(await vals('uriPatterns=at%3A%2F%2Fdid%3Aplc%3A%25*')).toEqual([])
  })

  it('pages with limit and cursor', async () => {
    const p1 = await store.query(q('uriPatterns=*&limit=2'))
    expect(p1.labels.map((e) => e.seq)).toEqual([2, 3])
    expect(p1.cursor).toBe(3)
    const p2 = await store.query(q('uriPatterns=*&limit=2&cursor=3'))
    expect(p2.labels.map((e) => e.seq)).toEqual([4, 5])
    const p3 = await store.query(q('uriPatterns=*&limit=2&cursor=5'))
    expect(p3.labels.map((e) => e.seq)).toEqual([7])
    expect(p3.cursor).toBeUndefined()
  })

  it('prunes superseded events below a seq and remembers the window', async () => {
    expect(await store.prunedBefore()).toBe(0)
    await store.prune(6)
    expect(await store.prunedBefore()).toBe(6)
    expect((await store.since(0, 100)).map((e) => e.seq)).toEqual([2, 3, 4, 5, 6, 7])
    expect(await store.latestSeq()).toBe(7)
  })
})
