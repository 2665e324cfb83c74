// queryLabels on the SQLite and Postgres stores against a plain model on fast-check inputs: the newest label per
// (src, uri, val) in seq order, filtered by exact/prefix patterns and sources, expired ones hidden,
// paged with limit and cursor until the pages cover the whole answer exactly once.
import { Secp256k1Keypair } from '@rsky/crypto'
import { type SignedLabel, signLabel } from '@rsky/label'
import { createTestDatabase } from '@rsky/test-vectors'
import fc from 'fast-check'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { PostgresLabelStore } from '../src/store/postgres.ts'
import { SqliteLabelStore } from '../src/store/sqlite.ts'
import type { LabelQuery, LabelStore } from '../src/store/types.ts'

const key = Secp256k1Keypair.import('9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c')
const SRCS = ['did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb']
const URIS = [
  'did:plc:cccccccccccccccccccccccc',
  'at://did:plc:cccccccccccccccccccccccc/app.bsky.feed.post/1',
  'at://did:plc:cccccccccccccccccccccccc/app.bsky.feed.post/2',
  'at://did:plc:dddddddddddddddddddddddd/app.bsky.feed.like/1',
  'at://did:plc:d_d%dddddddddddddddddddddd/app.bsky.feed.post/1',
]
const NOW = Date.parse('2024-06-01T00:00:00Z')
// Signing is the slow part: one signature per distinct label shape, reused.
const cache = new Map<string, SignedLabel>()
async function label(src: number, uri: number, val: number, neg: boolean, exp: number): Promise<SignedLabel> {
  const k = `${src}|${uri}|${val}|${neg}|${exp}`
  let l = cache.get(k)
  if (!l) {
    const expAt = exp === 0 ? undefined : exp === 1 ? '2024-01-01T00:00:00.000Z' : '2099-01-01T00:00:00.000Z'
    l = await signLabel(
      {
        src: SRCS[src] as string,
        uri: URIS[uri] as string,
        val: `v${val}`,
        neg,
        exp: expAt,
        cts: '2024-01-01T00:00:00.000Z',
      },
      key,
    )
    cache.set(k, l)
  }
  return l
}

const arbOp = fc.tuple(
  fc.integer({ min: 0, max: 1 }),
  fc.integer({ min: 0, max: URIS.length - 1 }),
  fc.integer({ min: 0, max: 2 }),
  fc.boolean(),
  fc.integer({ min: 0, max: 2 }),
)
const PREFIXES = ['', 'at://', 'at://did:plc:c', 'did:', 'at://did:plc:d_d%', 'at://did:plc:d%', 'x']

interface Backend {
  name: string
  runs: number
  setup(): Promise<{ fresh(): Promise<LabelStore>; done(): Promise<void> }>
}
const backends: Backend[] = [
  {
    name: 'sqlite',
    runs: 150,
    async setup() {
      return { fresh: async () => SqliteLabelStore.open(':memory:'), done: async () => {} }
    },
  },
  {
    name: 'postgres',
    runs: 40,
    async setup() {
      const db = await createTestDatabase('rsky_labeler_model')
      const admin = new pg.Client({ connectionString: db.url })
      await admin.connect()
      let store: PostgresLabelStore | undefined
      return {
        async fresh() {
          store ??= await PostgresLabelStore.open({ url: db.url })
          await admin.query('truncate label_event, label_current restart identity')
          // the store is shared across runs: closing it is left to done()
          return { ...wrap(store), close: async () => {} }
        },
        async done() {
          await store?.close()
          await admin.end()
          await db.drop()
        },
      }
    },
  },
]

function wrap(store: LabelStore): LabelStore {
  return {
    append: (l) => store.append(l),
    since: (a, n) => store.since(a, n),
    latestSeq: () => store.latestSeq(),
    prunedBefore: () => store.prunedBefore(),
    prune: (s) => store.prune(s),
    query: (q) => store.query(q),
    close: () => store.close(),
  }
}

describe.each(backends)('queryLabels against a model ($name)', (backend) => {
  it('matches the model for random label histories and queries', async () => {
    const env = await backend.setup()
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(arbOp, { maxLength: 30 }),
          fc.subarray(URIS.map((_, i) => i)),
          fc.subarray(PREFIXES),
          fc.subarray([0, 1]),
          fc.integer({ min: 1, max: 7 }),
          async (ops, exactIdx, prefixes, srcIdx, limit) => {
            const store = await env.fresh()
            try {
              const labels = await Promise.all(ops.map((o) => label(...o)))
              const events = await store.append(labels)
              // the model
              const current = new Map<string, (typeof events)[number]>()
              for (const e of events) current.set(`${e.label.src} ${e.label.uri} ${e.label.val}`, e)
              const exact = exactIdx.map((i) => URIS[i] as string)
              const sources = srcIdx.map((i) => SRCS[i] as string)
              const want = [...current.values()]
                .filter((e) => exact.includes(e.label.uri) || prefixes.some((p) => e.label.uri.startsWith(p)))
                .filter((e) => sources.length === 0 || sources.includes(e.label.src))
                .filter((e) => e.label.exp === undefined || Date.parse(e.label.exp) > NOW)
                .sort((a, b) => a.seq - b.seq)
                .map((e) => e.seq)
              // paging through the store
              const got: number[] = []
              let after = 0
              for (let page = 0; page < 50; page++) {
                const q: LabelQuery = { exact, prefixes, sources, limit, after, now: NOW }
                const r = await store.query(q)
                got.push(...r.labels.map((e) => e.seq))
                if (r.cursor === undefined) break
                after = r.cursor
              }
              expect(got).toEqual(want)
            } finally {
              await store.close()
            }
          },
        ),
        { seed: 1414, numRuns: backend.runs },
      )
    } finally {
      await env.done()
    }
  })
})
