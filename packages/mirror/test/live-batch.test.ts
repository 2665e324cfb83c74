// Group commit: a seeded stream of live commits (creates, updates, deletes of the same paths close
// together, replays, chain breaks, a repository still backfilling) applied one transaction per
// commit and in runs of random length must leave both stores in the same state, with the same
// outcome for every commit.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Cid, cidForCbor, cidForRaw } from '@rsky/dag-cbor'
import { createTestDatabase, type TestDatabase } from '@rsky/test-vectors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type ApplyOutcome,
  type MirrorStore,
  PostgresMirrorStore,
  type PreparedCommit,
  SqliteMirrorStore,
} from '../src/index.ts'
import type { LiveBatch } from '../src/live-batch.ts'

type LiveStore = MirrorStore & { applyLive(b: LiveBatch): Promise<ApplyOutcome[]> | ApplyOutcome[] }

function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const enc = new TextEncoder()
const DIDS = Array.from({ length: 6 }, (_, i) => `did:plc:batch${String(i).padStart(19, '0')}`)

/** The stream, and the state each repository starts from. */
function stream(
  seed: number,
  n: number,
): { start: Map<string, { rev: string; data: Cid }>; commits: PreparedCommit[] } {
  const rand = rng(seed)
  const head = new Map<string, { rev: number; data: Cid; sent: PreparedCommit[] }>()
  const start = new Map<string, { rev: string; data: Cid }>()
  for (const did of DIDS) {
    const data = cidForRaw(enc.encode(`${did} 0`))
    head.set(did, { rev: 100, data, sent: [] })
    start.set(did, { rev: rev(100), data })
  }
  const commits: PreparedCommit[] = []
  for (let seq = 1; seq <= n; seq++) {
    const did = DIDS[Math.floor(rand() * DIDS.length)] as string
    const h = head.get(did) as { rev: number; data: Cid; sent: PreparedCommit[] }
    const roll = rand()
    if (roll < 0.08 && h.sent.length > 0) {
      // a replay of an earlier commit (a reconnect): stale
      commits.push({ ...(h.sent[Math.floor(rand() * h.sent.length)] as PreparedCommit), seq })
      continue
    }
    const next = h.rev + 1 + Math.floor(rand() * 3)
    const data = cidForRaw(enc.encode(`${did} ${next}`))
    // now and then a commit that does not follow (a chain break)
    const prevData = roll < 0.12 ? cidForRaw(enc.encode('elsewhere')) : h.data
    const changes = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => {
      const rkey = `k${Math.floor(rand() * 8)}`
      if (rand() < 0.3)
        return { action: 'delete' as const, collection: 'app.test.a', rkey, cid: null, record: null }
      const record = enc.encode(`${did} ${rkey} ${seq} ${rand()}`)
      return { action: 'update' as const, collection: 'app.test.a', rkey, cid: cidForCbor(record), record }
    })
    const c: PreparedCommit = { seq, did, rev: rev(next), since: rev(h.rev), data, prevData, changes }
    commits.push(c)
    h.sent.push(c)
    h.rev = next
    h.data = data
  }
  return { start, commits }
}

function rev(n: number): string {
  return `3l${String(n).padStart(11, '0')}`
}

async function seed(store: MirrorStore, start: Map<string, { rev: string; data: Cid }>): Promise<void> {
  const [pendingDid, ...rest] = DIDS
  await store.commit({
    repos: rest.map((did) => ({
      did,
      state: { ...(start.get(did) as { rev: string; data: Cid }), status: 'synchronized' as const },
    })),
  })
  // the first repository is still backfilling: its commits are buffered
  await store.addRepos([pendingDid as string])
}

async function snapshot(store: MirrorStore): Promise<unknown> {
  const records: string[] = []
  for await (const r of store.records()) {
    const v = await store.getRecord(r.did, r.collection, r.rkey)
    records.push(`${r.did} ${r.collection}/${r.rkey} ${r.cid} ${Buffer.from(v?.value ?? []).toString('hex')}`)
  }
  const repos = []
  for (const did of DIDS) {
    const r = await store.mirrorRepo(did)
    repos.push([did, r?.phase, r?.rev, r?.data?.toString()])
  }
  const s = await store.status('s')
  return { records, repos, cursor: s.cursor, buffered: s.buffered }
}

async function compare(open: (name: string) => Promise<LiveStore>, seedNo: number): Promise<void> {
  const { start, commits } = stream(seedNo, 400)
  const one = await open('one')
  const grouped = await open('grouped')
  try {
    await seed(one, start)
    await seed(grouped, start)
    const want: ApplyOutcome[] = []
    for (const c of commits) want.push(await one.applyCommit(c, 's'))
    const got: ApplyOutcome[] = []
    const rand = rng(seedNo + 1)
    for (let i = 0; i < commits.length; ) {
      const run = commits.slice(i, i + 1 + Math.floor(rand() * 40))
      i += run.length
      got.push(
        ...(await grouped.applyLive({
          commits: run,
          cursors: [{ stream: 's', seq: (run.at(-1) as PreparedCommit).seq }],
        })),
      )
    }
    expect(got).toEqual(want)
    expect(new Set(want)).toEqual(new Set(['applied', 'buffered', 'stale', 'chain-break']))
    expect(await snapshot(grouped)).toEqual(await snapshot(one))
  } finally {
    await one.close()
    await grouped.close()
  }
}

let dir: string
let db: TestDatabase
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rsky-mirror-batch-'))
  db = await createTestDatabase('rsky_mirror_batch')
})
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await db?.drop()
})

describe('applyLive (group commit) equals one applyCommit per commit', () => {
  it('on SQLite', async () => {
    for (const s of [1, 2, 3])
      await compare(async (name) => SqliteMirrorStore.open(join(dir, `${name}-${s}.db`)), s)
  })
  it('on Postgres', async () => {
    const extra: TestDatabase[] = []
    try {
      for (const s of [1, 2]) {
        await compare(async () => {
          const d = await createTestDatabase('rsky_mirror_batch')
          extra.push(d)
          return PostgresMirrorStore.connect(d.url, { maxConnections: 2 })
        }, s)
      }
    } finally {
      for (const d of extra) await d.drop()
    }
  })
})
