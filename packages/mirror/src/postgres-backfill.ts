// Postgres backfills: a verified repository replaces what is held of it and the live commits
// buffered meanwhile are applied, in one transaction.
//
// Small repositories (most of them) are encoded whole first, which also checks every record, so a
// bad one is refused before anything is sent. Those that finish at about the same time are written
// together: one transaction, one COPY, and without a hook or a lease fence one round trip (the
// statements, the COPY's data and COMMIT in one socket write; see postgres-pipeline.ts). Each
// caller's promise settles after that COMMIT. When a group fails for another reason than the
// database (a bad row, a lost lease), each of its repositories is written again alone, so each gets
// its own verdict. A large repository streams through COPY in its own transaction, in bounded memory.
import type { Cid } from '@rsky/dag-cbor'
import type pg from 'pg'
import { APP_CHANGE_CHUNK, type AppChange, resetChange, snapshotChange } from './app-changes.ts'
import { chainStep } from './chain.ts'
import { decodePreparedCommit } from './commit-codec.ts'
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
import { isStoreFault } from './store-fault.ts'
import type { BackfilledRepo, DrainResult, RecordChange } from './types.ts'

type Client = pg.PoolClient

/** A repository whose COPY rows are encoded past this many bytes streams in its own transaction. */
export const SMALL_REPO_BYTES = 1024 * 1024
/** Most repositories in one group transaction. */
const GROUP_REPOS = 64
/** Most bytes of COPY rows in one group transaction. */
const GROUP_BYTES = 4 * 1024 * 1024
/** Groups over which the most backfills waiting at once is taken. */
const PEAK_WINDOW = 64

/** What a {@link PostgresBackfiller} needs of its store. */
export interface BackfillerOptions {
  pool: pg.Pool
  changeFeed: boolean
  onChanges: ((client: pg.PoolClient, changes: readonly AppChange[]) => Promise<void> | void) | undefined
  /** The lease fence now (undefined without leases). */
  fence: () => Fence | undefined
}

/** A small repository waiting for its group, its rows encoded. */
interface Member extends BackfillTarget {
  data: Cid
  rows: Buffer
  resolve: (r: DrainResult) => void
  reject: (err: unknown) => void
}

/** Whether the transaction's own queries already committed it. */
interface TxState {
  committed: boolean
}

const CLEAN: DrainResult = Object.freeze({ applied: 0, skipped: 0, chainBreak: false })

/** Writes backfills of one store (see the file's comment). */
export class PostgresBackfiller {
  readonly #o: BackfillerOptions
  readonly #queue: Member[] = []
  /**
   * The connection groups are written on, one group at a time, kept while groups follow each
   * other: a backfill that finishes while it is idle is written at once, in the same turn.
   */
  #conn: Client | undefined
  #connBroken = false
  #connecting = false
  #writing = false
  /** Backfills handed over and not settled yet (queued or being written). */
  #pending = 0
  /** The most of them at once, in the last window of groups and in the current one. */
  #peak = 0
  #windowPeak = 0
  #windowGroups = 0

  constructor(opts: BackfillerOptions) {
    this.#o = opts
  }

  /** The store's `completeBackfill`. */
  async complete(repo: BackfilledRepo): Promise<DrainResult> {
    const { did, rev, data } = repo
    // checked now: the literals of a simple query cannot hold a NUL
    literal(did, did)
    literal(rev, did)
    const rows = encodeRows(did, repo.records, SMALL_REPO_BYTES)
    if (rows.rest !== undefined) return this.#streamed({ did, rev, data }, rows)
    return new Promise<DrainResult>((resolve, reject) => {
      this.#queue.push({ did, rev, data, rows: rows.bytes, resolve, reject })
      this.#pending++
      this.#windowPeak = Math.max(this.#windowPeak, this.#pending)
      this.#schedule()
    })
  }

  /** Writes the next group now if the connection is free, else when the group before it ends. */
  #schedule(): void {
    if (this.#writing || this.#queue.length === 0) return
    const c = this.#conn
    if (c !== undefined) {
      this.#write(c)
      return
    }
    if (this.#connecting) return
    this.#connecting = true
    this.#o.pool.connect().then(
      (client) => {
        this.#connecting = false
        this.#conn = client
        this.#connBroken = false
        client.on('error', this.#dropped)
        this.#schedule()
      },
      (err: unknown) => {
        this.#connecting = false
        const failed = this.#queue.splice(0)
        this.#pending -= failed.length
        for (const m of failed) m.reject(err)
      },
    )
  }

  // A connection dropped while held is reported as an 'error' event: without a listener it would
  // crash the process.
  readonly #dropped = (): void => {
    this.#connBroken = true
  }

  #write(c: Client): void {
    this.#writing = true
    const group = this.#take()
    void this.#settle(c, group).finally(() => {
      this.#pending -= group.length
      this.#writing = false
      if (this.#connBroken) this.#release()
      if (this.#queue.length > 0) this.#schedule()
      // kept for the backfills whose callers are about to continue; given back after this turn
      else
        setImmediate(() => {
          if (!this.#writing && this.#queue.length === 0) this.#release()
        })
    })
  }

  #release(): void {
    const c = this.#conn
    if (c === undefined) return
    this.#conn = undefined
    c.off('error', this.#dropped)
    c.release(this.#connBroken)
  }

  /**
   * The next group: queue order, within the caps, one entry per DID, sorted by DID. A group takes
   * at most half of the backfills the callers keep going at once (as lately seen): while it is
   * written, the other half are being read and checked, so the server and this thread both work.
   */
  #take(): Member[] {
    const most = Math.min(GROUP_REPOS, Math.max(1, Math.ceil(Math.max(this.#peak, this.#windowPeak) / 2)))
    if (++this.#windowGroups >= PEAK_WINDOW) {
      this.#peak = this.#windowPeak
      this.#windowPeak = this.#pending
      this.#windowGroups = 0
    }
    const group: Member[] = []
    const dids = new Set<string>()
    let bytes = 0
    for (let i = 0; i < this.#queue.length && group.length < most; ) {
      const m = this.#queue[i] as Member
      if (dids.has(m.did) || (group.length > 0 && bytes + m.rows.length > GROUP_BYTES)) {
        i++
        continue
      }
      this.#queue.splice(i, 1)
      group.push(m)
      dids.add(m.did)
      bytes += m.rows.length
    }
    return group.sort((a, b) => (a.did < b.did ? -1 : a.did > b.did ? 1 : 0))
  }

  async #settle(c: Client, group: Member[]): Promise<void> {
    let results: DrainResult[]
    try {
      results = await this.#writeGroup(c, group)
    } catch (err) {
      if (group.length === 1 || isStoreFault(err)) {
        for (const m of group) m.reject(err)
        return
      }
      // one bad repository (or a lost partition) must not fail the others: each alone
      for (const m of group)
        try {
          m.resolve(((await this.#writeGroup(c, [m])) as DrainResult[])[0] as DrainResult)
        } catch (e) {
          m.reject(e)
        }
      return
    }
    group.forEach((m, i) => {
      m.resolve(results[i] as DrainResult)
    })
  }

  async #writeGroup(c: Client, group: readonly Member[]): Promise<DrainResult[]> {
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
        await this.#tx(c, async (tx) => {
          await runPipelined(c, sql.join(';\n'), copy)
          tx.committed = true
        })
        return group.map(() => ({ ...CLEAN }))
      } catch (err) {
        if (!isBufferedMarker(err)) throw err
      }
    }
    return this.#tx(c, async (tx) => {
      const open = openStatements(group, { fast: false, ...(fence === undefined ? {} : { fence }) })
      const sql = [...open.sql, COPY_RECORDS]
      if (this.#o.changeFeed) sql.push(feedStatement(group))
      const results = await runPipelined(c, sql.join(';\n'), copy)
      return this.#finish(c, tx, group, results, open.layout, fence)
    })
  }

  /** A repository past {@link SMALL_REPO_BYTES}: its rows stream through COPY, alone. */
  #streamed(target: BackfillTarget & { data: Cid }, head: EncodedRows): Promise<DrainResult> {
    const fence = this.#fenceOf([target])
    const rest = head.rest as Iterator<RecordRow>
    return this.#pooledTx(async (c, tx) => {
      const open = openStatements([target], { fast: false, ...(fence === undefined ? {} : { fence }) })
      const results = await runPipelined(c, open.sql.join(';\n'))
      if (fence !== undefined && open.layout.fence >= 0) checkFence(fence, results[open.layout.fence])
      // a bad record aborts the COPY and the transaction rolls back
      await copyRecords(c, target.did, { [Symbol.iterator]: () => rest }, head)
      if (this.#o.changeFeed) await c.query(feedStatement([target]))
      return (await this.#finish(c, tx, [target], results, open.layout, fence))[0] as DrainResult
    })
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
    let held = { rev: t.rev, data: t.data }
    let applied = 0
    let skipped = 0
    let last = -1
    let chainBreak = false
    for (const row of rows) {
      const commit = decodePreparedCommit(row.body)
      const step = chainStep(held, commit)
      if (step === 'break') {
        chainBreak = true
        break
      }
      last = row.seq
      if (step === 'stale') {
        skipped++
        continue
      }
      await this.#applyChanges(c, t.did, commit.rev, commit.changes)
      held = { rev: commit.rev, data: commit.data }
      applied++
    }
    if (last >= 0) await c.query('DELETE FROM mirror_buffer WHERE did = $1 AND seq <= $2', [t.did, last])
    return {
      result: { applied, skipped, chainBreak },
      state: { did: t.did, phase: chainBreak ? 'pending' : 'active', rev: held.rev, data: held.data },
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

  /** One transaction on a connection of the pool (see {@link transaction}). */
  async #pooledTx<T>(fn: (c: Client, tx: TxState) => Promise<T>): Promise<T> {
    const c = await this.#o.pool.connect()
    const link = { broken: false }
    const dropped = (): void => {
      link.broken = true
    }
    c.on('error', dropped)
    try {
      return await transaction(c, link, (tx) => fn(c, tx))
    } finally {
      c.off('error', dropped)
      c.release(link.broken)
    }
  }

  /** One transaction on the held connection (see {@link transaction}). */
  #tx<T>(c: Client, fn: (tx: TxState) => Promise<T>): Promise<T> {
    const link = {
      get broken(): boolean {
        return self.#connBroken
      },
      set broken(b: boolean) {
        self.#connBroken = b
      },
    }
    const self = this
    return transaction(c, link, fn)
  }
}

/**
 * One transaction on `c`, BEGIN sent by `fn` with its first statements; COMMIT after `fn` unless
 * its own queries did (`tx.committed`); ROLLBACK on a throw (a connection that cannot take it any
 * more is marked broken, to be given back to the pool as such).
 */
async function transaction<T>(
  c: Client,
  link: { broken: boolean },
  fn: (tx: TxState) => Promise<T>,
): Promise<T> {
  const tx: TxState = { committed: false }
  try {
    const out = await fn(tx)
    if (!tx.committed) await c.query('COMMIT')
    return out
  } catch (err) {
    try {
      if (!link.broken) await c.query('ROLLBACK')
    } catch {
      link.broken = true
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
  hook: NonNullable<BackfillerOptions['onChanges']>,
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
