// The embedded backend: one SQLite file through node:sqlite (no native build). Every write is one
// `BEGIN IMMEDIATE … COMMIT`; WAL mode, so readers (`rsky sync status`) never block the engine.
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import { type Cid, parseCid } from '@rsky/dag-cbor'
import { type AccountStatus, type RepoState, type SyncStoreBatch, validateSyncStoreBatch } from '@rsky/sync'
import {
  APP_CHANGE_CHUNK,
  type AppChange,
  accountDeletedChange,
  appliedChanges,
  resetChange,
  snapshotChange,
} from './app-changes.ts'
import { type BufferedRow, drainBuffered, drainTally } from './buffered-drain.ts'
import { chainStep } from './chain.ts'
import { encodePreparedCommit } from './commit-codec.ts'
import { MirrorError } from './errors.ts'
import type { LiveBatch } from './live-batch.ts'
import { didHash, type Shard } from './shard.ts'
import { SqliteRecordInserter } from './sqlite-backfill.ts'
import { type GroupWrite, SqliteBackfillGroup } from './sqlite-backfill-group.ts'
import { SqliteCheckpointer } from './sqlite-checkpointer.ts'
import { SQLITE_SCHEMA } from './sqlite-schema.ts'
import { pickCursor } from './status.ts'
import type { ApplyOutcome, MirrorChange, MirrorStore } from './store.ts'
import type {
  BackfilledRepo,
  DrainResult,
  MirrorRecord,
  MirrorRepo,
  MirrorStatus,
  PreparedCommit,
  RecordChange,
  RepoPhase,
} from './types.ts'

/** Options of {@link SqliteMirrorStore}. */
export interface SqliteStoreOptions {
  /** `NORMAL` (default: durable across a process crash, WAL) or `FULL` (also across power loss). */
  synchronous?: 'NORMAL' | 'FULL'
  /** Write every record change to the change feed table (default false). */
  changeFeed?: boolean
  /**
   * The application's hook, called inside each write transaction that changes records, on this
   * connection, with the changes in stream order (a repository written whole comes as a `reset`
   * and its records, in chunks). Write the application's own tables through `db`: they commit or
   * roll back with the mirror's records and cursor, so each change takes effect exactly once. A
   * throw rolls the whole write back (the engine retries it). Synchronous, as node:sqlite is. A
   * group of backfills that rolls back is written again one repository at a time, so the hook may
   * see a repository again after a rollback: only what commits counts.
   */
  onChanges?: (db: DatabaseSync, changes: readonly AppChange[]) => void
  /**
   * Page cache of the connection in KiB (default 32,768: 32 MiB). A backfill writes a whole
   * repository in one transaction; a cache that holds it saves spilling pages mid-transaction.
   */
  cacheSizeKiB?: number
  /**
   * Run WAL checkpoints on a worker thread with its own connection instead of inside the COMMIT
   * that fills the WAL (default false). Frees the writing thread from copying and fsyncing each
   * large backfill a second time; the WAL may grow until the worker catches up.
   */
  backgroundCheckpoint?: boolean
}

interface RepoRow {
  did: string
  phase: string
  rev: string | null
  data: string | null
  sync_status: string | null
  seq: number | null
  unproven: number | null
  attempts: number
  reason: string | null
  retry_at: number
  hash: number
}

const PHASES: readonly RepoPhase[] = ['pending', 'active', 'parked', 'deleted']

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
 * A {@link MirrorStore} in one SQLite file.
 * @throws MirrorError `BAD_DATABASE` when the file cannot be opened or is not a database
 * @example const store = SqliteMirrorStore.open('mirror.db')
 */
export class SqliteMirrorStore implements MirrorStore {
  readonly kind = 'sqlite' as const
  readonly db: DatabaseSync
  readonly #changeFeed: boolean
  readonly #onChanges: SqliteStoreOptions['onChanges']
  readonly #s: Record<string, StatementSync>
  readonly #inserter: SqliteRecordInserter
  readonly #group: SqliteBackfillGroup
  #checkpointer: SqliteCheckpointer | undefined

  private constructor(db: DatabaseSync, opts: SqliteStoreOptions) {
    this.db = db
    this.#changeFeed = opts.changeFeed === true
    if (opts.onChanges !== undefined && typeof opts.onChanges !== 'function')
      throw new TypeError('SqliteMirrorStore: onChanges must be a function')
    this.#onChanges = opts.onChanges
    this.#inserter = new SqliteRecordInserter(db)
    this.#group = new SqliteBackfillGroup(db, (repo) => this.#writeBackfill(repo))
    const p = (sql: string): StatementSync => db.prepare(sql)
    this.#s = {
      cursor: p('SELECT seq FROM mirror_cursor WHERE stream = ?'),
      setCursor: p(
        'INSERT INTO mirror_cursor (stream, seq) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq',
      ),
      clearCursor: p('DELETE FROM mirror_cursor WHERE stream = ?'),
      repo: p('SELECT * FROM mirror_repo WHERE did = ?'),
      addRepo: p(
        "INSERT INTO mirror_repo (did, phase, added, hash) VALUES (?, 'pending', ?, ?) ON CONFLICT (did) DO NOTHING",
      ),
      setState: p(
        `INSERT INTO mirror_repo (did, phase, rev, data, sync_status, seq, unproven, added, hash)
         VALUES (?, 'active', ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (did) DO UPDATE SET rev = excluded.rev, data = excluded.data,
           sync_status = excluded.sync_status, seq = excluded.seq, unproven = excluded.unproven`,
      ),
      clearState: p(
        'UPDATE mirror_repo SET rev = NULL, data = NULL, sync_status = NULL, seq = NULL, unproven = NULL WHERE did = ?',
      ),
      moveRev: p('UPDATE mirror_repo SET rev = ?, data = ?, seq = ? WHERE did = ?'),
      setPhase: p('UPDATE mirror_repo SET phase = ?, retry_at = ? WHERE did = ?'),
      done: p(
        "UPDATE mirror_repo SET phase = 'active', rev = ?, data = ?, sync_status = 'synchronized', attempts = 0, reason = NULL WHERE did = ?",
      ),
      fail: p(
        'UPDATE mirror_repo SET phase = ?, attempts = attempts + 1, reason = ?, retry_at = ? WHERE did = ?',
      ),
      due: p(
        "SELECT * FROM mirror_repo WHERE phase = 'pending' AND retry_at <= ? AND hash % ? = ? ORDER BY retry_at, added, did LIMIT ?",
      ),
      dueAll: p(
        "SELECT * FROM mirror_repo WHERE phase = 'pending' AND retry_at <= ? AND hash % ? = ? ORDER BY retry_at, added, did",
      ),
      resyncActive: p(
        "UPDATE mirror_repo SET phase = 'pending', retry_at = 0 WHERE phase = 'active' AND hash % ? = ?",
      ),
      nextRetry: p("SELECT min(retry_at) AS t FROM mirror_repo WHERE phase = 'pending'"),
      account: p('SELECT active, status FROM mirror_account WHERE did = ?'),
      setAccount: p(
        'INSERT INTO mirror_account (did, active, status) VALUES (?, ?, ?) ON CONFLICT (did) DO UPDATE SET active = excluded.active, status = excluded.status',
      ),
      clearAccount: p('DELETE FROM mirror_account WHERE did = ?'),
      putRecord: p(
        'INSERT INTO mirror_record (did, collection, rkey, cid, value) VALUES (?, ?, ?, ?, ?) ON CONFLICT (did, collection, rkey) DO UPDATE SET cid = excluded.cid, value = excluded.value',
      ),
      backfillChanges: p(
        `INSERT INTO mirror_change (did, collection, rkey, action, cid, rev)
         SELECT did, collection, rkey, 'create', cid, ? FROM mirror_record WHERE did = ? ORDER BY collection, rkey`,
      ),
      delRecord: p('DELETE FROM mirror_record WHERE did = ? AND collection = ? AND rkey = ?'),
      delRecords: p('DELETE FROM mirror_record WHERE did = ?'),
      recordsOf: p(
        'SELECT collection, rkey, cid, value FROM mirror_record WHERE did = ? ORDER BY collection, rkey',
      ),
      getRecord: p('SELECT cid, value FROM mirror_record WHERE did = ? AND collection = ? AND rkey = ?'),
      buffer: p('INSERT INTO mirror_buffer (did, seq, body) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      buffered: p('SELECT seq, body FROM mirror_buffer WHERE did = ? ORDER BY seq'),
      unbuffer: p('DELETE FROM mirror_buffer WHERE did = ? AND seq <= ?'),
      clearBuffer: p('DELETE FROM mirror_buffer WHERE did = ?'),
      change: p(
        'INSERT INTO mirror_change (did, collection, rkey, action, cid, rev) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      changes: p('SELECT * FROM mirror_change WHERE id > ? ORDER BY id LIMIT ?'),
      ack: p('DELETE FROM mirror_change WHERE id <= ?'),
    }
  }

  /**
   * Opens (creating when absent) a mirror database file.
   * @throws MirrorError `BAD_DATABASE`
   */
  static open(path: string, opts: SqliteStoreOptions = {}): SqliteMirrorStore {
    if (typeof path !== 'string' || path === '')
      throw new TypeError('SqliteMirrorStore.open: path must be a string')
    const cache = opts.cacheSizeKiB ?? 32_768
    if (!(Number.isSafeInteger(cache) && cache > 0))
      throw new RangeError('SqliteMirrorStore.open: cacheSizeKiB must be a positive integer')
    let db: DatabaseSync | undefined
    try {
      db = new DatabaseSync(path, { timeout: 10_000 } as ConstructorParameters<typeof DatabaseSync>[1])
      db.exec('PRAGMA journal_mode = WAL')
      db.exec(`PRAGMA synchronous = ${opts.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`)
      db.exec(`PRAGMA cache_size = -${cache}`)
      db.exec(SQLITE_SCHEMA)
      // files made before the shard column existed
      const cols = db.prepare('PRAGMA table_info(mirror_repo)').all() as { name: string }[]
      if (!cols.some((c) => c.name === 'hash'))
        db.exec('ALTER TABLE mirror_repo ADD COLUMN hash INTEGER NOT NULL DEFAULT 0')
      const store = new SqliteMirrorStore(db, opts)
      if (opts.backgroundCheckpoint === true && path !== ':memory:') {
        db.exec('PRAGMA wal_autocheckpoint = 0')
        store.#checkpointer = new SqliteCheckpointer(path)
      }
      return store
    } catch (err) {
      try {
        db?.close()
      } catch {}
      throw new MirrorError(
        'BAD_DATABASE',
        `cannot open the database: ${(err as Error).message}; path=${path}`,
        {
          cause: err,
        },
      )
    }
  }

  #tx<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE')
    try {
      const out = fn()
      this.db.exec('COMMIT')
      return out
    } catch (err) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK')
      throw err
    }
  }

  #row(did: string): RepoRow | undefined {
    return this.#s.repo!.get(did) as RepoRow | undefined
  }

  // --- SyncStore contract

  getRepo(did: string): RepoState | undefined {
    const r = this.#row(did)
    if (r === undefined || r.rev === null || r.data === null) return undefined
    const out: RepoState = {
      rev: r.rev,
      data: parseCid(r.data),
      status: r.sync_status === 'desynchronized' ? 'desynchronized' : 'synchronized',
    }
    if (r.seq !== null) out.seq = r.seq
    if (r.unproven === 1) out.unproven = true
    return out
  }

  getAccount(did: string): AccountStatus | undefined {
    const a = this.#s.account!.get(did) as { active: number; status: string | null } | undefined
    if (a === undefined) return undefined
    return a.status === null ? { active: a.active === 1 } : { active: a.active === 1, status: a.status }
  }

  getCursor(stream: string): number | undefined {
    const r = this.#s.cursor!.get(stream) as { seq: number } | undefined
    return r?.seq
  }

  commit(batch: SyncStoreBatch): void {
    validateSyncStoreBatch(batch)
    this.#tx(() => {
      const now = Date.now()
      for (const w of batch.repos ?? []) {
        if (w.state === null) this.#s.clearState!.run(w.did)
        else
          this.#s.setState!.run(
            w.did,
            w.state.rev,
            w.state.data.toString(),
            w.state.status,
            w.state.seq ?? null,
            w.state.unproven === true ? 1 : null,
            now,
            didHash(w.did),
          )
      }
      for (const w of batch.accounts ?? []) {
        if (w.status === null) this.#s.clearAccount!.run(w.did)
        else this.#s.setAccount!.run(w.did, w.status.active ? 1 : 0, w.status.status ?? null)
      }
      const c = batch.cursor
      if (c !== undefined) {
        if (c.seq === null) this.#s.clearCursor!.run(c.stream)
        else this.#s.setCursor!.run(c.stream, c.seq)
      }
    })
  }

  // --- scope and progress

  addRepos(dids: readonly string[]): number {
    const now = Date.now()
    return this.#tx(() => {
      let added = 0
      for (const did of dids) added += Number(this.#s.addRepo!.run(did, now, didHash(did)).changes)
      return added
    })
  }

  mirrorRepo(did: string): MirrorRepo | undefined {
    const r = this.#row(did)
    return r === undefined ? undefined : toMirrorRepo(r)
  }

  duePending(opts: {
    limit: number
    now: number
    exclude?: ReadonlySet<string>
    shard?: Shard
    partitions?: { count: number; held: readonly number[] }
  }): MirrorRepo[] {
    const extra = opts.exclude?.size ?? 0
    const count = opts.shard?.count ?? 1
    const index = opts.shard?.index ?? 0
    const parts = opts.partitions
    const held = parts === undefined ? undefined : new Set(parts.held)
    const rows = (held === undefined
      ? this.#s.due!.all(opts.now, count, index, opts.limit + extra)
      : this.#s.dueAll!.all(opts.now, count, index)) as unknown as RepoRow[]
    const out: MirrorRepo[] = []
    for (const r of rows) {
      if (opts.exclude?.has(r.did)) continue
      if (held !== undefined && !held.has(r.hash % (parts as { count: number }).count)) continue
      out.push(toMirrorRepo(r))
      if (out.length >= opts.limit) break
    }
    return out
  }

  resyncActive(opts: { shard?: Shard }): number {
    return this.#tx(() =>
      Number(this.#s.resyncActive!.run(opts.shard?.count ?? 1, opts.shard?.index ?? 0).changes),
    )
  }

  nextRetryAt(): number | undefined {
    const r = this.#s.nextRetry!.get() as { t: number | null }
    return r.t ?? undefined
  }

  // --- writes

  #applyChanges(did: string, rev: string, changes: readonly RecordChange[]): void {
    for (const ch of changes) {
      if (ch.action === 'delete') this.#s.delRecord!.run(did, ch.collection, ch.rkey)
      else
        this.#s.putRecord!.run(
          did,
          ch.collection,
          ch.rkey,
          (ch.cid as Cid).toString(),
          ch.record as Uint8Array,
        )
      if (this.#changeFeed)
        this.#s.change!.run(did, ch.collection, ch.rkey, ch.action, ch.cid?.toString() ?? null, rev)
    }
  }

  applyCommit(c: PreparedCommit, stream: string): ApplyOutcome {
    return this.applyLive({ commits: [c], cursors: [{ stream, seq: c.seq }] })[0] as ApplyOutcome
  }

  /** A run of live commits and the cursors after it, in one transaction (see {@link LiveBatch}). */
  applyLive(batch: LiveBatch): ApplyOutcome[] {
    return this.#tx((): ApplyOutcome[] => {
      const out = batch.commits.map((c) => this.#applyOne(c))
      for (const cur of batch.cursors) this.#s.setCursor!.run(cur.stream, cur.seq)
      if (this.#onChanges !== undefined) {
        const changes = appliedChanges(batch.commits, out)
        if (changes.length > 0) this.#onChanges(this.db, changes)
      }
      return out
    })
  }

  #applyOne(c: PreparedCommit): ApplyOutcome {
    const r = this.#row(c.did)
    if (r === undefined || r.phase === 'parked' || r.phase === 'deleted') return 'ignored'
    if (r.phase === 'pending') {
      this.#s.buffer!.run(c.did, c.seq, encodePreparedCommit(c))
      return 'buffered'
    }
    const step = chainStep(
      { rev: r.rev ?? undefined, data: r.data === null ? undefined : parseCid(r.data) },
      c,
    )
    if (step === 'stale') return 'stale'
    if (step === 'break') {
      this.#s.buffer!.run(c.did, c.seq, encodePreparedCommit(c))
      this.#s.setPhase!.run('pending', 0, c.did)
      return 'chain-break'
    }
    this.#applyChanges(c.did, c.rev, c.changes)
    this.#s.moveRev!.run(c.rev, c.data.toString(), c.seq, c.did)
    return 'applied'
  }

  completeBackfill(repo: BackfilledRepo): DrainResult {
    return this.#tx(() => this.#writeBackfill(repo).result)
  }

  /**
   * {@link completeBackfill} in a group commit: the backfills that complete before the event loop
   * next turns share one transaction (when one fails, the transaction rolls back and each of its
   * repositories is written again alone: the failing one's promise rejects with its own error, the
   * others commit). Settles after the COMMIT; the records are read then (perhaps twice), so keep
   * the repository open until it settles.
   */
  completeBackfillGrouped(repo: BackfilledRepo): Promise<DrainResult> {
    return this.#group.add(repo)
  }

  /** A repository replaces what is held of it and its buffered commits are applied (inside a transaction). */
  #writeBackfill(repo: BackfilledRepo): GroupWrite {
    const { did } = repo
    this.#s.delRecords!.run(did)
    if (this.#changeFeed) this.#s.change!.run(did, '', '', 'reset', null, repo.rev)
    // The records stream in (a bad one throws here and the transaction rolls back).
    const { bytes } = this.#inserter.insertAll(did, repo.records)
    if (this.#changeFeed) this.#s.backfillChanges!.run(repo.rev, did)
    const tally = drainTally(repo.rev, repo.data)
    const rows = this.#s.buffered!.iterate(did) as Iterable<BufferedRow>
    for (const c of drainBuffered(tally, rows)) this.#applyChanges(did, c.rev, c.changes)
    const { held, applied, skipped, last, chainBreak } = tally
    if (last >= 0) this.#s.unbuffer!.run(did, last)
    this.#s.done!.run(held.rev as string, (held.data as Cid).toString(), did)
    if (chainBreak) this.#s.setPhase!.run('pending', 0, did)
    if (this.#onChanges !== undefined) this.#snapshotToApp(did, held.rev as string)
    return { result: { applied, skipped, chainBreak }, bytes }
  }

  /** The application gets a repository written whole as a `reset` and its records, as now held. */
  #snapshotToApp(did: string, rev: string): void {
    const hook = this.#onChanges as NonNullable<SqliteStoreOptions['onChanges']>
    let chunk: AppChange[] = [resetChange(did, rev)]
    const rows = this.#s.recordsOf!.iterate(did) as Iterable<{
      collection: string
      rkey: string
      cid: string
      value: Uint8Array
    }>
    for (const r of rows) {
      chunk.push(snapshotChange(did, rev, r))
      if (chunk.length >= APP_CHANGE_CHUNK) {
        hook(this.db, chunk)
        chunk = []
      }
    }
    if (chunk.length > 0) hook(this.db, chunk)
  }

  failBackfill(did: string, opts: { reason: string; retryAt: number; park: boolean }): void {
    this.#tx(() => {
      this.#s.fail!.run(opts.park ? 'parked' : 'pending', opts.reason, opts.retryAt, did)
    })
  }

  requestResync(did: string, stream: string, seq: number): void {
    this.#tx(() => {
      this.#s.setCursor!.run(stream, seq)
      const r = this.#row(did)
      if (r !== undefined && r.phase === 'active') this.#s.setPhase!.run('pending', 0, did)
    })
  }

  advanceRev(did: string, opts: { rev: string; data: Cid; stream: string; seq: number }): void {
    this.#tx(() => {
      this.#s.setCursor!.run(opts.stream, opts.seq)
      const r = this.#row(did)
      if (r !== undefined && r.phase === 'active' && (r.rev === null || opts.rev > r.rev))
        this.#s.moveRev!.run(opts.rev, opts.data.toString(), opts.seq, did)
    })
  }

  setAccountStatus(did: string, status: AccountStatus, stream: string, seq: number): void {
    this.#tx(() => {
      this.#s.setCursor!.run(stream, seq)
      this.#s.setAccount!.run(did, status.active ? 1 : 0, status.status ?? null)
      if (!status.active && status.status === 'deleted') {
        this.#s.delRecords!.run(did)
        this.#s.clearBuffer!.run(did)
        this.#s.clearState!.run(did)
        this.#s.setPhase!.run('deleted', 0, did)
        if (this.#changeFeed) this.#s.change!.run(did, '', '', 'reset', null, '')
        this.#onChanges?.(this.db, [accountDeletedChange(did, seq)])
      } else if (status.active) {
        // An account back (or created again after a deletion) is backfilled again.
        const r = this.#row(did)
        if (r !== undefined && r.phase === 'deleted') this.#s.setPhase!.run('pending', 0, did)
      }
    })
  }

  saveCursor(stream: string, seq: number): void {
    this.#s.setCursor!.run(stream, seq)
  }

  // --- reads

  status(stream?: string): MirrorStatus {
    const repos = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<RepoPhase, number>
    for (const r of this.db.prepare('SELECT phase, count(*) AS n FROM mirror_repo GROUP BY phase').all() as {
      phase: RepoPhase
      n: number
    }[])
      repos[r.phase] = r.n
    const records = (this.db.prepare('SELECT count(*) AS n FROM mirror_record').get() as { n: number }).n
    const buffered = (this.db.prepare('SELECT count(*) AS n FROM mirror_buffer').get() as { n: number }).n
    const cursors: Record<string, number> = {}
    for (const c of this.db.prepare('SELECT stream, seq FROM mirror_cursor').all() as {
      stream: string
      seq: number
    }[])
      cursors[c.stream] = c.seq
    return { cursor: pickCursor(cursors, stream), cursors, repos, records, buffered }
  }

  async *records(opts: { did?: string } = {}): AsyncIterable<MirrorRecord> {
    const stmt =
      opts.did === undefined
        ? this.db.prepare(
            'SELECT did, collection, rkey, cid FROM mirror_record ORDER BY did, collection, rkey',
          )
        : this.db.prepare(
            'SELECT did, collection, rkey, cid FROM mirror_record WHERE did = ? ORDER BY collection, rkey',
          )
    const rows = (opts.did === undefined ? stmt.iterate() : stmt.iterate(opts.did)) as Iterable<MirrorRecord>
    for (const r of rows) yield { did: r.did, collection: r.collection, rkey: r.rkey, cid: r.cid }
  }

  getRecord(did: string, collection: string, rkey: string): { cid: string; value: Uint8Array } | undefined {
    const r = this.#s.getRecord!.get(did, collection, rkey) as { cid: string; value: Uint8Array } | undefined
    return r === undefined ? undefined : { cid: r.cid, value: r.value }
  }

  readChanges(after: number, limit: number): MirrorChange[] {
    return (this.#s.changes!.all(after, limit) as unknown as MirrorChange[]).map((c) => ({
      id: c.id,
      did: c.did,
      collection: c.collection,
      rkey: c.rkey,
      action: c.action,
      cid: c.cid,
      rev: c.rev,
    }))
  }

  ackChanges(id: number): void {
    this.#s.ack!.run(id)
  }

  close(): void {
    // backfills waiting for their group are written first: their callers are still waiting
    if (this.db.isOpen) this.#group.flush()
    // This connection closes before the checkpoint thread's, so SQLite's closing checkpoint (the
    // rest of the WAL copied and the file fsynced: tens of ms after a large write) runs on that
    // thread when its connection closes, not here.
    if (this.db.isOpen) this.db.close()
    this.#checkpointer?.finish()
    this.#checkpointer = undefined
  }
}
