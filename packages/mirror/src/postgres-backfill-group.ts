// Group commit of Postgres backfills (`completeBackfillGrouped`): small repositories that finish at
// about the same time are written in one transaction (postgres-backfill.ts), on one connection held
// while groups follow each other, one group at a time: a backfill that finishes while the
// connection is idle is written at once, in the same turn; those finishing while a group is being
// written wait for it and go together next. Each caller's promise settles after the COMMIT of the
// transaction that holds its repository. When a group fails for another reason than the database
// (a row the server refuses, a lost lease, the hook), each of its repositories is written again
// alone, so each gets its own verdict. A large repository streams alone, as `completeBackfill`.

import { MirrorError } from './errors.ts'
import { type Conn, type PostgresBackfillWriter, type SmallRepo, withPooled } from './postgres-backfill.ts'
import { type GroupConnEvent, type GroupConnState, groupConnStep } from './postgres-group-state.ts'
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

/** What the group commit needs of the store's writer (postgres-backfill.ts). */
export type GroupWriter = Pick<PostgresBackfillWriter, 'pool' | 'encode' | 'streamed' | 'writeSmall'>

/**
 * The group commit of one store's backfills (see the file's comment). The held connection's life
 * follows the table of postgres-group-state.ts: every change of {@link state} is one of its rows.
 */
export class PostgresBackfillGroups {
  readonly #writer: GroupWriter
  readonly #queue: Waiting[] = []
  #state: GroupConnState = 'idle'
  /** The connection groups are written on (held in `ready`, `writing`, and `closing` once given). */
  #conn: Conn | undefined
  /** Backfills handed over and not settled yet (queued or being written). */
  #pending = 0
  /** The most of them at once, in the last window of groups and in the current one. */
  #peak = 0
  #windowPeak = 0
  #windowGroups = 0
  /** Callers of {@link close} waiting for `closed`. */
  #closed: (() => void)[] = []
  /** Called with each transition (tests). */
  readonly #onStep: ((from: GroupConnState, event: GroupConnEvent, to: GroupConnState) => void) | undefined

  constructor(
    writer: GroupWriter,
    opts: { onStep?: (from: GroupConnState, event: GroupConnEvent, to: GroupConnState) => void } = {},
  ) {
    this.#writer = writer
    this.#onStep = opts.onStep
  }

  /** Where the held connection's life is (postgres-group-state.ts). */
  get state(): GroupConnState {
    return this.#state
  }

  /**
   * `completeBackfillGrouped`: settles after the COMMIT of the transaction holding `repo`.
   * @throws MirrorError `BAD_REPO` (nothing sent); `BAD_DATABASE` once closed; what the write met
   */
  async complete(repo: BackfilledRepo): Promise<DrainResult> {
    if (this.#state === 'closed')
      throw new MirrorError('BAD_DATABASE', 'the store is closed', { did: repo.did })
    const { small, rows } = this.#writer.encode(repo)
    if (rows.rest !== undefined) return this.#writer.streamed(small, rows)
    return new Promise<DrainResult>((resolve, reject) => {
      this.#queue.push({ ...small, resolve, reject })
      this.#pending++
      this.#windowPeak = Math.max(this.#windowPeak, this.#pending)
      // in flight (connecting, writing, closing): taken when that lands
      if (this.#state === 'idle' || this.#state === 'ready') this.#advance()
    })
  }

  /**
   * Writes every backfill handed over, gives the held connection back, and refuses any more.
   * Resolves once `closed` (a second call waits for the same).
   */
  close(): Promise<void> {
    if (this.#state === 'closed') {
      this.#step('close')
      return Promise.resolve()
    }
    const done = new Promise<void>((resolve) => this.#closed.push(resolve))
    const was = this.#state
    this.#step('close')
    // nothing in flight to land and move on: move on now
    if (was === 'ready') this.#advance()
    return done
  }

  #step(event: GroupConnEvent): void {
    const from = this.#state
    const to = groupConnStep(from, event)
    this.#state = to
    this.#onStep?.(from, event, to)
    if (to === 'closed') for (const resolve of this.#closed.splice(0)) resolve()
  }

  /**
   * The next step from a state with nothing in flight: `idle`, `ready`, or `closing` just after
   * its connect or write landed (a connection is then held).
   */
  #advance(): void {
    if (this.#state === 'idle') {
      if (this.#queue.length > 0) this.#connect('connect')
      return
    }
    const conn = this.#conn as Conn
    if (conn.broken) {
      this.#giveBack()
      if (this.#queue.length > 0) this.#connect('replace')
      else this.#step('release')
    } else if (this.#queue.length > 0) {
      this.#step('write')
      this.#write(conn)
    } else if (this.#state === 'closing') {
      this.#giveBack()
      this.#step('release')
    } else {
      // kept for the backfills whose callers are about to continue; given back after this turn
      setImmediate(() => {
        if (this.#state === 'ready' && this.#queue.length === 0 && this.#conn === conn) {
          this.#giveBack()
          this.#step('release')
        }
      })
    }
  }

  #connect(event: 'connect' | 'replace'): void {
    this.#step(event)
    this.#writer.pool.connect().then(
      (client) => {
        client.on('error', this.#dropped)
        this.#conn = { client, broken: false }
        this.#step('connected')
        this.#advance()
      },
      (err: unknown) => {
        const failed = this.#queue.splice(0)
        this.#pending -= failed.length
        this.#step('connect-failed')
        for (const m of failed) m.reject(err)
      },
    )
  }

  // A connection dropped while held is reported as an 'error' event: without a listener it would
  // crash the process. It is given back as broken once nothing is in flight on it.
  readonly #dropped = (): void => {
    const conn = this.#conn
    if (conn === undefined) return
    conn.broken = true
    this.#step('lost')
    if (this.#state === 'ready') this.#advance()
  }

  #giveBack(): void {
    const conn = this.#conn as Conn
    this.#conn = undefined
    conn.client.off('error', this.#dropped)
    conn.client.release(conn.broken)
  }

  #write(conn: Conn): void {
    const group = this.#take()
    void this.#settle(conn, group).finally(() => {
      this.#pending -= group.length
      this.#step('written')
      this.#advance()
    })
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
