// The statements of a Postgres backfill transaction, as text for simple queries (values as escaped
// literals: a simple query of several statements takes no parameters). One transaction writes one
// repository or a group of small ones; its repositories are always listed in DID order, so two
// transactions locking overlapping sets of repository rows take the locks in the same order.
import type { Cid } from '@rsky/dag-cbor'
import pg from 'pg'
import { MirrorError } from './errors.ts'
import type { Fence } from './live-batch.ts'
import { fenceStatement } from './postgres-leases.ts'

/** A repository of a backfill transaction: what its row says once the records are in. */
export interface BackfillTarget {
  did: string
  rev: string
}

/** The repository row's new state after the buffered commits (if any) were applied. */
export interface BackfillState {
  did: string
  phase: 'active' | 'pending'
  rev: string
  data: Cid
}

/**
 * Marks the error a fast transaction raises when a repository has buffered live commits: it is
 * rolled back and written again the general way (the buffer is read and applied).
 */
export const BUFFERED_MARKER = 'mirror: live commits buffered'

/** Whether `err` is the fast transaction's deliberate failure on buffered commits. */
export function isBufferedMarker(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null
  return (
    typeof e?.message === 'string' &&
    e.code === '22P02' && // invalid_text_representation: the marker cast to integer
    e.message.includes(BUFFERED_MARKER)
  )
}

/** An escaped literal; refuses a NUL character (a simple query's text cannot hold one). */
export function literal(s: string, did: string): string {
  if (s.includes('\u0000'))
    throw new MirrorError('BAD_REPO', 'a value to store holds a NUL character', {
      did: did.replace(/\0/g, '\\0'),
    })
  return pg.escapeLiteral(s)
}

function didList(targets: readonly BackfillTarget[]): string {
  return targets.map((t) => literal(t.did, t.did)).join(', ')
}

/** Where the statements whose rows the caller reads stand among the results. */
export interface OpenLayout {
  /** Index of the lease rows (-1 without a fence). */
  fence: number
  /** Index of the buffered commits (-1 in a fast transaction, which fails instead). */
  buffer: number
}

/**
 * The opening statements: BEGIN, commit without waiting for the WAL flush (a backfill can be
 * fetched again: a crash of the server may lose the last ones, whole and in commit order, and
 * those repositories are simply pending again), the lease check, the repository rows locked (the
 * buffer cannot change once they are: live commits lock them too), their records cleared, and their
 * buffered commits read, or, in a `fast` transaction, an error raised if there are any.
 */
export function openStatements(
  targets: readonly BackfillTarget[],
  opts: { fast: boolean; fence?: { fence: Fence; partitions: readonly number[] } },
): { sql: string[]; layout: OpenLayout } {
  const dids = didList(targets)
  const sql = ['BEGIN', 'SET LOCAL synchronous_commit TO OFF']
  let fence = -1
  if (opts.fence !== undefined && opts.fence.partitions.length > 0) {
    fence = sql.length
    sql.push(fenceStatement(opts.fence.fence, opts.fence.partitions, pg.escapeLiteral))
  }
  sql.push(`SELECT 1 FROM mirror_repo WHERE did IN (${dids}) ORDER BY did FOR UPDATE`)
  sql.push(`DELETE FROM mirror_record WHERE did IN (${dids})`)
  let buffer = -1
  if (opts.fast)
    sql.push(
      `SELECT (${literal(`${BUFFERED_MARKER}; did=`, '')} || did)::int FROM mirror_buffer WHERE did IN (${dids}) LIMIT 1`,
    )
  else {
    buffer = sql.length
    sql.push(
      `SELECT did, seq, encode(body, 'hex') FROM mirror_buffer WHERE did IN (${dids}) ORDER BY did, seq`,
    )
  }
  return { sql, layout: { fence, buffer } }
}

/** The change feed of repositories written whole: each one's `reset`, then its records in key order. */
export function feedStatement(targets: readonly BackfillTarget[]): string {
  const values = targets.map((t) => `(${literal(t.did, t.did)}, ${literal(t.rev, t.did)})`).join(', ')
  return `INSERT INTO mirror_change (did, collection, rkey, action, cid, rev)
    SELECT d, c, r, a, cid, rev FROM (
      SELECT 0 AS k, t.did AS d, ''::text AS c, ''::text AS r, 'reset'::text AS a, NULL::text AS cid, t.rev
        FROM (VALUES ${values}) AS t (did, rev)
      UNION ALL SELECT 1, m.did, m.collection, m.rkey, 'create', m.cid, t.rev
        FROM (VALUES ${values}) AS t (did, rev) JOIN mirror_record m ON m.did = t.did
    ) x ORDER BY d COLLATE "C", k, c COLLATE "C", r COLLATE "C"`
}

/** The repository rows' new state: synchronized, attempts and reason cleared. */
export function stateStatement(states: readonly BackfillState[]): string {
  const values = states
    .map(
      (s) =>
        `(${literal(s.did, s.did)}, ${literal(s.phase, s.did)}, ${literal(s.rev, s.did)}, ${literal(s.data.toString(), s.did)})`,
    )
    .join(', ')
  return `UPDATE mirror_repo r SET phase = t.phase, rev = t.rev, data = t.data, sync_status = 'synchronized',
    attempts = 0, reason = NULL, retry_at = 0 FROM (VALUES ${values}) AS t (did, phase, rev, data) WHERE r.did = t.did`
}

/** The buffered commits read by {@link openStatements}, per DID in seq order. */
export function bufferedRows(
  rows: readonly (readonly (string | null)[])[],
): Map<string, { seq: number; body: Uint8Array }[]> {
  const out = new Map<string, { seq: number; body: Uint8Array }[]>()
  for (const [did, seq, hex] of rows) {
    const list = out.get(did as string) ?? []
    const body = Buffer.from(hex as string, 'hex')
    list.push({ seq: Number(seq), body: new Uint8Array(body.buffer, body.byteOffset, body.length) })
    out.set(did as string, list)
  }
  return out
}
