// Group commit of Postgres backfills (`completeBackfillGrouped`): small repositories that finish at
// about the same time are written in one transaction (postgres-backfill.ts), on one connection held
// while groups follow each other, one group at a time: a backfill that finishes while the
// connection is idle is written at once, in the same turn; those finishing while a group is being
// written wait for it and go together next. Each caller's promise settles after the COMMIT of the
// transaction that holds its repository. When a group fails for another reason than the database
// (a row the server refuses, a lost lease, the hook), each of its repositories is written again
// alone, so each gets its own verdict. A large repository streams alone, as `completeBackfill`.

import { type Conn, type PostgresBackfillWriter, type SmallRepo, withPooled } from './postgres-backfill.ts'
import { isStoreFault } from './store-fault.ts'
import type { BackfilledRepo, DrainResult } from './types.ts'

/** Most repositories in one group. */
const GROUP_REPOS = 64
/** Most bytes of COPY rows in one group. */
const GROUP_BYTES = 4 * 1024 * 1024
/** Groups over which the most backfills waiting at once is taken. */
const PEAK_WINDOW = 64

interface Waiting extends SmallRepo {
  resolve: (r: DrainResult) => void
  reject: (err: unknown) => void
}

/** The group commit of one store's backfills (see the file's comment). */
export class PostgresBackfillGroups {
  readonly #writer: PostgresBackfillWriter
  readonly #queue: Waiting[] = []
  /** The connection groups are written on, while groups follow each other. */
  #conn: Conn | undefined
  #connecting = false
  #writing = false
  /** Backfills handed over and not settled yet (queued or being written). */
  #pending = 0
  /** The most of them at once, in the last window of groups and in the current one. */
  #peak = 0
  #windowPeak = 0
  #windowGroups = 0
  /** Callers of {@link flush} waiting for the queue to empty. */
  #idle: (() => void)[] = []

  constructor(writer: PostgresBackfillWriter) {
    this.#writer = writer
  }

  /** `completeBackfillGrouped`: settles after the COMMIT of the transaction holding `repo`. */
  async complete(repo: BackfilledRepo): Promise<DrainResult> {
    const { small, rows } = this.#writer.encode(repo)
    if (rows.rest !== undefined) return this.#writer.streamed(small, rows)
    return new Promise<DrainResult>((resolve, reject) => {
      this.#queue.push({ ...small, resolve, reject })
      this.#pending++
      this.#windowPeak = Math.max(this.#windowPeak, this.#pending)
      this.#schedule()
    })
  }

  /** Resolves once every backfill handed over is settled (and the held connection given back). */
  flush(): Promise<void> {
    if (this.#pending === 0 && !this.#connecting) {
      this.#release()
      return Promise.resolve()
    }
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /** Writes the next group now if the connection is free, else when the group before it ends. */
  #schedule(): void {
    if (this.#writing || this.#queue.length === 0) return
    const conn = this.#conn
    if (conn !== undefined) {
      this.#write(conn)
      return
    }
    if (this.#connecting) return
    this.#connecting = true
    this.#writer.pool.connect().then(
      (client) => {
        this.#connecting = false
        client.on('error', this.#dropped)
        this.#conn = { client, broken: false }
        this.#schedule()
        if (!this.#writing) this.#settled()
      },
      (err: unknown) => {
        this.#connecting = false
        const failed = this.#queue.splice(0)
        this.#pending -= failed.length
        for (const m of failed) m.reject(err)
        this.#settled()
      },
    )
  }

  // A connection dropped while held is reported as an 'error' event: without a listener it would
  // crash the process.
  readonly #dropped = (): void => {
    if (this.#conn !== undefined) this.#conn.broken = true
  }

  #write(conn: Conn): void {
    this.#writing = true
    const group = this.#take()
    void this.#settle(conn, group).finally(() => {
      this.#pending -= group.length
      this.#writing = false
      if (conn.broken) this.#release()
      if (this.#queue.length > 0) this.#schedule()
      else {
        this.#settled()
        // kept for the backfills whose callers are about to continue; given back after this turn
        setImmediate(() => {
          if (!this.#writing && this.#queue.length === 0) this.#release()
        })
      }
    })
  }

  #settled(): void {
    if (this.#pending > 0 || this.#connecting) return
    this.#release()
    for (const resolve of this.#idle.splice(0)) resolve()
  }

  #release(): void {
    const conn = this.#conn
    if (conn === undefined || this.#writing) return
    this.#conn = undefined
    conn.client.off('error', this.#dropped)
    conn.client.release(conn.broken)
  }

  /**
   * The next group: queue order, within the caps, one entry per DID. A group takes at most half of
   * the backfills the callers keep going at once (as lately seen): while it is written, the other
   * half are being read and checked, so the server and this thread both work.
   */
  #take(): Waiting[] {
    const most = Math.min(GROUP_REPOS, Math.max(1, Math.ceil(Math.max(this.#peak, this.#windowPeak) / 2)))
    if (++this.#windowGroups >= PEAK_WINDOW) {
      this.#peak = this.#windowPeak
      this.#windowPeak = this.#pending
      this.#windowGroups = 0
    }
    const group: Waiting[] = []
    const dids = new Set<string>()
    let bytes = 0
    for (let i = 0; i < this.#queue.length && group.length < most; ) {
      const m = this.#queue[i] as Waiting
      if (dids.has(m.did) || (group.length > 0 && bytes + m.rows.length > GROUP_BYTES)) {
        i++
        continue
      }
      this.#queue.splice(i, 1)
      group.push(m)
      dids.add(m.did)
      bytes += m.rows.length
    }
    return group
  }

  async #settle(conn: Conn, group: readonly Waiting[]): Promise<void> {
    let results: DrainResult[]
    try {
      results = await this.#writer.writeSmall(conn, group)
    } catch (err) {
      if (group.length === 1 || isStoreFault(err)) {
        for (const m of group) m.reject(err)
        return
      }
      // one repository's failure must not fail the others: each alone
      for (const m of group)
        try {
          const one = conn.broken
            ? await withPooled(this.#writer.pool, (c) => this.#writer.writeSmall(c, [m]))
            : await this.#writer.writeSmall(conn, [m])
          m.resolve(one[0] as DrainResult)
        } catch (e) {
          m.reject(e)
        }
      return
    }
    group.forEach((m, i) => {
      m.resolve(results[i] as DrainResult)
    })
  }
}
