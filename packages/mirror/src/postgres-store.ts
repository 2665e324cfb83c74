// The server backend: Postgres through `pg`. Each write is one transaction on one pooled
// connection; the repository row is locked (`FOR UPDATE`) so a live commit and a finishing backfill
// of the same repository never interleave. A backfill's records go in through `COPY … FROM STDIN`.
import { type Cid, parseCid } from '@rsky/dag-cbor'
import { type AccountStatus, type RepoState, type SyncStoreBatch, validateSyncStoreBatch } from '@rsky/sync'
import pg from 'pg'
import { type AppChange, accountDeletedChange, appliedChanges } from './app-changes.ts'
import { MirrorError } from './errors.ts'
import type { LeaseClaim, LeaseInfo, LeaseStore } from './leases.ts'
import { type Fence, fencedPartitions, type LiveBatch } from './live-batch.ts'
import { PostgresBackfillWriter } from './postgres-backfill.ts'
import { PostgresBackfillGroups } from './postgres-backfill-group.ts'
import * as leases from './postgres-leases.ts'
import { applyLiveBatch } from './postgres-live.ts'
import { POSTGRES_SCHEMA } from './postgres-schema.ts'
import { didHash, type Shard } from './shard.ts'
import { pickCursor } from './status.ts'
import type { ApplyOutcome, MirrorChange, MirrorStore } from './store.ts'
import type {
  BackfilledRepo,
  DrainResult,
  MirrorRecord,
  MirrorRepo,
  MirrorStatus,
  PreparedCommit,
  RepoPhase,
} from './types.ts'

/** Options of {@link PostgresMirrorStore}. */
export interface PostgresStoreOptions {
  /** Write every record change to the change feed table (default false). */
  changeFeed?: boolean
  /**
   * The application's hook, awaited inside each write transaction that changes records, on that
   * transaction's client, with the changes in stream order (a repository written whole comes as
   * a `reset` and its records, in chunks). Write the application's own tables through `client`:
   * they commit or roll back with the mirror's records and cursor, so each change takes effect
   * exactly once. A throw rolls the whole write back (the engine retries it).
   */
  onChanges?: (client: pg.PoolClient, changes: readonly AppChange[]) => Promise<void> | void
  /** Pool size (default 8). */
  maxConnections?: number
}

type Client = pg.PoolClient

interface RepoRow {
  did: string
  phase: string
  rev: string | null
  data: string | null
  sync_status: string | null
  seq: number | null
  unproven: boolean | null
  attempts: number
  reason: string | null
  retry_at: number
}

const PHASES: readonly RepoPhase[] = ['pending', 'active', 'parked', 'deleted']
const SCHEMA_LOCK = 7_270_013

// bigint columns as numbers: cursors, times and counts stay far below 2^53
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
}

function toMirrorRepo(r: RepoRow): MirrorRepo {
  return {
    did: r.did,
    phase: r.phase as RepoPhase,
    rev: r.rev ?? undefined,
    data: r.data === null ? undefined : parseCid(r.data),
    attempts: r.attempts,
    reason: r.reason ?? undefined,
    retryAt: r.retry_at,
  }
}

/**
 * A {@link MirrorStore} in a Postgres database.
 * @throws MirrorError `BAD_DATABASE` from `connect` when the server cannot be reached or used
 * @example const store = await PostgresMirrorStore.connect('postgres://postgres@127.0.0.1:5432/mirror')
 */
export class PostgresMirrorStore implements MirrorStore, LeaseStore {
  readonly kind = 'postgres' as const
  readonly pool: pg.Pool
  readonly #changeFeed: boolean
  readonly #onChanges: PostgresStoreOptions['onChanges']
  #commits: Promise<void> = Promise.resolve()
  #fence: Fence | undefined
  readonly #backfills: PostgresBackfillWriter
  readonly #groups: PostgresBackfillGroups

  private constructor(pool: pg.Pool, opts: PostgresStoreOptions) {
    this.pool = pool
    this.#changeFeed = opts.changeFeed === true
    if (opts.onChanges !== undefined && typeof opts.onChanges !== 'function')
      throw new TypeError('PostgresMirrorStore: onChanges must be a function')
    this.#onChanges = opts.onChanges
    this.#backfills = new PostgresBackfillWriter({
      pool,
      changeFeed: this.#changeFeed,
      onChanges: opts.onChanges,
      fence: () => this.#fence,
    })
    this.#groups = new PostgresBackfillGroups(this.#backfills)
  }

  /**
   * Connects and creates the tables when absent.
   * @throws MirrorError `BAD_DATABASE`
   */
  static async connect(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresMirrorStore> {
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.maxConnections ?? 8,
      connectionTimeoutMillis: 10_000,
      types,
    })
    // A dropped connection surfaces on the next query (and is retried there), not as a crash: an
    // idle client's error goes to the pool, a checked-out client's to this listener (a terminated
    // backend can report twice: the FATAL message, then the closed socket).
    pool.on('error', () => {})
    pool.on('connect', (client) => client.on('error', () => {}))
    try {
      const c = await pool.connect()
      try {
        await c.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK])
        await c.query(POSTGRES_SCHEMA)
        await c.query(leases.POSTGRES_LEASE_SCHEMA)
      } finally {
        await c.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK]).catch(() => {})
        c.release()
      }
    } catch (err) {
      await pool.end().catch(() => {})
      throw new MirrorError(
        'BAD_DATABASE',
        `cannot use the database: ${(err as Error).message}; url=${redact(url)}`,
        {
          cause: err,
        },
      )
    }
    return new PostgresMirrorStore(pool, opts)
  }

  /**
   * One transaction. With a fence set, the leases of `fenced` (the DIDs it writes, or every held
   * partition) are checked and share-locked first: a lost lease rolls it back with `LEASE_LOST`.
   * (Backfills run their own transactions: postgres-backfill.ts.)
   */
  async #tx<T>(fn: (c: Client) => Promise<T>, fenced?: readonly string[] | 'held'): Promise<T> {
    const fence = this.#fence
    const parts =
      fence === undefined || fenced === undefined
        ? undefined
        : fenced === 'held'
          ? [...fence.tokens.keys()]
          : fencedPartitions(fence, fenced)
    const c = await this.pool.connect()
    let broken = false
    // A connection dropped while checked out (between two queries) is reported as an 'error'
    // event, not only by the next query: without a listener it would crash the process.
    const dropped = (): void => {
      broken = true
    }
    c.on('error', dropped)
    try {
      await c.query('BEGIN')
      if (fence !== undefined && parts !== undefined) await leases.checkFence(c, fence, parts)
      const out = await fn(c)
      await c.query('COMMIT')
      return out
    } catch (err) {
      try {
        if (!broken) await c.query('ROLLBACK')
      } catch {
        broken = true
      }
      throw err
    } finally {
      c.off('error', dropped)
      c.release(broken)
    }
  }

  async #lockRow(c: Client, did: string): Promise<RepoRow | undefined> {
    const r = await c.query<RepoRow>('SELECT * FROM mirror_repo WHERE did = $1 FOR UPDATE', [did])
    return r.rows[0]
  }

  async #setCursor(c: Client | pg.Pool, stream: string, seq: number): Promise<void> {
    await c.query(
      'INSERT INTO mirror_cursor (stream, seq) VALUES ($1, $2) ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq',
      [stream, seq],
    )
  }

  // --- SyncStore contract

  async getRepo(did: string): Promise<RepoState | undefined> {
    const r = (await this.pool.query<RepoRow>('SELECT * FROM mirror_repo WHERE did = $1', [did])).rows[0]
    if (r === undefined || r.rev === null || r.data === null) return undefined
    const out: RepoState = {
      rev: r.rev,
      data: parseCid(r.data),
      status: r.sync_status === 'desynchronized' ? 'desynchronized' : 'synchronized',
    }
    if (r.seq !== null) out.seq = r.seq
    if (r.unproven === true) out.unproven = true
    return out
  }

  async getAccount(did: string): Promise<AccountStatus | undefined> {
    const r = await this.pool.query<{ active: boolean; status: string | null }>(
      'SELECT active, status FROM mirror_account WHERE did = $1',
      [did],
    )
    const a = r.rows[0]
    if (a === undefined) return undefined
    return a.status === null ? { active: a.active } : { active: a.active, status: a.status }
  }

  async getCursor(stream: string): Promise<number | undefined> {
    const r = await this.pool.query<{ seq: number }>('SELECT seq FROM mirror_cursor WHERE stream = $1', [
      stream,
    ])
    return r.rows[0]?.seq
  }

  /** Contract rule 2: commits apply in call order, even when the caller does not wait between them. */
  commit(batch: SyncStoreBatch): Promise<void> {
    validateSyncStoreBatch(batch)
    const run = this.#commits.then(() => this.#commitNow(batch))
    this.#commits = run.catch(() => {})
    return run
  }

  async #commitNow(batch: SyncStoreBatch): Promise<void> {
    await this.#tx(async (c) => {
      const now = Date.now()
      for (const w of batch.repos ?? []) {
        if (w.state === null)
          await c.query(
            'UPDATE mirror_repo SET rev = NULL, data = NULL, sync_status = NULL, seq = NULL, unproven = NULL WHERE did = $1',
            [w.did],
          )
        else
          await c.query(
            `INSERT INTO mirror_repo (did, phase, rev, data, sync_status, seq, unproven, added, hash)
             VALUES ($1, 'active', $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (did) DO UPDATE SET rev = excluded.rev, data = excluded.data,
               sync_status = excluded.sync_status, seq = excluded.seq, unproven = excluded.unproven`,
            [
              w.did,
              w.state.rev,
              w.state.data.toString(),
              w.state.status,
              w.state.seq ?? null,
              w.state.unproven === true ? true : null,
              now,
              didHash(w.did),
            ],
          )
      }
      for (const w of batch.accounts ?? []) {
        if (w.status === null) await c.query('DELETE FROM mirror_account WHERE did = $1', [w.did])
        else await this.#putAccount(c, w.did, w.status)
      }
      const cur = batch.cursor
      if (cur !== undefined) {
        if (cur.seq === null) await c.query('DELETE FROM mirror_cursor WHERE stream = $1', [cur.stream])
        else await this.#setCursor(c, cur.stream, cur.seq)
      }
    })
  }

  async #putAccount(c: Client, did: string, s: AccountStatus): Promise<void> {
    await c.query(
      'INSERT INTO mirror_account (did, active, status) VALUES ($1, $2, $3) ON CONFLICT (did) DO UPDATE SET active = excluded.active, status = excluded.status',
      [did, s.active, s.status ?? null],
    )
  }

  // --- scope and progress

  async addRepos(dids: readonly string[]): Promise<number> {
    if (dids.length === 0) return 0
    const r = await this.pool.query(
      `INSERT INTO mirror_repo (did, phase, added, hash)
       SELECT d, 'pending', $2, h FROM unnest($1::text[], $3::bigint[]) AS t (d, h)
       ON CONFLICT (did) DO NOTHING`,
      [dids, Date.now(), dids.map(didHash)],
    )
    return r.rowCount ?? 0
  }

  async mirrorRepo(did: string): Promise<MirrorRepo | undefined> {
    const r = (await this.pool.query<RepoRow>('SELECT * FROM mirror_repo WHERE did = $1', [did])).rows[0]
    return r === undefined ? undefined : toMirrorRepo(r)
  }

  async duePending(opts: {
    limit: number
    now: number
    exclude?: ReadonlySet<string>
    shard?: Shard
    partitions?: { count: number; held: readonly number[] }
  }): Promise<MirrorRepo[]> {
    const parts = opts.partitions
    const r = await this.pool.query<RepoRow>(
      `SELECT * FROM mirror_repo WHERE phase = 'pending' AND retry_at <= $1 AND NOT (did = ANY($3::text[]))
         AND hash % $4 = $5 ${parts === undefined ? '' : 'AND hash % $6 = ANY($7::int[])'}
       ORDER BY retry_at, added, did LIMIT $2`,
      [
        opts.now,
        opts.limit,
        [...(opts.exclude ?? [])],
        opts.shard?.count ?? 1,
        opts.shard?.index ?? 0,
        ...(parts === undefined ? [] : [parts.count, parts.held]),
      ],
    )
    return r.rows.map(toMirrorRepo)
  }

  async resyncActive(opts: { shard?: Shard }): Promise<number> {
    const r = await this.pool.query(
      "UPDATE mirror_repo SET phase = 'pending', retry_at = 0 WHERE phase = 'active' AND hash % $1 = $2",
      [opts.shard?.count ?? 1, opts.shard?.index ?? 0],
    )
    return r.rowCount ?? 0
  }

  async nextRetryAt(): Promise<number | undefined> {
    const r = await this.pool.query<{ t: number | null }>(
      "SELECT min(retry_at) AS t FROM mirror_repo WHERE phase = 'pending'",
    )
    return r.rows[0]?.t ?? undefined
  }

  // --- writes

  async applyCommit(commit: PreparedCommit, stream: string): Promise<ApplyOutcome> {
    const out = await this.applyLive({ commits: [commit], cursors: [{ stream, seq: commit.seq }] })
    return out[0] as ApplyOutcome
  }

  /**
   * A run of live commits and the cursors after it, in one transaction (see {@link LiveBatch}):
   * the repository rows are locked at once, the chain decided in order in memory, and the writes
   * go out as a few set-based statements (the last change of each record path wins).
   */
  applyLive(batch: LiveBatch): Promise<ApplyOutcome[]> {
    return this.#tx(
      async (c) => {
        const out = await applyLiveBatch(c, batch, this.#changeFeed)
        if (this.#onChanges !== undefined) {
          const changes = appliedChanges(batch.commits, out)
          if (changes.length > 0) await this.#onChanges(c, changes)
        }
        return out
      },
      this.#fence === undefined ? undefined : 'held',
    )
  }

  /** A small repository in one round trip, a large one streamed through COPY (postgres-backfill.ts). */
  completeBackfill(repo: BackfilledRepo): Promise<DrainResult> {
    return this.#backfills.complete(repo)
  }

  /**
   * Small repositories that finish at about the same time share one transaction and one COPY;
   * each promise settles after its COMMIT (postgres-backfill-group.ts).
   */
  completeBackfillGrouped(repo: BackfilledRepo): Promise<DrainResult> {
    return this.#groups.complete(repo)
  }

  async failBackfill(did: string, opts: { reason: string; retryAt: number; park: boolean }): Promise<void> {
    const sql =
      'UPDATE mirror_repo SET phase = $1, attempts = attempts + 1, reason = $2, retry_at = $3 WHERE did = $4'
    const args = [opts.park ? 'parked' : 'pending', opts.reason, opts.retryAt, did]
    if (this.#fence === undefined) await this.pool.query(sql, args)
    else await this.#tx((c) => c.query(sql, args), [did])
  }

  requestResync(did: string, stream: string, seq: number): Promise<void> {
    return this.#tx(
      async (c) => {
        await this.#setCursor(c, stream, seq)
        await c.query(
          "UPDATE mirror_repo SET phase = 'pending', retry_at = 0 WHERE did = $1 AND phase = 'active'",
          [did],
        )
      },
      [did],
    )
  }

  advanceRev(did: string, opts: { rev: string; data: Cid; stream: string; seq: number }): Promise<void> {
    return this.#tx(
      async (c) => {
        await this.#setCursor(c, opts.stream, opts.seq)
        await c.query(
          "UPDATE mirror_repo SET rev = $1, data = $2, seq = $3 WHERE did = $4 AND phase = 'active' AND (rev IS NULL OR rev < $1)",
          [opts.rev, opts.data.toString(), opts.seq, did],
        )
      },
      [did],
    )
  }

  setAccountStatus(did: string, status: AccountStatus, stream: string, seq: number): Promise<void> {
    return this.#tx(
      async (c) => {
        await this.#setCursor(c, stream, seq)
        await this.#putAccount(c, did, status)
        const r = await this.#lockRow(c, did)
        if (!status.active && status.status === 'deleted') {
          await c.query('DELETE FROM mirror_record WHERE did = $1', [did])
          await c.query('DELETE FROM mirror_buffer WHERE did = $1', [did])
          await c.query(
            "UPDATE mirror_repo SET phase = 'deleted', rev = NULL, data = NULL, sync_status = NULL, seq = NULL WHERE did = $1",
            [did],
          )
          if (this.#changeFeed)
            await c.query(
              "INSERT INTO mirror_change (did, collection, rkey, action, cid, rev) VALUES ($1, '', '', 'reset', NULL, '')",
              [did],
            )
          if (this.#onChanges !== undefined) await this.#onChanges(c, [accountDeletedChange(did, seq)])
        } else if (status.active && r !== undefined && (r.phase === 'deleted' || r.phase === 'parked')) {
          await c.query(
            "UPDATE mirror_repo SET phase = 'pending', retry_at = 0, attempts = 0 WHERE did = $1",
            [did],
          )
        }
      },
      [did],
    )
  }

  async saveCursor(stream: string, seq: number): Promise<void> {
    if (this.#fence === undefined) await this.#setCursor(this.pool, stream, seq)
    else await this.#tx((c) => this.#setCursor(c, stream, seq), 'held')
  }

  // --- leases (see leases.ts)

  setFence(fence: Fence | undefined): void {
    this.#fence = fence
  }

  leaseHeartbeat(o: { group: string; owner: string; ttlMs: number }): Promise<number> {
    return leases.heartbeat(this.pool, o)
  }

  async claimLeases(o: {
    group: string
    owner: string
    count: number
    want: number
    ttlMs: number
    cursorStream: (partition: number) => string
  }): Promise<LeaseClaim[]> {
    return this.#tx((c) => leases.claim(c, o))
  }

  renewLeases(o: {
    group: string
    owner: string
    tokens: ReadonlyMap<number, number>
    ttlMs: number
  }): Promise<number[]> {
    return leases.renew(this.pool, o)
  }

  releaseLeases(o: { group: string; owner: string; tokens: ReadonlyMap<number, number> }): Promise<void> {
    return leases.release(this.pool, o)
  }

  leaveLeases(o: { group: string; owner: string }): Promise<void> {
    return leases.leave(this.pool, o)
  }

  listLeases(): Promise<LeaseInfo[]> {
    return leases.list(this.pool)
  }

  // --- reads

  async status(stream?: string): Promise<MirrorStatus> {
    const repos = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<RepoPhase, number>
    const r = await this.pool.query<{ phase: RepoPhase; n: number }>(
      'SELECT phase, count(*)::int AS n FROM mirror_repo GROUP BY phase',
    )
    for (const row of r.rows) repos[row.phase] = row.n
    const records =
      (await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM mirror_record')).rows[0]?.n ?? 0
    const buffered =
      (await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM mirror_buffer')).rows[0]?.n ?? 0
    const cursors: Record<string, number> = {}
    for (const c of (
      await this.pool.query<{ stream: string; seq: number }>('SELECT stream, seq FROM mirror_cursor')
    ).rows)
      cursors[c.stream] = c.seq
    return { cursor: pickCursor(cursors, stream), cursors, repos, records, buffered }
  }

  async *records(opts: { did?: string } = {}): AsyncIterable<MirrorRecord> {
    // Keyset pages: bounded memory on any size, no cursor held open across yields.
    let after: [string, string, string] = ['', '', '']
    for (;;) {
      const r =
        opts.did === undefined
          ? await this.pool.query<MirrorRecord>(
              `SELECT did, collection, rkey, cid FROM mirror_record WHERE (did, collection, rkey) > ($1, $2, $3)
               ORDER BY did, collection, rkey LIMIT 5000`,
              after,
            )
          : await this.pool.query<MirrorRecord>(
              `SELECT did, collection, rkey, cid FROM mirror_record WHERE did = $1 AND (collection, rkey) > ($2, $3)
               ORDER BY collection, rkey LIMIT 5000`,
              [opts.did, after[1], after[2]],
            )
      for (const row of r.rows)
        yield { did: row.did, collection: row.collection, rkey: row.rkey, cid: row.cid }
      const lastRow = r.rows[r.rows.length - 1]
      if (lastRow === undefined || r.rows.length < 5000) return
      after = [lastRow.did, lastRow.collection, lastRow.rkey]
    }
  }

  async getRecord(
    did: string,
    collection: string,
    rkey: string,
  ): Promise<{ cid: string; value: Uint8Array } | undefined> {
    const r = await this.pool.query<{ cid: string; value: Buffer }>(
      'SELECT cid, value FROM mirror_record WHERE did = $1 AND collection = $2 AND rkey = $3',
      [did, collection, rkey],
    )
    const row = r.rows[0]
    return row === undefined ? undefined : { cid: row.cid, value: new Uint8Array(row.value) }
  }

  async readChanges(after: number, limit: number): Promise<MirrorChange[]> {
    const r = await this.pool.query<MirrorChange>(
      'SELECT * FROM mirror_change WHERE id > $1 ORDER BY id LIMIT $2',
      [after, limit],
    )
    return r.rows.map((c) => ({ ...c, id: Number(c.id) }))
  }

  async ackChanges(id: number): Promise<void> {
    await this.pool.query('DELETE FROM mirror_change WHERE id <= $1', [id])
  }

  /** Waits for the grouped backfills handed over, then ends the pool (a second call does nothing). */
  async close(): Promise<void> {
    if (this.pool.ended) return
    await this.#groups.close()
    await this.pool.end()
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return 'postgres://…'
  }
}
