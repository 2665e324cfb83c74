// The lease tables of Postgres: which engine holds which partition, until when, with which fencing
// token. Times come from the database clock, so engines on machines with skewed clocks agree.
import type pg from 'pg'
import { MirrorError } from './errors.ts'
import type { LeaseClaim, LeaseInfo } from './leases.ts'
import type { Fence } from './live-batch.ts'

type Db = pg.Pool | pg.PoolClient

/** Milliseconds since the epoch on the database server. */
const NOW = '(extract(epoch from clock_timestamp()) * 1000)::bigint'

/** The lease tables (documented in the README). */
export const POSTGRES_LEASE_SCHEMA = `
CREATE TABLE IF NOT EXISTS mirror_lease (
  lease_group text NOT NULL,
  partition integer NOT NULL,
  owner text,
  token bigint NOT NULL DEFAULT 0,
  expires bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (lease_group, partition)
);
CREATE TABLE IF NOT EXISTS mirror_engine (
  lease_group text NOT NULL,
  owner text NOT NULL,
  expires bigint NOT NULL,
  PRIMARY KEY (lease_group, owner)
);
`

/** Marks this engine alive until now + ttl; returns how many engines of the group are alive. */
export async function heartbeat(db: Db, o: { group: string; owner: string; ttlMs: number }): Promise<number> {
  await db.query(
    `INSERT INTO mirror_engine (lease_group, owner, expires) VALUES ($1, $2, ${NOW} + $3)
     ON CONFLICT (lease_group, owner) DO UPDATE SET expires = excluded.expires`,
    [o.group, o.owner, o.ttlMs],
  )
  const r = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM mirror_engine WHERE lease_group = $1 AND expires > ${NOW}`,
    [o.group],
  )
  return r.rows[0]?.n ?? 1
}

/**
 * Claims up to `want` free or expired partitions. A claimed partition whose cursor was never
 * written (its last owner died before applying any event) has its active repositories sent back to
 * pending: the new owner cannot know where the stream stood for them, so it backfills them again.
 */
export async function claim(
  c: pg.PoolClient,
  o: {
    group: string
    owner: string
    count: number
    want: number
    ttlMs: number
    cursorStream: (partition: number) => string
  },
): Promise<LeaseClaim[]> {
  if (o.want <= 0) return []
  await c.query(
    `INSERT INTO mirror_lease (lease_group, partition)
     SELECT $1, p FROM generate_series(0, $2::int - 1) AS p ON CONFLICT DO NOTHING`,
    [o.group, o.count],
  )
  const r = await c.query<{ partition: number; token: number }>(
    `UPDATE mirror_lease l SET owner = $2, token = l.token + 1, expires = ${NOW} + $3
     WHERE l.lease_group = $1 AND l.partition IN (
       SELECT partition FROM mirror_lease
       WHERE lease_group = $1 AND partition < $5 AND (owner IS NULL OR expires < ${NOW})
       ORDER BY partition LIMIT $4 FOR UPDATE SKIP LOCKED)
     RETURNING l.partition, l.token`,
    [o.group, o.owner, o.ttlMs, o.want, o.count],
  )
  if (r.rows.length === 0) return []
  const streams = r.rows.map((row) => o.cursorStream(row.partition))
  const withCursor = new Set(
    (
      await c.query<{ stream: string }>('SELECT stream FROM mirror_cursor WHERE stream = ANY($1::text[])', [
        streams,
      ])
    ).rows.map((row) => row.stream),
  )
  const out: LeaseClaim[] = r.rows.map((row) => ({
    partition: row.partition,
    token: Number(row.token),
    fresh: !withCursor.has(o.cursorStream(row.partition)),
  }))
  const fresh = out.filter((x) => x.fresh).map((x) => x.partition)
  if (fresh.length > 0)
    await c.query(
      `UPDATE mirror_repo SET phase = 'pending', retry_at = 0
       WHERE phase = 'active' AND hash % $1 = ANY($2::int[])`,
      [o.count, fresh],
    )
  return out
}

/** Extends the leases still held with the same token; returns their partitions. */
export async function renew(
  db: Db,
  o: { group: string; owner: string; tokens: ReadonlyMap<number, number>; ttlMs: number },
): Promise<number[]> {
  if (o.tokens.size === 0) return []
  const r = await db.query<{ partition: number }>(
    `UPDATE mirror_lease l SET expires = ${NOW} + $3
     FROM unnest($4::int[], $5::bigint[]) AS t (p, tok)
     WHERE l.lease_group = $1 AND l.owner = $2 AND l.partition = t.p AND l.token = t.tok
     RETURNING l.partition`,
    [o.group, o.owner, o.ttlMs, [...o.tokens.keys()], [...o.tokens.values()]],
  )
  return r.rows.map((row) => row.partition)
}

/** Clears the rows of leases this engine gives back (only where it still holds them). */
export async function release(
  db: Db,
  o: { group: string; owner: string; tokens: ReadonlyMap<number, number> },
): Promise<void> {
  if (o.tokens.size === 0) return
  await db.query(
    `UPDATE mirror_lease l SET owner = NULL, expires = 0
     FROM unnest($3::int[], $4::bigint[]) AS t (p, tok)
     WHERE l.lease_group = $1 AND l.owner = $2 AND l.partition = t.p AND l.token = t.tok`,
    [o.group, o.owner, [...o.tokens.keys()], [...o.tokens.values()]],
  )
}

/** Removes the engine's liveness row (it stops). */
export async function leave(db: Db, o: { group: string; owner: string }): Promise<void> {
  await db.query('DELETE FROM mirror_engine WHERE lease_group = $1 AND owner = $2', [o.group, o.owner])
}

/** Every lease row, with whether it is live by the database clock. */
export async function list(db: Db): Promise<LeaseInfo[]> {
  const r = await db.query<{
    lease_group: string
    partition: number
    owner: string | null
    token: number
    expires: number
    now: number
  }>(`SELECT *, ${NOW} AS now FROM mirror_lease ORDER BY lease_group, partition`)
  return r.rows.map((row) => ({
    group: row.lease_group,
    partition: row.partition,
    owner: row.owner ?? undefined,
    token: Number(row.token),
    expiresInMs: row.owner === null ? 0 : Math.max(0, Number(row.expires) - Number(row.now)),
  }))
}

/**
 * The fence check inside a write transaction: the rows of `partitions` must still name the
 * fence's owner with its tokens. They are share-locked until the transaction ends, so a takeover
 * (an UPDATE of the row) waits for this write and then sees it.
 * @throws MirrorError `LEASE_LOST` (the caller rolls back: nothing is written)
 */
export async function checkFence(
  c: pg.PoolClient,
  fence: Fence,
  partitions: readonly number[],
): Promise<void> {
  if (partitions.length === 0) return
  const r = await c.query<{ partition: number; token: number }>(
    `SELECT partition, token FROM mirror_lease
     WHERE lease_group = $1 AND owner = $2 AND partition = ANY($3::int[]) FOR SHARE`,
    [fence.group, fence.owner, partitions],
  )
  checkFenceRows(
    fence,
    partitions,
    r.rows.map((row) => [row.partition, row.token]),
  )
}

/**
 * The statement of {@link checkFence} as text (values as escaped literals), for a transaction that
 * sends it with others in one round trip; its rows go to {@link checkFenceRows}.
 */
export function fenceStatement(
  fence: Fence,
  partitions: readonly number[],
  literal: (s: string) => string,
): string {
  return `SELECT partition, token FROM mirror_lease WHERE lease_group = ${literal(fence.group)}
    AND owner = ${literal(fence.owner)} AND partition IN (${partitions.map((p) => String(p | 0)).join(', ')}) FOR SHARE`
}

/**
 * Whether the lease rows read (partition, token) still hold every partition of `partitions`.
 * @throws MirrorError `LEASE_LOST`
 */
export function checkFenceRows(
  fence: Fence,
  partitions: readonly number[],
  rows: readonly (readonly [number | string | null, number | string | null])[],
): void {
  const held = new Map(rows.map(([p, token]) => [Number(p), Number(token)]))
  for (const p of partitions)
    if (held.get(p) !== fence.tokens.get(p))
      throw new MirrorError(
        'LEASE_LOST',
        `lease no longer held; partition=${p} owner=${fence.owner} token=${fence.tokens.get(p)}`,
      )
}
