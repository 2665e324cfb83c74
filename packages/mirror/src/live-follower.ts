// The live half of the engine: one firehose connection, frames decoded and authenticated as they
// arrive (in parallel, on worker threads with a `CommitAuthPool`), then written strictly in stream
// order. Runs of consecutive commits and cursor-only events go to the store as one transaction
// (group commit: all or nothing, with the cursors of the run's last event, so still exactly once).
//
// Cursors are kept per partition of the DIDs (one partition without leases). Within one
// "generation" the connection started at or below every held partition's cursor, so each event
// passes through here in order and, after a run is written, every held partition has seen the
// stream up to the run's last event: all their cursors move to it. Gaining a partition starts a
// new generation (the connection restarts from the lowest cursor; events a partition already
// holds are dropped by its own cursor).
import {
  authenticateSync,
  type CommitAuthenticator,
  invalidateKey,
  type KeyResolver,
  type SocketFactory,
  StreamConnection,
} from '@rsky/sync'
import { MirrorError } from './errors.ts'
import { type LiveItem, prepareFrame } from './live.ts'
import { type LiveBatch, partitionOf } from './live-batch.ts'
import type { ApplyOutcome, MirrorStore } from './store.ts'
import type { PreparedCommit } from './types.ts'

/** Most events written in one group transaction. */
const MAX_GROUP = 512
/** DIDs remembered as present in the store (cleared when full: only an `addRepos` call is saved). */
const MAX_KNOWN = 1_000_000

/** What the follower needs from its engine. */
export interface FollowerContext {
  store: MirrorStore & { applyLive(batch: LiveBatch): Promise<ApplyOutcome[]> | ApplyOutcome[] }
  http: string
  keys: KeyResolver
  authenticator: CommitAuthenticator
  maxFrameSize: number
  maxQueue: number
  socketFactory: SocketFactory | undefined
  /** Partitions of the DIDs (1 without leases) and the cursor stream of each. */
  partitions: number
  streamOf: (partition: number) => string
  /** In scope (DID list, shard): events of other DIDs only move cursors. */
  inScope: (did: string) => boolean
  /** Whether a commit of a DID not yet in the store adds it (collection scope). */
  admits: (commit: PreparedCommit) => boolean
  /** Under a collection scope: a DID not in the store, whose `#sync`/`#account` are ignored. */
  outOfScope: (did: string) => Promise<boolean>
  filter: (commit: PreparedCommit) => PreparedCommit
  stats: {
    eventsSeen: number
    lastEventTime: string | undefined
    commitsApplied: number
    commitsBuffered: number
    recordsWritten: number
    chainBreaks: number
  }
  /** New pending repositories: the backfill loop should look. */
  wake: () => void
  reject: (did: string | undefined, seq: number | undefined, code: string, message: string) => void
  error: (err: unknown) => void
  /** A write found a lease gone (`LEASE_LOST`): the engine re-checks its leases. */
  leaseLost: () => Promise<void>
}

interface Entry {
  gen: number
  promise: Promise<LiveItem>
  item: LiveItem | undefined
}

/** Follows the firehose for the held partitions. */
export class LiveFollower {
  readonly #c: FollowerContext
  #queue: Entry[] = []
  #head = 0
  #gen = 0
  #held: ReadonlySet<number> = new Set()
  /** Cursor of each held partition (the last event written for it, or undefined: none yet). */
  #cursors = new Map<number, number | undefined>()
  #conn: StreamConnection | undefined
  #lastReceived: number | undefined
  #paused = false
  #applying: Promise<void> | undefined
  #stopped = true
  #fatal: unknown
  #known = new Set<string>()
  #relive: Promise<void> = Promise.resolve()
  #onOpen: (() => void) | undefined

  constructor(ctx: FollowerContext) {
    this.#c = ctx
  }

  /** Frames received and not yet written. */
  get queued(): number {
    return this.#queue.length - this.#head
  }

  /** A write failed for good while stopping (rethrown by the engine's `idle`). */
  get fatal(): unknown {
    return this.#fatal
  }

  /**
   * Starts following `held` from their cursors. Without a cursor (a first start) it resolves once
   * the socket is open, or after `openWaitMs`: the host streams from the moment it subscribed, so
   * a backfill started after that misses nothing.
   */
  async start(held: Iterable<number>, openWaitMs = 10_000): Promise<void> {
    this.#stopped = false
    const opened = new Promise<void>((resolve) => {
      this.#onOpen = resolve
    })
    await this.#startGeneration(new Set(held))
    if (this.#lastReceived !== undefined) return
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([opened, new Promise<void>((r) => (timer = setTimeout(r, openWaitMs)))])
    clearTimeout(timer)
  }

  /** Stops reading, lets what was received be written. */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#conn?.stop()
    await this.#relive
    while (this.#applying) await this.#applying
  }

  /**
   * Partitions lost or given back: their events are no longer written (at once, before their
   * leases are cleared in the table).
   */
  drop(held: Iterable<number>): void {
    const keep = new Set(held)
    this.#held = new Set([...this.#held].filter((p) => keep.has(p)))
    for (const p of [...this.#cursors.keys()]) if (!keep.has(p)) this.#cursors.delete(p)
  }

  /** Partitions gained: a new generation from the lowest cursor of all held partitions. */
  follow(held: Iterable<number>): Promise<void> {
    const next = new Set(held)
    const run = this.#relive.then(() => (this.#stopped ? undefined : this.#startGeneration(next)))
    this.#relive = run.catch((err: unknown) => this.#c.error(err))
    return run
  }

  async #startGeneration(held: Set<number>): Promise<void> {
    this.#gen++
    this.#conn?.stop()
    this.#conn = undefined
    this.#queue = []
    this.#head = 0
    this.#paused = false
    // a run already being written finishes first: the cursors read next include it
    while (this.#applying) await this.#applying
    this.#held = held
    this.#cursors = new Map()
    let low: number | undefined
    for (const p of held) {
      const seq = await this.#c.store.getCursor(this.#c.streamOf(p))
      this.#cursors.set(p, seq)
      if (seq !== undefined && (low === undefined || seq < low)) low = seq
    }
    this.#lastReceived = low
    if (this.#stopped) return
    const gen = this.#gen
    const conn = new StreamConnection({
      socketFactory: this.#c.socketFactory,
      maxPayload: Math.max(this.#c.maxFrameSize * 2, 16 * 1024 * 1024),
      handlers: {
        url: () => this.#url(),
        message: (data) => {
          if (gen === this.#gen) this.#onMessage(data)
        },
        error: (err) => this.#c.error(err),
        open: () => {
          this.#onOpen?.()
          this.#onOpen = undefined
        },
      },
    })
    this.#conn = conn
    conn.start()
  }

  #url(): string {
    const url = new URL('/xrpc/com.atproto.sync.subscribeRepos', this.#c.http.replace(/^http/, 'ws'))
    if (this.#lastReceived !== undefined) url.searchParams.set('cursor', String(this.#lastReceived))
    return url.toString()
  }

  #partition(did: string): number {
    return this.#c.partitions === 1 ? 0 : partitionOf(did, this.#c.partitions)
  }

  /** In scope and in a held partition now (when the frame is prepared). */
  #wanted = (did: string): boolean => this.#c.inScope(did) && this.#held.has(this.#partition(did))

  #onMessage(data: Uint8Array | string): void {
    if (typeof data === 'string') {
      this.#conn?.restart()
      return
    }
    const { seq, item } = prepareFrame(data, {
      keys: this.#c.keys,
      authenticator: this.#c.authenticator,
      maxFrameSize: Math.max(this.#c.maxFrameSize, 1),
      wanted: this.#wanted,
    })
    // frames at or below the last one received are replays of a reconnect
    if (seq !== undefined) {
      if (this.#lastReceived !== undefined && seq <= this.#lastReceived) return
      this.#lastReceived = seq
    }
    const entry: Entry = { gen: this.#gen, promise: item, item: undefined }
    void item.then((v) => {
      entry.item = v
    })
    this.#queue.push(entry)
    if (!this.#paused && this.queued >= this.#c.maxQueue) {
      this.#paused = true
      this.#conn?.pause()
    }
    this.#applying ??= this.#loop()
  }

  async #loop(): Promise<void> {
    try {
      while (this.#head < this.#queue.length) {
        const gen = this.#gen
        const first = this.#queue[this.#head] as Entry
        const item = await first.promise
        if (gen !== this.#gen) continue
        const run: LiveItem[] = [item]
        if (this.#groupable(item))
          for (let i = this.#head + 1; i < this.#queue.length && run.length < MAX_GROUP; i++) {
            const next = (this.#queue[i] as Entry).item
            if (next === undefined || !this.#groupable(next)) break
            run.push(next)
          }
        await this.#writeWithRetry(run, gen)
        if (gen !== this.#gen) continue
        for (let i = 0; i < run.length; i++) this.#queue[this.#head + i] = undefined as unknown as Entry
        this.#head += run.length
        if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
          this.#queue.splice(0, this.#head)
          this.#head = 0
        }
        if (this.#paused && this.queued <= this.#c.maxQueue / 2) {
          this.#paused = false
          this.#conn?.resume()
        }
      }
    } finally {
      this.#applying = undefined
    }
  }

  /** Items written together: commits and events that only move cursors. */
  #groupable(item: LiveItem): boolean {
    switch (item.kind) {
      case 'commit':
      case 'skip':
      case 'rejected':
      case 'identity':
        return true
      case 'sync':
      case 'account':
        return !this.#c.inScope(item.did) || !this.#held.has(this.#partition(item.did))
      default:
        return false
    }
  }

  /** A write that fails (connection lost, database busy) is retried with backoff; no event is skipped. */
  async #writeWithRetry(run: LiveItem[], gen: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (gen !== this.#gen) return
      try {
        if (run.length === 1 && !this.#groupable(run[0] as LiveItem)) await this.#applyOne(run[0] as LiveItem)
        else await this.#applyRun(run)
        return
      } catch (err) {
        if (err instanceof MirrorError && err.code === 'LEASE_LOST') {
          // the held set shrinks (or a new generation starts); the run is decided again
          await this.#c.leaseLost()
          continue
        }
        this.#c.error(err)
        if (this.#stopped && attempt >= 2) {
          this.#fatal = err
          throw err
        }
        await sleep(Math.min(5_000, 100 * 2 ** attempt))
      }
    }
  }

  /** Whether the event of `did` at `seq` is to be written here (held, and past its partition's cursor). */
  #fresh(did: string, seq: number): boolean {
    const p = this.#partition(did)
    if (!this.#held.has(p)) return false
    const cur = this.#cursors.get(p)
    return cur === undefined || seq > cur
  }

  async #applyRun(run: LiveItem[]): Promise<void> {
    const c = this.#c
    const commits: PreparedCommit[] = []
    let last: number | undefined
    let time: string | undefined
    for (const item of run) {
      const seq = 'seq' in item ? item.seq : undefined
      if (seq !== undefined && (last === undefined || seq > last)) last = seq
      if (item.kind === 'identity') {
        try {
          await invalidateKey(c.keys, item.did)
        } catch (err) {
          c.error(err)
        }
      }
      if (item.kind === 'commit' && this.#fresh(item.did, item.seq)) {
        commits.push(c.filter(item.commit))
        time = item.time
      }
    }
    // DIDs first seen live join the store as pending (addRepos leaves known ones alone)
    const unknown = [...new Set(commits.filter((x) => !this.#known.has(x.did)).map((x) => x.did))]
    // a DID enters when any of its commits in the run admits it, not only its first
    const add = unknown.filter((did) => commits.some((x) => x.did === did && c.admits(x)))
    if (add.length > 0) {
      if ((await c.store.addRepos(add)) > 0) c.wake()
      if (this.#known.size + add.length > MAX_KNOWN) this.#known.clear()
      for (const did of add) this.#known.add(did)
    }
    const cursors: { stream: string; seq: number }[] = []
    const moved: [number, number][] = []
    if (last !== undefined)
      for (const p of this.#held) {
        const cur = this.#cursors.get(p)
        const seq = cur === undefined || last > cur ? last : cur
        cursors.push({ stream: c.streamOf(p), seq })
        moved.push([p, seq])
      }
    const outcomes =
      commits.length === 0 && cursors.length === 0 ? [] : await c.store.applyLive({ commits, cursors })
    for (const [p, seq] of moved) if (this.#held.has(p)) this.#cursors.set(p, seq)
    // counted once the run is written
    for (const item of run) {
      if (item.kind === 'rejected') {
        c.stats.eventsSeen++
        c.reject(item.did, item.seq, item.code, item.message)
      } else if (item.kind !== 'skip') c.stats.eventsSeen++
    }
    if (time !== undefined) c.stats.lastEventTime = time
    let wake = false
    for (const [i, out] of outcomes.entries()) {
      if (out === 'applied') {
        c.stats.commitsApplied++
        c.stats.recordsWritten += (commits[i] as PreparedCommit).changes.length
      } else if (out === 'buffered') c.stats.commitsBuffered++
      else if (out === 'chain-break') {
        c.stats.chainBreaks++
        wake = true
      }
    }
    if (wake) c.wake()
  }

  /** `#sync`, `#account` of a held, in-scope DID; host error frames and undecodable frames. */
  async #applyOne(item: LiveItem): Promise<void> {
    const c = this.#c
    const store = c.store
    switch (item.kind) {
      case 'sync': {
        if (!this.#fresh(item.did, item.seq)) return
        c.stats.eventsSeen++
        const stream = c.streamOf(this.#partition(item.did))
        if (await c.outOfScope(item.did)) return this.#cursorOf(item.did, item.seq)
        const prior = await store.getRepo(item.did)
        const r = await authenticateSync(item.event, { keys: c.keys, prior })
        if (!r.success) {
          if (r.code !== 'STALE_REV') c.reject(item.did, item.seq, r.code, r.message)
          return this.#cursorOf(item.did, item.seq)
        }
        if (r.value.action === 'none')
          await store.advanceRev(item.did, { rev: r.value.rev, data: r.value.data, stream, seq: item.seq })
        else {
          if ((await store.mirrorRepo(item.did)) === undefined) await store.addRepos([item.did])
          await store.requestResync(item.did, stream, item.seq)
          c.wake()
        }
        this.#cursors.set(this.#partition(item.did), item.seq)
        return
      }
      case 'account': {
        if (!this.#fresh(item.did, item.seq)) return
        c.stats.eventsSeen++
        if (await c.outOfScope(item.did)) return this.#cursorOf(item.did, item.seq)
        const e = item.event
        const status = e.status === undefined ? { active: e.active } : { active: e.active, status: e.status }
        if (e.active && (await store.mirrorRepo(item.did)) === undefined) await store.addRepos([item.did])
        await store.setAccountStatus(item.did, status, c.streamOf(this.#partition(item.did)), item.seq)
        this.#cursors.set(this.#partition(item.did), item.seq)
        c.wake()
        return
      }
      case 'error-frame':
        c.error(
          new MirrorError('BAD_EVENT', `the host sent an error; error=${item.error} message=${item.message}`),
        )
        if (item.error === 'FutureCursor') this.#conn?.stop()
        else this.#conn?.restart()
        return
      case 'bad-frame':
        c.error(new MirrorError('BAD_EVENT', `a frame could not be decoded: ${item.message}`))
        this.#conn?.restart()
        return
      default:
        return this.#applyRun([item])
    }
  }

  /** An event of a held partition that changes nothing held: its partition's cursor moves. */
  async #cursorOf(did: string, seq: number): Promise<void> {
    const p = this.#partition(did)
    await this.#c.store.applyLive({ commits: [], cursors: [{ stream: this.#c.streamOf(p), seq }] })
    this.#cursors.set(p, seq)
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
