import { IdResolver } from '@rsky/identity'
import { MemoryAccountStatusStore } from './account-status.ts'
import { authenticateCommit, authenticateSync, type CommitAuthenticator } from './authenticate.ts'
import { backoffDelay, StreamConnection } from './connection.ts'
import { SafeCursor } from './cursor.ts'
import { StreamClosedError } from './errors.ts'
import {
  type AccountEvent,
  type CommitEvent,
  type IdentityEvent,
  parseRepoEvent,
  type SyncEvent,
} from './events.ts'
import {
  FirehoseError,
  type FirehoseEvent,
  type FirehoseOptions,
  type FirehoseRejection,
  type FirehoseState,
  type FirehoseStats,
  type FirehoseStatus,
} from './firehose-types.ts'
import { DEFAULT_MAX_FRAME_SIZE, decodeFrame, frameBody } from './frame.ts'
import { HostChecker, pdsResolverOf } from './host-check.ts'
import { invalidateKey, type SignatureVerifier } from './keys.ts'
import { syncStoreOver } from './legacy-store.ts'
import { MemoryRepoStateStore, type RepoState } from './repo-state.ts'
import { getRepoFetcher, type RepoFetcher, ResyncError, type ResyncedRepo, resyncRepo } from './resync.ts'
import { KeyedScheduler } from './scheduler.ts'
import { type RepoSyncStatus, type SyncInput, syncTransition } from './sync-machine.ts'
import { type AccountWrite, MemorySyncStore, type RepoWrite, type SyncStore } from './sync-store.ts'

export type {
  AuthenticatedFirehoseEvent,
  FirehoseErrorCode,
  FirehoseEvent,
  FirehoseFilter,
  FirehoseOptions,
  FirehoseRejectCode,
  FirehoseRejection,
  FirehoseState,
  FirehoseStats,
  FirehoseStatus,
  RetryOptions,
} from './firehose-types.ts'
export { FirehoseError } from './firehose-types.ts'
export type { PdsResolver } from './host-check.ts'

const INLINE: CommitAuthenticator = { authenticateCommit }

/** What handling one event decided: deliveries, then one commit of writes, then rejections. */
interface Outcome {
  resynced?: ResyncedRepo
  deliver?: FirehoseEvent
  repos?: RepoWrite[]
  accounts?: AccountWrite[]
  rejects?: FirehoseRejection[]
  /** Already delivered (a replay): nothing to do. */
  duplicate?: boolean
  /** Normal traffic needing nothing. */
  ignored?: boolean
}

interface CommitJob {
  repos: RepoWrite[]
  accounts: AccountWrite[]
  resolve: () => void
  reject: (err: unknown) => void
}

function httpBase(service: string): string {
  return service.replace(/^ws(s?):\/\//, 'http$1://')
}

function collectionMatcher(list: Iterable<string> | undefined): ((c: string) => boolean) | undefined {
  if (list === undefined) return undefined
  const exact = new Set<string>()
  const prefixes: string[] = []
  for (const c of list) {
    if (c.endsWith('.*')) prefixes.push(c.slice(0, -1))
    else exact.add(c)
  }
  return (c) => exact.has(c) || prefixes.some((p) => c.startsWith(p))
}

/** Longest a DID waits between resync attempts after failures. */
const MAX_RESYNC_BACKOFF_MS = 10 * 60 * 1000
/** Most DIDs whose resync backoff is remembered. */
const MAX_RESYNC_ENTRIES = 100_000

/**
 * A `com.atproto.sync.subscribeRepos` client that authenticates every commit (sync 1.1), keeps
 * each repository's sync status by one transition table ({@link SYNC_TRANSITIONS}), resumes from
 * its cursor after any disconnect or crash, keeps one DID's events in order while running DIDs in
 * parallel, and stops reading the socket while its queue is full (in events or bytes).
 *
 * Order per event: deliver (`onResync`, `onEvent`), THEN commit the event's state and the cursor
 * in one `SyncStore.commit`. A failure before the commit (handler, store, worker) delivers the
 * event again after a backoff; nothing is skipped. After a crash the events after the saved
 * cursor are delivered again unless their state was committed: at-least-once delivery, which
 * consumers make exactly-once by keying their effects (e.g. on the record's URI and CID).
 * @example
 * const fh = new Firehose({ service: 'wss://bsky.network', store, onEvent: async (e) => {
 *   if (e.type === 'commit') for (const op of e.verified!.ops) await index(op)
 * } })
 * await fh.start()
 */
export class Firehose {
  readonly #opts: FirehoseOptions
  readonly #keys: SignatureVerifier
  readonly #store: SyncStore
  readonly #stream: string
  readonly #trackAccounts: boolean
  readonly #fetchRepo: RepoFetcher | null
  readonly #conn: StreamConnection
  readonly #scheduler: KeyedScheduler
  readonly #maxQueue: number
  readonly #maxQueueBytes: number
  readonly #maxFrame: number
  readonly #timeoutMs: number
  readonly #attempts: number
  readonly #hosts: HostChecker | undefined
  readonly #dids: Set<string> | undefined
  readonly #collections: ((c: string) => boolean) | undefined
  readonly #resyncBackoff = new Map<string, { failures: number; nextAt: number }>()
  readonly #abort = new AbortController()
  #cursor: SafeCursor = new SafeCursor()
  #savedCursor: number | undefined
  #lastReceived: number | undefined
  #paused = false
  #maxPending = 0
  #pendingBytes = 0
  #state: FirehoseState = 'idle'
  #failure: FirehoseError | undefined
  #commitQueue: CommitJob[] = []
  #committing: Promise<void> | undefined
  #stopping: Promise<void> | undefined
  readonly stats: FirehoseStats = {
    received: 0,
    delivered: 0,
    rejected: 0,
    duplicates: 0,
    ignored: 0,
    filtered: 0,
    retries: 0,
    connections: 0,
  }

  constructor(opts: FirehoseOptions) {
    if (typeof opts?.service !== 'string') throw new TypeError('Firehose: service must be a URL string')
    if (typeof opts.onEvent !== 'function') throw new TypeError('Firehose: onEvent must be a function')
    this.#opts = opts
    this.#keys = opts.keys ?? new IdResolver()
    this.#trackAccounts = opts.accountStatus !== null
    this.#store =
      opts.store ??
      (opts.repoState || opts.accountStatus || opts.cursorStore
        ? syncStoreOver({
            repoState: opts.repoState ?? new MemoryRepoStateStore(),
            accountStatus:
              opts.accountStatus === null ? null : (opts.accountStatus ?? new MemoryAccountStatusStore()),
            cursorStore: opts.cursorStore,
          })
        : new MemorySyncStore())
    this.#stream = opts.stream ?? opts.service
    this.#fetchRepo =
      opts.fetchRepo === null ? null : (opts.fetchRepo ?? getRepoFetcher(httpBase(opts.service)))
    this.#maxQueue = opts.maxQueue ?? 1000
    this.#maxQueueBytes = opts.maxQueueBytes ?? 64 * 1024 * 1024
    this.#maxFrame = opts.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE
    this.#timeoutMs = opts.handlerTimeoutMs ?? 60_000
    this.#attempts = opts.retry?.attempts ?? 5
    if (!(Number.isSafeInteger(this.#maxQueue) && this.#maxQueue > 0))
      throw new RangeError('Firehose: maxQueue must be a positive integer')
    if (!(Number.isSafeInteger(this.#maxQueueBytes) && this.#maxQueueBytes > 0))
      throw new RangeError('Firehose: maxQueueBytes must be a positive integer')
    if (!(this.#timeoutMs > 0)) throw new RangeError('Firehose: handlerTimeoutMs must be positive')
    if (!(Number.isSafeInteger(this.#attempts) && this.#attempts > 0))
      throw new RangeError('Firehose: retry.attempts must be a positive integer')
    this.#hosts =
      opts.checkHost === true
        ? new HostChecker({ resolver: opts.hosts ?? pdsResolverOf(this.#keys), service: opts.service })
        : undefined
    this.#dids = opts.filter?.dids === undefined ? undefined : new Set(opts.filter.dids)
    this.#collections = collectionMatcher(opts.filter?.collections)
    this.#scheduler = new KeyedScheduler({
      concurrency: opts.concurrency ?? 32,
      onError: (e) => this.#error(e),
    })
    this.#conn = new StreamConnection({
      socketFactory: opts.socketFactory,
      maxPayload: opts.maxMessageSize ?? 16 * 1024 * 1024,
      reconnect: opts.reconnect,
      handlers: {
        url: () => this.#url(),
        message: (data) => this.#onMessage(data),
        open: () => {
          this.stats.connections++
          this.#setState('open')
        },
        closed: ({ willRetry }) => {
          // closed while paused (a socket that cannot pause): it reopens on resume
          if (willRetry || this.#paused) this.#setState('reconnecting')
          else if (this.#state === 'open' || this.#state === 'connecting' || this.#state === 'reconnecting')
            this.#fail(
              new FirehoseError('RECONNECT_EXHAUSTED', 'connection closed and no reconnect attempt is left'),
            )
        },
        error: (err) => this.#error(err),
      },
    })
  }

  /** The safe cursor: every event up to it was delivered and committed. */
  get cursor(): number | undefined {
    return this.#cursor.value
  }

  /** Events queued or being handled right now. */
  get pending(): number {
    return this.#scheduler.pending
  }

  /** The largest queue length seen (for backpressure checks). */
  get maxPending(): number {
    return this.#maxPending
  }

  /** Where the client is (see {@link FirehoseState}). */
  state(): FirehoseState {
    return this.#state
  }

  /** State, cursor, queue and the failure, if any. */
  status(): FirehoseStatus {
    return {
      state: this.#state,
      cursor: this.#cursor.value,
      pending: this.#scheduler.pending,
      pendingBytes: this.#pendingBytes,
      paused: this.#paused,
      error: this.#failure,
    }
  }

  /** Loads the cursor and connects. */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new Error(`Firehose: start() called in state ${this.#state}`)
    this.#setState('connecting')
    let start = this.#opts.cursor
    if (start === undefined) start = (await this.#store.getCursor(this.#stream)) ?? undefined
    this.#cursor = new SafeCursor(start)
    this.#savedCursor = start
    this.#lastReceived = start
    if ((this.#state as FirehoseState) !== 'connecting') return // stopped while loading
    this.#conn.start()
  }

  /**
   * Disconnects, lets queued events finish (a failing one is not retried any more and stays
   * undelivered), and commits the final cursor. From inside `onEvent`, call it without `await`:
   * it resolves only after that handler returns.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  async #stop(): Promise<void> {
    const failed = this.#state === 'failed'
    if (!failed) this.#setState('stopping')
    this.#conn.stop()
    this.#abort.abort()
    await this.#scheduler.idle()
    await this.#flushCommits()
    if (!failed) this.#setState('stopped')
  }

  /** Resolves when every received event has been handled. */
  idle(): Promise<void> {
    return this.#scheduler.idle()
  }

  #setState(s: FirehoseState, err?: FirehoseError): void {
    if (this.#state === s) return
    if (this.#state === 'failed' || (this.#state === 'stopped' && s !== 'failed')) return
    if (this.#state === 'stopping' && s !== 'stopped' && s !== 'failed') return
    this.#state = s
    this.#opts.onStateChange?.(s, err)
  }

  #fail(err: FirehoseError): void {
    if (this.#state === 'failed' || this.#state === 'stopped') return
    this.#failure = err
    this.#error(err)
    this.#conn.stop()
    this.#abort.abort()
    this.#setState('failed', err)
  }

  #url(): string {
    const url = new URL('/xrpc/com.atproto.sync.subscribeRepos', this.#opts.service)
    // Resume after the last event received in this process: earlier ones are already queued.
    const c = this.#lastReceived
    if (c !== undefined) url.searchParams.set('cursor', String(c))
    return url.toString()
  }

  #error(err: unknown): void {
    this.#opts.onError?.(err)
  }

  #reject(r: FirehoseRejection): void {
    this.stats.rejected++
    this.#opts.onReject?.(r)
  }

  #onMessage(data: Uint8Array | string): void {
    if (this.#state !== 'open') return
    if (typeof data === 'string') {
      this.#error(new StreamClosedError('STREAM_BAD_FRAME', 'text frame on a binary stream'))
      this.#conn.restart()
      return
    }
    let frame: ReturnType<typeof decodeFrame>
    try {
      frame = decodeFrame(data, { maxFrameSize: Math.max(this.#maxFrame, data.length) })
    } catch (err) {
      // Invalid framing is a hard error (spec): drop the connection and resume from the cursor.
      this.#error(new StreamClosedError('STREAM_BAD_FRAME', (err as Error).message, { cause: err }))
      this.#conn.restart()
      return
    }
    if (frame.op === -1) {
      const body = (frame as { body: { error: string; message?: string } }).body
      const err = new StreamClosedError(
        'STREAM_ERROR_FRAME',
        `server sent an error; error=${body.error} message=${body.message ?? ''}`,
        { error: body.error },
      )
      this.#error(err)
      // A future cursor will not fix itself by reconnecting.
      if (body.error === 'FutureCursor')
        this.#fail(
          new FirehoseError('FUTURE_CURSOR', 'the server says the cursor is in the future', { cause: err }),
        )
      else this.#conn.restart()
      return
    }
    if (frame.op !== 1) return
    const body = frame.body as { seq?: unknown; repo?: unknown; did?: unknown }
    const seq = typeof body.seq === 'number' && Number.isSafeInteger(body.seq) ? body.seq : undefined
    if (seq !== undefined && this.#lastReceived !== undefined) {
      if (seq === this.#lastReceived) {
        // an inclusive replay of the cursor event (the spec allows servers to resend it)
        this.stats.duplicates++
        return
      }
      if (seq < this.#lastReceived) {
        // spec: a sequence going backwards is an error; reconnect rather than drop it as duplicates
        this.#error(
          new FirehoseError('SEQUENCE_RESET', `seq went backwards; seq=${seq} last=${this.#lastReceived}`, {
            seq,
          }),
        )
        this.#conn.restart()
        return
      }
    }
    if (seq !== undefined) this.#lastReceived = seq
    this.stats.received++
    const size = data.length
    const did =
      typeof body.repo === 'string' ? body.repo : typeof body.did === 'string' ? body.did : undefined
    if (size > this.#maxFrame) {
      this.#track(seq, did ?? '#frame', 0, async () => ({
        rejects: [
          {
            code: 'FRAME_TOO_LARGE',
            message: `frame exceeds maxFrameSize; size=${size}`,
            seq,
            did,
            t: frame.t,
            resync: false,
          },
        ],
      }))
      return
    }
    const parsed = parseRepoEvent(frame, this.#opts.limits)
    if (!parsed.success) {
      const first = parsed.issues[0]
      this.#track(seq, did ?? '#frame', 0, async () => ({
        rejects: [
          {
            code: 'BAD_EVENT',
            message: `${first?.path}: ${first?.message}`,
            seq,
            did,
            t: frame.t,
            resync: false,
          },
        ],
      }))
      return
    }
    const evt = parsed.value
    if (did !== undefined && this.#dids !== undefined && !this.#dids.has(did)) {
      this.stats.filtered++
      this.#track(seq, did, 0, async () => ({}))
      return
    }
    switch (evt.$type) {
      case '#commit':
        this.#track(evt.seq, evt.repo, size, () => this.#handleCommit(evt, data))
        return
      case '#sync':
        this.#track(evt.seq, evt.did, size, () => this.#handleSync(evt))
        return
      case '#identity':
        this.#track(evt.seq, evt.did, size, () => this.#handleIdentity(evt))
        return
      case '#account':
        this.#track(evt.seq, evt.did, size, () => this.#handleAccount(evt))
        return
      case '#info':
        this.#track(undefined, '#info', size, async () => ({ deliver: { type: 'info', event: evt } }))
        return
      default:
        // tracked like any event: the cursor never passes it while its handler runs
        this.#track(seq, '#unknown', size, async () => ({ deliver: { type: 'unknown', event: evt } }))
    }
  }

  /**
   * Queues an event's work on its DID's lane. The work decides (reads state, authenticates,
   * resyncs); then the event is delivered, then its writes and the cursor are committed. Any
   * failure retries the whole step; only a committed event moves the cursor.
   */
  #track(seq: number | undefined, key: string, bytes: number, work: () => Promise<Outcome>): void {
    if (seq !== undefined) this.#cursor.start(seq)
    this.#pendingBytes += bytes
    this.#scheduler.push(key, async () => {
      let done = false
      try {
        done = await this.#run(seq, work)
      } finally {
        this.#pendingBytes -= bytes
        if (done && seq !== undefined) {
          const moved = this.#cursor.finish(seq)
          if (moved !== undefined) this.#kickCommits()
        }
        this.#afterTask()
      }
    })
    const pending = this.#scheduler.pending
    if (pending > this.#maxPending) this.#maxPending = pending
    if (!this.#paused && (pending >= this.#maxQueue || this.#pendingBytes >= this.#maxQueueBytes)) {
      this.#paused = true
      this.#conn.pause()
    }
  }

  async #run(seq: number | undefined, work: () => Promise<Outcome>): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      if (this.#state === 'failed') return false
      try {
        const out = await work()
        if (out.duplicate) this.stats.duplicates++
        if (out.ignored) this.stats.ignored++
        if (out.resynced && this.#opts.onResync) {
          const repo = out.resynced
          await this.#call(() => (this.#opts.onResync as (r: ResyncedRepo) => unknown)(repo), seq)
        }
        if (out.deliver) {
          const event = out.deliver
          await this.#call(() => this.#opts.onEvent(event), seq)
          this.stats.delivered++
        }
        if ((out.repos?.length ?? 0) + (out.accounts?.length ?? 0) > 0)
          await this.#commit(out.repos ?? [], out.accounts ?? [])
        if (out.resynced) this.#resyncBackoff.delete(out.resynced.did)
        for (const r of out.rejects ?? []) this.#reject(r)
        return true
      } catch (err) {
        this.#error(err)
        const stopping = this.#state === 'stopping' || this.#state === 'stopped'
        if (stopping) return false
        if (attempt + 1 >= this.#attempts) {
          this.#fail(
            new FirehoseError(
              'DELIVERY_FAILED',
              `event not delivered after ${attempt + 1} attempts; seq=${seq}`,
              {
                seq,
                cause: err,
              },
            ),
          )
          return false
        }
        this.stats.retries++
        await this.#sleep(backoffDelay(attempt, { minDelayMs: 100, maxDelayMs: 5000, ...this.#opts.retry }))
      }
    }
  }

  /** Runs a user callback with the handler timeout. */
  async #call(fn: () => unknown, seq: number | undefined): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new FirehoseError(
              'HANDLER_TIMEOUT',
              `handler did not settle in ${this.#timeoutMs} ms; seq=${seq}`,
              { seq },
            ),
          ),
        this.#timeoutMs,
      )
    })
    try {
      await Promise.race([Promise.resolve().then(fn), timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.#abort.signal
      if (signal.aborted) return resolve()
      const t = setTimeout(done, ms)
      function done(): void {
        clearTimeout(t)
        signal.removeEventListener('abort', done)
        resolve()
      }
      signal.addEventListener('abort', done)
    })
  }

  /** Queues writes for the next group commit (with the cursor as it stands then). */
  #commit(repos: RepoWrite[], accounts: AccountWrite[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#commitQueue.push({ repos, accounts, resolve, reject })
      this.#kickCommits()
    })
  }

  #kickCommits(): void {
    if (this.#committing) return
    this.#committing = this.#commitLoop().then((ok) => {
      this.#committing = undefined
      // work queued while the loop was finishing: run again (a failed cursor-only commit waits
      // for the next event instead of spinning)
      const c = this.#cursor.value
      if (this.#commitQueue.length > 0 || (ok && c !== undefined && c !== this.#savedCursor))
        this.#kickCommits()
    })
  }

  async #flushCommits(): Promise<void> {
    this.#kickCommits()
    while (this.#committing) await this.#committing
  }

  async #commitLoop(): Promise<boolean> {
    // one commit at a time, so cursors reach the store in order
    for (;;) {
      const jobs = this.#commitQueue
      this.#commitQueue = []
      const cursor = this.#cursor.value
      const moveCursor = cursor !== undefined && cursor !== this.#savedCursor
      if (jobs.length === 0 && !moveCursor) return true
      const batch = {
        repos: jobs.flatMap((j) => j.repos),
        accounts: jobs.flatMap((j) => j.accounts),
        ...(moveCursor ? { cursor: { stream: this.#stream, seq: cursor } } : {}),
      }
      try {
        await this.#store.commit(batch)
        if (moveCursor) this.#savedCursor = cursor
        for (const j of jobs) j.resolve()
      } catch (err) {
        for (const j of jobs) j.reject(err)
        if (jobs.length === 0) {
          // a cursor-only commit: the next event's commit carries the cursor again
          this.#error(err)
          return false
        }
      }
    }
  }

  #afterTask(): void {
    // resume at half capacity, so the socket does not flap between paused and reading
    if (
      this.#paused &&
      this.#scheduler.pending - 1 <= this.#maxQueue / 2 &&
      this.#pendingBytes <= this.#maxQueueBytes / 2
    ) {
      this.#paused = false
      this.#conn.resume()
    }
  }

  async #handleIdentity(evt: IdentityEvent): Promise<Outcome> {
    // spec: update cached identity data. Forget the key and the host; the next commit resolves them afresh.
    this.#hosts?.forget(evt.did)
    await invalidateKey(this.#keys, evt.did)
    return { deliver: { type: 'identity', seq: evt.seq, did: evt.did, event: evt } }
  }

  async #handleAccount(evt: AccountEvent): Promise<Outcome> {
    const input: SyncInput = evt.active
      ? 'account-active'
      : evt.status === 'deleted'
        ? 'account-deleted'
        : 'account-inactive'
    const status = await this.#status(evt.did)
    const tr = syncTransition(status === 'resyncing' ? 'desynchronized' : status, input)
    const out: Outcome = { deliver: { type: 'account', seq: evt.seq, did: evt.did, event: evt } }
    if (this.#trackAccounts)
      out.accounts = [{ did: evt.did, status: { active: evt.active, status: evt.status } }]
    // The repository is gone: its chain state goes too, so one created again under the DID starts anew.
    if (tr.name === 'account-deleted') out.repos = [{ did: evt.did, state: null }]
    return out
  }

  /** The repository's status for the table: `inactive` when its account is not active. */
  async #status(did: string, prior?: RepoState): Promise<RepoSyncStatus> {
    if (this.#trackAccounts) {
      const a = await this.#store.getAccount(did)
      if (a !== undefined && !a.active) return 'inactive'
    }
    return prior?.status ?? 'unknown'
  }

  async #gate(
    did: string,
    seq: number,
    t: '#commit' | '#sync',
    prior: RepoState | undefined,
  ): Promise<Outcome | null> {
    const status = await this.#status(did, prior)
    if (status === 'inactive') {
      const a = await this.#store.getAccount(did)
      return {
        rejects: [
          {
            code: 'ACCOUNT_INACTIVE',
            message: `account is not active; did=${did} status=${a?.status ?? ''}`,
            seq,
            did,
            t,
            resync: false,
            accountStatus: a?.status,
          },
        ],
      }
    }
    if (this.#hosts !== undefined) {
      const h = await this.#hosts.check(did)
      if (!h.ok) return { rejects: [{ code: h.code, message: h.message, seq, did, t, resync: false }] }
    }
    return null
  }

  /**
   * Fetches and verifies the repository, at least as new as `floor` (the state the stream
   * announced). `force` skips the per-DID backoff (the event that found the break). Failures are
   * rejections and push the next attempt back.
   */
  async #resync(
    did: string,
    floor: RepoState,
    seq: number,
    force: boolean,
  ): Promise<{ repo: ResyncedRepo } | { rejects: FirehoseRejection[] }> {
    const fetchRepo = this.#fetchRepo as RepoFetcher
    const backoff = this.#resyncBackoff.get(did)
    if (!force && backoff !== undefined && Date.now() < backoff.nextAt)
      return {
        rejects: [
          { code: 'DESYNCHRONIZED', message: 'repository is waiting for a resync', seq, did, resync: true },
        ],
      }
    try {
      const repo = await resyncRepo({
        did,
        fetchRepo,
        keys: this.#keys,
        signal: this.#abort.signal,
        atLeast: { rev: floor.rev, data: floor.data },
      })
      return { repo }
    } catch (err) {
      const failures = (backoff?.failures ?? 0) + 1
      this.#resyncBackoff.delete(did)
      if (this.#resyncBackoff.size >= MAX_RESYNC_ENTRIES) {
        const oldest = this.#resyncBackoff.keys().next().value
        if (oldest !== undefined) this.#resyncBackoff.delete(oldest)
      }
      this.#resyncBackoff.set(did, {
        failures,
        nextAt:
          Date.now() +
          backoffDelay(failures - 1, {
            minDelayMs: this.#opts.resyncBackoff?.minDelayMs ?? 1000,
            maxDelayMs: this.#opts.resyncBackoff?.maxDelayMs ?? MAX_RESYNC_BACKOFF_MS,
          }),
      })
      const code =
        err instanceof ResyncError && (err.code === 'RESYNC_ROLLBACK' || err.code === 'RESYNC_FORK')
          ? err.code
          : 'RESYNC_FAILED'
      return { rejects: [{ code, message: (err as Error).message, seq, did, resync: true }] }
    }
  }

  #stateOf(repo: ResyncedRepo, seq: number): RepoState {
    return { rev: repo.rev, data: repo.data, status: 'synchronized', seq }
  }

  #filterOps(e: FirehoseEvent): FirehoseEvent | undefined {
    const match = this.#collections
    if (match === undefined || e.type !== 'commit' || e.verified === null) return e
    const ops = e.verified.ops.filter((op) => match(op.collection))
    if (ops.length === 0) {
      this.stats.filtered++
      return undefined
    }
    return ops.length === e.verified.ops.length ? e : { ...e, verified: { ...e.verified, ops } }
  }

  /** `frame`: the bytes the event was decoded from (a pool authenticator is sent its body as is). */
  async #handleCommit(evt: CommitEvent, frame: Uint8Array): Promise<Outcome> {
    const did = evt.repo
    const seq = evt.seq
    if (this.#opts.authenticate === false) {
      const gated = await this.#gate(did, seq, '#commit', undefined)
      if (gated) return gated
      return { deliver: { type: 'commit', seq, did, event: evt, verified: null } }
    }
    let prior = await this.#store.getRepo(did)
    const gated = await this.#gate(did, seq, '#commit', prior)
    if (gated) return gated
    // committed before a restart: its rev and seq are at or below the stored ones
    if (prior !== undefined && evt.rev <= prior.rev && prior.seq !== undefined && seq <= prior.seq) {
      syncTransition(prior.status, 'commit-replayed')
      return { duplicate: true }
    }
    const out: Outcome = {}
    if (prior?.status === 'desynchronized' && this.#fetchRepo === null) {
      // desynchronized by an earlier run that could resync; without a fetcher, re-base on the
      // stream from here (unproven), as a chain break does without one
      prior = { ...prior, status: 'synchronized', unproven: true }
    }
    if (prior?.status === 'desynchronized') {
      syncTransition('desynchronized', 'commit-valid')
      const rs = await this.#resync(did, prior, seq, false)
      if (!('repo' in rs)) {
        syncTransition('resyncing', 'resync-failed')
        const rejects = rs.rejects
        if (rejects[0]?.code !== 'DESYNCHRONIZED')
          rejects.push({
            code: 'DESYNCHRONIZED',
            message: 'repository is waiting for a resync',
            seq,
            did,
            t: '#commit',
            resync: true,
          })
        return { rejects }
      }
      syncTransition('resyncing', 'resync-succeeded')
      out.resynced = rs.repo
      prior = this.#stateOf(rs.repo, seq)
      out.repos = [{ did, state: prior }]
      // the fetched repository already holds this commit
      if (evt.rev <= rs.repo.rev) return out
    }
    const authenticator = this.#opts.authenticator
    const r = await (authenticator ?? INLINE).authenticateCommit(evt, {
      keys: this.#keys,
      prior,
      ...(this.#opts.lenient === true ? { lenient: true } : {}),
      ...(authenticator === undefined ? {} : { body: frameBody(frame) }),
    })
    const status: RepoSyncStatus = prior?.status ?? 'unknown'
    if (r.success) {
      const tr = syncTransition(status, 'commit-valid')
      const state: RepoState = {
        rev: r.value.rev,
        data: r.value.data,
        status: tr.next as 'synchronized',
        seq,
      }
      // an unproven link leaves the whole chain after it unproven
      if (r.value.unproven === true || prior?.unproven === true) state.unproven = true
      out.repos = [{ did, state }]
      out.deliver = this.#filterOps({ type: 'commit', seq, did, event: evt, verified: r.value })
      return out
    }
    const rejection: FirehoseRejection = {
      code: r.code,
      message: r.message,
      seq,
      did,
      t: '#commit',
      resync: r.resync,
    }
    out.rejects = [rejection]
    if (r.code !== 'CHAIN_BREAK' || r.verified === undefined) {
      syncTransition(status, 'commit-invalid')
      return out
    }
    syncTransition(status, 'commit-chain-break')
    const head = r.verified
    if (this.#fetchRepo === null) {
      // no resync hook: the signed commit becomes the new base of the chain, unproven
      out.repos = [
        { did, state: { rev: head.rev, data: head.data, status: 'synchronized', seq, unproven: true } },
      ]
      return out
    }
    const desync: RepoState = { rev: head.rev, data: head.data, status: 'desynchronized', seq }
    const rs = await this.#resync(did, desync, seq, true)
    if ('repo' in rs) {
      out.resynced = rs.repo
      out.repos = [{ did, state: this.#stateOf(rs.repo, seq) }]
    } else {
      out.repos = [{ did, state: desync }]
      out.rejects.push(...rs.rejects)
    }
    return out
  }

  async #handleSync(evt: SyncEvent): Promise<Outcome> {
    const did = evt.did
    const seq = evt.seq
    if (this.#opts.authenticate === false) {
      const gated = await this.#gate(did, seq, '#sync', undefined)
      if (gated) return gated
      return { deliver: { type: 'sync', seq, did, event: evt, verified: null } }
    }
    const prior = await this.#store.getRepo(did)
    const gated = await this.#gate(did, seq, '#sync', prior)
    if (gated) return gated
    if (prior !== undefined && evt.rev === prior.rev) {
      // sync spec: a #sync at the rev already held is normal traffic; ignore it
      syncTransition(prior.status, 'sync-at-held-rev')
      return { ignored: true }
    }
    if (prior !== undefined && evt.rev < prior.rev && prior.seq !== undefined && seq <= prior.seq)
      return { duplicate: true }
    const r = await authenticateSync(evt, { keys: this.#keys, prior })
    if (!r.success)
      return { rejects: [{ code: r.code, message: r.message, seq, did, t: '#sync', resync: false }] }
    const v = r.value
    const status: RepoSyncStatus = prior?.status ?? 'unknown'
    const input: SyncInput = prior !== undefined && v.action === 'none' ? 'sync-same-tree' : 'sync-new-tree'
    const tr = syncTransition(status, input)
    const out: Outcome = { deliver: { type: 'sync', seq, did, event: evt, verified: v } }
    if (tr.action === 'deliver') {
      out.repos = [{ did, state: { rev: v.rev, data: v.data, status: 'synchronized', seq } }]
      return out
    }
    // a new tree, a first #sync, or any #sync of a desynchronized repository: resync
    if (this.#fetchRepo === null) {
      out.repos = [{ did, state: { rev: v.rev, data: v.data, status: 'synchronized', seq, unproven: true } }]
      return out
    }
    const desync: RepoState = { rev: v.rev, data: v.data, status: 'desynchronized', seq }
    const rs = await this.#resync(did, desync, seq, true)
    if ('repo' in rs) {
      out.resynced = rs.repo
      out.repos = [{ did, state: this.#stateOf(rs.repo, seq) }]
    } else {
      out.repos = [{ did, state: desync }]
      out.rejects = rs.rejects
    }
    return out
  }
}
