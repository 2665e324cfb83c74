// A run of live commits on Postgres in one transaction with few round trips: the repository rows
// are locked in one statement, each commit is decided against the chain in stream order in memory
// (exactly as one `applyCommit` at a time would), and the writes go out set-based.
import type { Cid } from '@rsky/dag-cbor'
import type pg from 'pg'
import { chainStep } from './chain.ts'
import { encodePreparedCommit } from './commit-codec.ts'
import type { LiveBatch } from './live-batch.ts'
import type { ApplyOutcome } from './store.ts'
import type { PreparedCommit } from './types.ts'

interface Held {
  phase: string
  rev: string | undefined
  data: Cid | undefined
  /** `data` as stored, compared as text (no CID parse per commit). */
  dataText: string | undefined
  /** The chain moved in this batch: write rev/data/seq back. */
  moved: boolean
  seq: number
}

const PUT = 1
const DEL = 2

/**
 * Every write of a run in one statement (data-modifying CTEs, each a no-op on empty arrays):
 * records deleted and put, repository rows moved along the chain and/or sent back to pending,
 * commits buffered, cursors set.
 */
const LIVE_WRITE = `WITH
  del AS (
    DELETE FROM mirror_record r USING unnest($1::text[], $2::text[], $3::text[]) AS t (d, c, k)
    WHERE r.did = t.d AND r.collection = t.c AND r.rkey = t.k),
  put AS (
    INSERT INTO mirror_record (did, collection, rkey, cid, value)
    SELECT * FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[])
    ON CONFLICT (did, collection, rkey) DO UPDATE SET cid = excluded.cid, value = excluded.value),
  repo AS (
    UPDATE mirror_repo r SET
      rev = coalesce(t.rev, r.rev), data = coalesce(t.data, r.data), seq = coalesce(t.seq, r.seq),
      phase = CASE WHEN t.pending THEN 'pending' ELSE r.phase END,
      retry_at = CASE WHEN t.pending THEN 0 ELSE r.retry_at END
    FROM unnest($9::text[], $10::text[], $11::text[], $12::bigint[], $13::boolean[])
      AS t (did, rev, data, seq, pending)
    WHERE r.did = t.did),
  buf AS (
    INSERT INTO mirror_buffer (did, seq, body) SELECT * FROM unnest($14::text[], $15::bigint[], $16::bytea[])
    ON CONFLICT DO NOTHING),
  cur AS (
    INSERT INTO mirror_cursor (stream, seq) SELECT * FROM unnest($17::text[], $18::bigint[])
    ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq)
SELECT 1`

/** Applies `batch` on `c` (inside a transaction the caller owns); outcomes in commit order. */
export async function applyLiveBatch(
  c: pg.PoolClient,
  batch: LiveBatch,
  changeFeed: boolean,
): Promise<ApplyOutcome[]> {
  const out: ApplyOutcome[] = []
  const commits = batch.commits
  const dids = [...new Set(commits.map((x) => x.did))].sort()
  const held = new Map<string, Held>()
  if (dids.length > 0) {
    // sorted, so two transactions locking overlapping sets never deadlock
    const r = await c.query<{ did: string; phase: string; rev: string | null; data: string | null }>(
      'SELECT did, phase, rev, data FROM mirror_repo WHERE did = ANY($1::text[]) ORDER BY did FOR UPDATE',
      [dids],
    )
    for (const row of r.rows)
      held.set(row.did, {
        phase: row.phase,
        rev: row.rev ?? undefined,
        data: undefined,
        dataText: row.data ?? undefined,
        moved: false,
        seq: 0,
      })
  }
  // the last change of each record path, in first-seen order
  const paths = new Map<
    string,
    { did: string; collection: string; rkey: string; kind: number; cid: string; value: Buffer | null }
  >()
  const buffered: PreparedCommit[] = []
  const toPending = new Set<string>()
  const feed: {
    did: string
    collection: string
    rkey: string
    action: string
    cid: string | null
    rev: string
  }[] = []
  for (const commit of commits) {
    const h = held.get(commit.did)
    if (h === undefined || h.phase === 'parked' || h.phase === 'deleted') {
      out.push('ignored')
      continue
    }
    if (h.phase === 'pending') {
      buffered.push(commit)
      out.push('buffered')
      continue
    }
    const step = stepOf(h, commit)
    if (step === 'stale') {
      out.push('stale')
      continue
    }
    if (step === 'break') {
      buffered.push(commit)
      toPending.add(commit.did)
      h.phase = 'pending'
      out.push('chain-break')
      continue
    }
    for (const ch of commit.changes) {
      const key = `${commit.did}\u0000${ch.collection}\u0000${ch.rkey}`
      paths.delete(key)
      if (ch.action === 'delete')
        paths.set(key, {
          did: commit.did,
          collection: ch.collection,
          rkey: ch.rkey,
          kind: DEL,
          cid: '',
          value: null,
        })
      else {
        const rec = ch.record as Uint8Array
        paths.set(key, {
          did: commit.did,
          collection: ch.collection,
          rkey: ch.rkey,
          kind: PUT,
          cid: (ch.cid as Cid).toString(),
          value: Buffer.from(rec.buffer, rec.byteOffset, rec.byteLength),
        })
      }
      if (changeFeed)
        feed.push({
          did: commit.did,
          collection: ch.collection,
          rkey: ch.rkey,
          action: ch.action,
          cid: ch.cid?.toString() ?? null,
          rev: commit.rev,
        })
    }
    h.rev = commit.rev
    h.data = commit.data
    h.dataText = undefined
    h.moved = true
    h.seq = commit.seq
    out.push('applied')
  }

  const dels = [...paths.values()].filter((p) => p.kind === DEL)
  const puts = [...paths.values()].filter((p) => p.kind === PUT)
  // repository rows to write back: the chain moved, or it broke (back to pending), or both
  const repos = [...held].filter(([did, h]) => h.moved || toPending.has(did))
  const cursors = new Map<string, number>()
  for (const cur of batch.cursors) cursors.set(cur.stream, cur.seq)
  // one statement for every write of the run (one round trip); no row is written twice in it: a
  // record path is either deleted or put, a repository row updated once
  await c.query({
    name: 'rsky-mirror-live-write',
    text: LIVE_WRITE,
    values: [
      dels.map((p) => p.did),
      dels.map((p) => p.collection),
      dels.map((p) => p.rkey),
      puts.map((p) => p.did),
      puts.map((p) => p.collection),
      puts.map((p) => p.rkey),
      puts.map((p) => p.cid),
      puts.map((p) => p.value),
      repos.map(([d]) => d),
      repos.map(([, h]) => (h.moved ? h.rev : null)),
      repos.map(([, h]) => (h.moved ? (h.data as Cid).toString() : null)),
      repos.map(([, h]) => (h.moved ? h.seq : null)),
      repos.map(([d]) => toPending.has(d)),
      buffered.map((b) => b.did),
      buffered.map((b) => b.seq),
      buffered.map((b) => Buffer.from(encodePreparedCommit(b))),
      [...cursors.keys()],
      [...cursors.values()],
    ],
  })
  if (feed.length > 0)
    await c.query(
      `INSERT INTO mirror_change (did, collection, rkey, action, cid, rev)
       SELECT d, c, k, a, i, r FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
         WITH ORDINALITY AS t (d, c, k, a, i, r, n) ORDER BY n`,
      [
        feed.map((f) => f.did),
        feed.map((f) => f.collection),
        feed.map((f) => f.rkey),
        feed.map((f) => f.action),
        feed.map((f) => f.cid),
        feed.map((f) => f.rev),
      ],
    )
  return out
}

/** {@link chainStep} against a held row, comparing the stored tree root as text. */
function stepOf(h: Held, commit: PreparedCommit): 'stale' | 'follows' | 'break' {
  if (h.rev !== undefined && commit.rev <= h.rev) return 'stale'
  if (h.data !== undefined) return chainStep({ rev: h.rev, data: h.data }, commit)
  if (h.rev === undefined || h.dataText === undefined) return 'break'
  return commit.since === h.rev && commit.prevData.toString() === h.dataText ? 'follows' : 'break'
}
