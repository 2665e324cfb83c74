// Writing Postgres backfills: a verified repository replaces what is held of it and the live
// commits buffered meanwhile are applied, in one transaction.
//
// A small repository (most of them) is encoded whole first, which also checks every record, so a
// bad one is refused before anything is sent; it is written alone or with others that finished at
// about the same time (postgres-backfill-group.ts): one transaction, one COPY, and without a hook or
// a lease fence one round trip (the statements, the COPY's data and COMMIT in one socket write; see
// postgres-pipeline.ts). A large repository streams through COPY in its own transaction, in bounded
// memory.
import type { Cid } from '@rsky/dag-cbor'
import type pg from 'pg'
import { APP_CHANGE_CHUNK, type AppChange, resetChange, snapshotChange } from './app-changes.ts'
import { drainBuffered, drainTally } from './buffered-drain.ts'
import { type Fence, fencedPartitions } from './live-batch.ts'
import {
  type BackfillState,
  type BackfillTarget,
  bufferedRows,
  feedStatement,
  isBufferedMarker,
  literal,
  type OpenLayout,
  openStatements,
  stateStatement,
} from './postgres-backfill-sql.ts'
import {
  COPY_HEADER,
  COPY_RECORDS,
  COPY_TRAILER,
  copyRecords,
  type EncodedRows,
  encodeRows,
} from './postgres-copy.ts'
import { checkFenceRows } from './postgres-leases.ts'
import { runPipelined, type StatementResult } from './postgres-pipeline.ts'
import type { RecordRow } from './sqlite-backfill.ts'
import type { BackfilledRepo, DrainResult, RecordChange } from './types.ts'

type Client = pg.PoolClient

/** A repository whose COPY rows are encoded past this many bytes streams in its own transaction. */
export const SMALL_REPO_BYTES: number = 1024 * 1024

/** What a {@link PostgresBackfillWriter} needs of its store. */
export interface BackfillWriterOptions {
  pool: pg.Pool
  changeFeed: boolean
  onChanges: ((client: pg.PoolClient, changes: readonly AppChange[]) => Promise<void> | void) | undefined
  /** The lease fence now (undefined without leases). */
  fence: () => Fence | undefined
}

/** A small repository, its rows encoded (COPY rows, no header or trailer). */
export interface SmallRepo extends BackfillTarget {
  data: Cid
  rows: Buffer
}

/** A connection a backfill runs its transaction on, and whether it can still be used. */
export interface Conn {
  client: Client
  broken: boolean
}

/** Whether the transaction's own queries already committed it. */
interface TxState {
  committed: boolean
}

const CLEAN: DrainResult = Object.freeze({ applied: 0, skipped: 0, chainBreak: false })

/** Writes the backfills of one store (see the file's comment). */
export class PostgresBackfillWriter {
  readonly #o: BackfillWriterOptions

  constructor(opts: BackfillWriterOptions) {
    this.#o = opts
  }

  /** The pool the writes take connections from. */
  get pool(): pg.Pool {
    return this.#o.pool
  }

  /**
   * Encodes a repository's rows up to {@link SMALL_REPO_BYTES}: the whole of a small one, the
   * head of a large one (then `rest` is set).
   * @throws MirrorError `BAD_REPO` (a bad record, or a NUL in the DID or rev), nothing sent
   */
  encode(repo: BackfilledRepo): { small: SmallRepo; rows: EncodedRows } {
    const { did, rev, data } = repo
    // checked now: the literals of a simple query cannot hold a NUL
    literal(did, did)
    literal(rev, did)
    const rows = encodeRows(did, repo.records, SMALL_REPO_BYTES)
    return { small: { did, rev, data, rows: rows.bytes }, rows }
  }

  /** `completeBackfill`: one repository, in its own transaction on a connection of the pool. */
  async complete(repo: BackfilledRepo): Promise<DrainResult> {
    const { small, rows } = this.encode(repo)
    if (rows.rest !== undefined) return this.streamed(small, rows)
    return withPooled(this.#o.pool, async (conn) => (await this.writeSmall(conn, [small]))[0] as DrainResult)
  }

  /**
   * Small repositories (distinct DIDs) in one transaction on `conn`; results in their order.
   * @throws what the transaction met (it was rolled back: nothing of any of them is written)
   */
  async writeSmall(conn: Conn, group: readonly SmallRepo[]): Promise<DrainResult[]> {
    const c = conn.client
    const order = group
    group = [...group].sort((a, b) => (a.did < b.did ? -1 : a.did > b.did ? 1 : 0))
    const fence = this.#fenceOf(group)
    const copy = [COPY_HEADER, ...group.map((m) => m.rows), COPY_TRAILER]
    if (fence === undefined && this.#o.onChanges === undefined) {
      // One round trip: statements, rows and COMMIT; a repository with buffered commits fails it
      // on purpose, and the group is written again the general way.
      const { sql } = openStatements(group, { fast: true })
      sql.push(COPY_RECORDS)
      if (this.#o.changeFeed) sql.push(feedStatement(group))
      sql.push(stateStatement(group.map((m) => ({ did: m.did, phase: 'active', rev: m.rev, data: m.data }))))
      sql.push('COMMIT')
      try {
        await transaction(conn, async (tx) => {
          await runPipelined(c, sql.join(';\n'), copy)
          tx.committed = true
        })
        return order.map(() => ({ ...CLEAN }))
      } catch (err) {
        if (!isBufferedMarker(err)) throw err
      }
    }
    const out = await transaction(conn, async (tx) => {
      const open = openStatements(group, { fast: false, ...(fence === undefined ? {} : { fence }) })
      const sql = [...open.sql, COPY_RECORDS]
      if (this.#o.changeFeed) sql.push(feedStatement(group))
      const results = await runPipelined(c, sql.join(';\n'), copy)
      return this.#finish(c, tx, group, results, open.layout, fence)
    })
    // back in the callers' order
    return order.map((m) => out[group.indexOf(m)] as DrainResult)
  }

  /**
   * A repository past {@link SMALL_REPO_BYTES} (`head` from {@link encode}): its rows stream through
   * COPY in its own transaction on a connection of the pool.
   */
  streamed(target: BackfillTarget & { data: Cid }, head: EncodedRows): Promise<DrainResult> {
    const fence = this.#fenceOf([target])
    const rest = head.rest as Iterator<RecordRow>
    return withPooled(this.#o.pool, (conn) =>
      transaction(conn, async (tx) => {
        const c = conn.client
        const open = openStatements([target], { fast: false, ...(fence === undefined ? {} : { fence }) })
        const results = await runPipelined(c, open.sql.join(';\n'))
        if (fence !== undefined && open.layout.fence >= 0) checkFence(fence, results[open.layout.fence])
        // a bad record aborts the COPY and the transaction rolls back
        await copyRecords(c, target.did, { [Symbol.iterator]: () => rest }, head)
        if (this.#o.changeFeed) await c.query(feedStatement([target]))
        return (await this.#finish(c, tx, [target], results, open.layout, fence))[0] as DrainResult
      }),
    )
  }

  /** The lease fence and the partitions `targets` write in. @throws MirrorError `LEASE_LOST` */
  #fenceOf(targets: readonly BackfillTarget[]): { fence: Fence; partitions: readonly number[] } | undefined {
    const fence = this.#o.fence()
    if (fence === undefined) return undefined
    return {
      fence,
      partitions: fencedPartitions(
        fence,
        targets.map((t) => t.did),
      ),
    }
  }

  /**
   * After the records: the lease check, the buffered commits applied in order on top of each
   * backfilled state, the repository rows, and with a hook each repository's snapshot to it.
   */
  async #finish(
    c: Client,
    tx: TxState,
    targets: readonly (BackfillTarget & { data: Cid })[],
    results: readonly StatementResult[],
    layout: OpenLayout,
    fence: { fence: Fence; partitions: readonly number[] } | undefined,
  ): Promise<DrainResult[]> {
    if (fence !== undefined && layout.fence >= 0) checkFence(fence, results[layout.fence])
    const buffered = bufferedRows(results[layout.buffer]?.rows ?? [])
    const out: DrainResult[] = []
    const states: BackfillState[] = []
    for (const t of targets) {
      const drained = await this.#drain(c, t, buffered.get(t.did) ?? [])
      out.push(drained.result)
      states.push(drained.state)
    }
    const hook = this.#o.onChanges
    // Without a hook to run after it, the rows and COMMIT go in one query.
    await runPipelined(c, hook === undefined ? `${stateStatement(states)};\nCOMMIT` : stateStatement(states))
    tx.committed = hook === undefined
    if (hook !== undefined) for (const s of states) await snapshotToApp(c, hook, s.did, s.rev)
    return out
  }

  /** Applies a repository's buffered commits that follow its backfilled state, in seq order. */
  async #drain(
    c: Client,
    t: BackfillTarget & { data: Cid },
    rows: readonly { seq: number; body: Uint8Array }[],
  ): Promise<{ result: DrainResult; state: BackfillState }> {
    const tally = drainTally(t.rev, t.data)
    for (const commit of drainBuffered(tally, rows))
      await this.#applyChanges(c, t.did, commit.rev, commit.changes)
    const { held, applied, skipped, last, chainBreak } = tally
    if (last >= 0) await c.query('DELETE FROM mirror_buffer WHERE did = $1 AND seq <= $2', [t.did, last])
    return {
      result: { applied, skipped, chainBreak },
      // it started from the backfilled rev and data, and only ever moves to a commit's
      state: {
        did: t.did,
        phase: chainBreak ? 'pending' : 'active',
        rev: held.rev as string,
        data: held.data as Cid,
      },
    }
  }

  async #applyChanges(c: Client, did: string, rev: string, changes: readonly RecordChange[]): Promise<void> {
    for (const ch of changes) {
      if (ch.action === 'delete')
        await c.query('DELETE FROM mirror_record WHERE did = $1 AND collection = $2 AND rkey = $3', [
          did,
          ch.collection,
          ch.rkey,
        ])
      else
        await c.query(
          `INSERT INTO mirror_record (did, collection, rkey, cid, value) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (did, collection, rkey) DO UPDATE SET cid = excluded.cid, value = excluded.value`,
          [did, ch.collection, ch.rkey, (ch.cid as Cid).toString(), Buffer.from(ch.record as Uint8Array)],
        )
      if (this.#o.changeFeed)
        await c.query(
          'INSERT INTO mirror_change (did, collection, rkey, action, cid, rev) VALUES ($1, $2, $3, $4, $5, $6)',
          [did, ch.collection, ch.rkey, ch.action, ch.cid?.toString() ?? null, rev],
        )
    }
  }
}

/** `fn` on a connection of the pool, given back after it (as broken if it is). */
export async function withPooled<T>(pool: pg.Pool, fn: (conn: Conn) => Promise<T>): Promise<T> {
  const conn: Conn = { client: await pool.connect(), broken: false }
  // A connection dropped while checked out (between two queries) is reported as an 'error'
  // event, not only by the next query: without a listener it would crash the process.
  const dropped = (): void => {
    conn.broken = true
  }
  conn.client.on('error', dropped)
  try {
    return await fn(conn)
  } finally {
    conn.client.off('error', dropped)
    conn.client.release(conn.broken)
  }
}

/**
 * One transaction on `c`, BEGIN sent by `fn` with its first statements; COMMIT after `fn` unless
 * its own queries did (`tx.committed`); ROLLBACK on a throw (a connection that cannot take it any
 * more is marked broken, to be given back to the pool as such).
 */
async function transaction<T>(conn: Conn, fn: (tx: TxState) => Promise<T>): Promise<T> {
  const c = conn.client
  const tx: TxState = { committed: false }
  try {
    const out = await fn(tx)
    if (!tx.committed) await c.query('COMMIT')
    return out
  } catch (err) {
    try {
      if (!conn.broken) await c.query('ROLLBACK')
    } catch {
      conn.broken = true
    }
    throw err
  }
}

function checkFence(
  fence: { fence: Fence; partitions: readonly number[] },
  result: StatementResult | undefined,
): void {
  checkFenceRows(
    fence.fence,
    fence.partitions,
    (result?.rows ?? []).map((r) => [r[0] ?? null, r[1] ?? null] as const),
  )
}

/** The application gets a repository written whole as a `reset` and its records, as now held. */
async function snapshotToApp(
  c: Client,
  hook: NonNullable<BackfillWriterOptions['onChanges']>,
  did: string,
  rev: string,
): Promise<void> {
  await hook(c, [resetChange(did, rev)])
  // a cursor of this transaction: the hook may run its own statements between pages
  await c.query(
    `DECLARE mirror_app_snapshot NO SCROLL CURSOR FOR SELECT collection, rkey, cid, value FROM mirror_record
     WHERE did = $1 ORDER BY collection COLLATE "C", rkey COLLATE "C"`,
    [did],
  )
  for (;;) {
    const r = await c.query<{ collection: string; rkey: string; cid: string; value: Buffer }>(
      `FETCH ${APP_CHANGE_CHUNK} FROM mirror_app_snapshot`,
    )
    if (r.rows.length === 0) break
    await hook(
      c,
      r.rows.map((row) =>
        snapshotChange(did, rev, {
          ...row,
          value: new Uint8Array(row.value.buffer, row.value.byteOffset, row.value.length),
        }),
      ),
    )
  }
  await c.query('CLOSE mirror_app_snapshot')
}
