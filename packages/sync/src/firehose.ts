import { type DidDocument, getPdsEndpoint, IdResolver } from '@rsky/identity'
import { type AccountStatusStore, MemoryAccountStatusStore } from './account-status.ts'
import {
  type AuthRejectCode,
  authenticateCommit,
  authenticateSync,
  type CommitAuthenticator,
  type VerifiedCommit,
  type VerifiedSync,
} from './authenticate.ts'
import { type ReconnectOptions, StreamConnection } from './connection.ts'
import { CursorSaver, type CursorStore, SafeCursor } from './cursor.ts'
import { StreamClosedError } from './errors.ts'
import {
  type AccountEvent,
  type CommitEvent,
  type EventLimits,
  type IdentityEvent,
  type InfoEvent,
  parseRepoEvent,
  type SyncEvent,
  type UnknownEvent,
} from './events.ts'
import { DEFAULT_MAX_FRAME_SIZE, decodeFrame } from './frame.ts'
import { invalidateKey, type SignatureVerifier } from './keys.ts'
import { MemoryRepoStateStore, type RepoStateStore } from './repo-state.ts'
import {
  getRepoFetcher,
  type RepoFetcher,
  ResyncError,
  type ResyncedRepo,
  type ResyncFloor,
  resyncRepo,
} from './resync.ts'
import { KeyedScheduler } from './scheduler.ts'
import type { SocketFactory } from './ws/types.ts'

/** An event the firehose client hands to `onEvent`, after authentication where it applies. */
export type FirehoseEvent =
  | { type: 'commit'; seq: number; did: string; event: CommitEvent; verified: VerifiedCommit | null }
  | { type: 'sync'; seq: number; did: string; event: SyncEvent; verified: VerifiedSync | null }
  | { type: 'identity'; seq: number; did: string; event: IdentityEvent }
  | { type: 'account'; seq: number; did: string; event: AccountEvent }
  | { type: 'info'; event: InfoEvent }
  | { type: 'unknown'; event: UnknownEvent }

/** Why the client did not deliver an event. */
export type FirehoseRejectCode =
  | AuthRejectCode
  | 'BAD_EVENT'
  | 'FRAME_TOO_LARGE'
  | 'DESYNCHRONIZED'
  | 'RESYNC_FAILED'
  | 'RESYNC_ROLLBACK'
  | 'RESYNC_FORK'
  | 'ACCOUNT_INACTIVE'
  | 'WRONG_HOST'
  | 'HOST_UNAVAILABLE'

/** An event (or frame) the client refused, with its reason. */
export interface FirehoseRejection {
  code: FirehoseRejectCode
  message: string
  seq?: number | undefined
  did?: string | undefined
  t?: string | undefined
  /** True when the repository was (or must be) resynchronised. */
  resync: boolean
  /** With `ACCOUNT_INACTIVE`: the account's `status` (`takendown`, `deactivated`, ...), if given. */
  accountStatus?: string | undefined
}

/** Options of {@link Firehose}. */
export interface FirehoseOptions {
  /** Service base URL, e.g. `wss://bsky.network` (the path `/xrpc/com.atproto.sync.subscribeRepos` is added). */
  service: string
  /** Called for every accepted event; per DID in stream order, different DIDs in parallel. */
  onEvent: (event: FirehoseEvent) => Promise<void> | void
  /** Called for each rejected event or frame. */
  onReject?: (rejection: FirehoseRejection) => void
  /** Connection, store and handler errors (the client keeps running). */
  onError?: (err: unknown) => void
  /** Called after a repository was fetched and verified again. */
  onResync?: (repo: ResyncedRepo) => Promise<void> | void
  /** Signature checks (default: an @rsky/identity `IdResolver`). */
  keys?: SignatureVerifier
  /**
   * Check that each `#commit` and `#sync` comes from the host its DID document names as PDS
   * (spec: a service subscribed directly to PDS instances rejects events from a host that is not
   * the account's current one). Events of a DID hosted elsewhere are rejected as `WRONG_HOST`
   * (after fetching the DID document once more, since accounts move), and those whose host cannot
   * be resolved as `HOST_UNAVAILABLE`. Default false: leave it off when reading a relay.
   */
  checkHost?: boolean
  /**
   * Where `checkHost` finds each DID's PDS endpoint. Default: the DID documents of `keys` when it is
   * an @rsky/identity `IdResolver` or `DidResolver`, else a new `IdResolver`.
   */
  hosts?: PdsResolver
  /** Authenticate `#commit` and `#sync` events (default true). */
  authenticate?: boolean
  /**
   * Where commits are authenticated (default {@link authenticateCommit} on this thread). Pass a
   * `CommitAuthPool` from `@rsky/sync/node` to spread them over worker threads by DID.
   */
  authenticator?: CommitAuthenticator
  /**
   * Per-repository state for chain checks (default in memory). An `#account` event with
   * `active: false` and `status: 'deleted'` deletes the DID's state.
   */
  repoState?: RepoStateStore
  /**
   * Hosting status per DID, kept from `#account` events (default in memory, inactive accounts
   * only). `#commit` and `#sync` of an account that is not active are not handled: each is
   * reported to `onReject` as `ACCOUNT_INACTIVE`. `null` tracks nothing and handles every account.
   */
  accountStatus?: AccountStatusStore | null
  /** Cursor persistence (default none). The saved cursor never passes an unfinished event. */
  cursorStore?: CursorStore
  /** Start cursor; overrides the store. */
  cursor?: number
  /** Repository fetcher for resyncs (default `getRepo` on the service's https URL); `null` disables resync. */
  fetchRepo?: RepoFetcher | null
  /** Most events queued or being handled before the socket stops reading. Default 1,000. */
  maxQueue?: number
  /** Most DIDs handled at once. Default 32. */
  concurrency?: number
  /** Largest frame accepted (bigger ones are rejected as FRAME_TOO_LARGE). Default 5 MiB. */
  maxFrameSize?: number
  /** Hard cap on one WebSocket message; bigger ones drop the connection. Default 16 MiB. */
  maxMessageSize?: number
  reconnect?: ReconnectOptions
  /** Opens sockets (default: `ws` in Node, the global WebSocket elsewhere). */
  socketFactory?: SocketFactory
  limits?: EventLimits
}

const INLINE: CommitAuthenticator = { authenticateCommit }

/** Finds the PDS endpoint (an https URL) a DID document names; `forceRefresh` fetches it again. */
export interface PdsResolver {
  resolvePdsEndpoint(
    did: string,
    opts?: { forceRefresh?: boolean },
  ): Promise<string | undefined> | string | undefined
}

interface DocResolver {
  resolve(did: string, opts?: { forceRefresh?: boolean }): Promise<DidDocument>
}

function docResolverOf(v: unknown): DocResolver | undefined {
  const inner = (v as { did?: unknown } | null)?.did
  for (const c of [inner, v]) {
    if (c !== null && typeof c === 'object' && typeof (c as DocResolver).resolve === 'function')
      return c as DocResolver
  }
  return undefined
}

/** A {@link PdsResolver} over @rsky/identity's `IdResolver` or `DidResolver` (their DID-document cache). */
function pdsResolverOf(keys: unknown): PdsResolver {
  const docs = docResolverOf(keys) ?? (new IdResolver().did as DocResolver)
  return {
    async resolvePdsEndpoint(did, opts) {
      return getPdsEndpoint(
        await docs.resolve(did, opts?.forceRefresh === true ? { forceRefresh: true } : {}),
      )
    },
  }
}

/** `host[:port]` of a URL, lower-cased, default ports dropped (ws/http and wss/https compare equal). */
function hostOf(url: string): string | undefined {
  try {
    const u = new URL(url.replace(/^ws(s?):\/\//i, 'http$1://'))
    return u.host.toLowerCase()
  } catch {
    return undefined
  }
}

/** Most DIDs whose PDS host is remembered for `checkHost`; the oldest are forgotten first. */
const MAX_HOST_CACHE = 100_000

function httpBase(service: string): string {
  return service.replace(/^ws(s?):\/\//, 'http$1://')
}

/** Counters of a {@link Firehose}. */
export interface FirehoseStats {
  received: number
  delivered: number
  rejected: number
  duplicates: number
  connections: number
}

/**
 * A `com.atproto.sync.subscribeRepos` client that authenticates every commit (sync 1.1), resumes
 * from its cursor after any disconnect, delivers each event once, keeps one DID's events in order
 * while running DIDs in parallel, and stops reading the socket while its queue is full.
 * @example
 * const fh = new Firehose({ service: 'wss://bsky.network', cursorStore, onEvent: async (e) => {
 *   if (e.type === 'commit') for (const op of e.verified!.ops) index(op)
 * } })
 * await fh.start()
 */
export class Firehose {
  readonly #opts: FirehoseOptions
  readonly #keys: SignatureVerifier
  readonly #states: RepoStateStore
  readonly #accounts: AccountStatusStore | null
  readonly #fetchRepo: RepoFetcher | null
  readonly #conn: StreamConnection
  readonly #scheduler: KeyedScheduler
  readonly #maxQueue: number
  readonly #maxFrame: number
  #cursor: SafeCursor = new SafeCursor()
  #saver: CursorSaver | undefined
  #lastReceived: number | undefined
  #paused = false
  #maxPending = 0
  readonly #hosts: PdsResolver | undefined
  readonly #hostCache: Map<string, string | undefined> = new Map()
  readonly #serviceHost: string | undefined
  readonly stats: FirehoseStats = { received: 0, delivered: 0, rejected: 0, duplicates: 0, connections: 0 }

  constructor(opts: FirehoseOptions) {
    if (typeof opts?.service !== 'string') throw new TypeError('Firehose: service must be a URL string')
    if (typeof opts.onEvent !== 'function') throw new TypeError('Firehose: onEvent must be a function')
    this.#opts = opts
    this.#keys = opts.keys ?? new IdResolver()
    this.#states = opts.repoState ?? new MemoryRepoStateStore()
    this.#accounts =
      opts.accountStatus === null ? null : (opts.accountStatus ?? new MemoryAccountStatusStore())
    this.#fetchRepo =
      opts.fetchRepo === null ? null : (opts.fetchRepo ?? getRepoFetcher(httpBase(opts.service)))
    this.#maxQueue = opts.maxQueue ?? 1000
    this.#serviceHost = hostOf(opts.service)
    this.#hosts = opts.checkHost === true ? (opts.hosts ?? pdsResolverOf(this.#keys)) : undefined
    this.#maxFrame = opts.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE
    if (!(Number.isSafeInteger(this.#maxQueue) && this.#maxQueue > 0))
      throw new RangeError('Firehose: maxQueue must be a positive integer')
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
        },
        error: (err) => this.#error(err),
      },
    })
  }

  /** The safe cursor: every event up to it has been handled. */
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

  /** Loads the cursor and connects. */
  async start(): Promise<void> {
    let start = this.#opts.cursor
    if (this.#opts.cursorStore) {
      this.#saver = new CursorSaver(this.#opts.cursorStore, (e) => this.#error(e))
      if (start === undefined) start = (await this.#opts.cursorStore.load()) ?? undefined
    }
    this.#cursor = new SafeCursor(start)
    this.#lastReceived = start
    this.#conn.start()
  }

  /** Disconnects, lets queued events finish, and saves the final cursor. */
  async stop(): Promise<void> {
    this.#conn.stop()
    await this.#scheduler.idle()
    await this.#saver?.flush()
  }

  /** Resolves when every received event has been handled. */
  idle(): Promise<void> {
    return this.#scheduler.idle()
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
        {
          error: body.error,
        },
      )
      this.#error(err)
      // A future cursor will not fix itself by reconnecting.
      if (body.error === 'FutureCursor') this.#conn.stop()
      else this.#conn.restart()
      return
    }
    if (frame.op !== 1) return
    const parsed = parseRepoEvent(frame, this.#opts.limits)
    const body = frame.body as { seq?: unknown; repo?: unknown; did?: unknown }
    const seq = typeof body.seq === 'number' ? body.seq : undefined
    if (seq !== undefined) {
      if (this.#lastReceived !== undefined && seq <= this.#lastReceived) {
        this.stats.duplicates++
        return
      }
      this.#lastReceived = seq
    }
    this.stats.received++
    if (data.length > this.#maxFrame) {
      this.#reject({
        code: 'FRAME_TOO_LARGE',
        message: `frame exceeds maxFrameSize; size=${data.length}`,
        seq,
        t: frame.t,
        resync: false,
      })
      if (seq !== undefined) this.#track(seq, 'frame', async () => {})
      return
    }
    if (!parsed.success) {
      const did =
        typeof body.repo === 'string' ? body.repo : typeof body.did === 'string' ? body.did : undefined
      const first = parsed.issues[0]
      this.#reject({
        code: 'BAD_EVENT',
        message: `${first?.path}: ${first?.message}`,
        seq,
        did,
        t: frame.t,
        resync: false,
      })
      if (seq !== undefined) this.#track(seq, did ?? 'frame', async () => {})
      return
    }
    const evt = parsed.value
    switch (evt.$type) {
      case '#commit':
        this.#track(evt.seq, evt.repo, () => this.#handleCommit(evt))
        return
      case '#sync':
        this.#track(evt.seq, evt.did, () => this.#handleSync(evt))
        return
      case '#identity':
        this.#track(evt.seq, evt.did, () => this.#handleIdentity(evt))
        return
      case '#account':
        this.#track(evt.seq, evt.did, () => this.#handleAccount(evt))
        return
      case '#info':
        this.#scheduler.push('#info', () => this.#deliver({ type: 'info', event: evt }))
        return
      default:
        this.#scheduler.push('#unknown', () => this.#deliver({ type: 'unknown', event: evt }))
    }
  }

  #track(seq: number, key: string, task: () => Promise<void>): void {
    this.#cursor.start(seq)
    this.#scheduler.push(key, async () => {
      try {
        await task()
      } finally {
        const moved = this.#cursor.finish(seq)
        if (moved !== undefined) this.#saver?.save(moved)
        this.#afterTask()
      }
    })
    const pending = this.#scheduler.pending
    if (pending > this.#maxPending) this.#maxPending = pending
    if (!this.#paused && pending >= this.#maxQueue) {
      this.#paused = true
      this.#conn.pause()
    }
  }

  #afterTask(): void {
    // resume at half capacity, so the socket does not flap between paused and reading
    if (this.#paused && this.#scheduler.pending - 1 <= this.#maxQueue / 2) {
      this.#paused = false
      this.#conn.resume()
    }
  }

  async #deliver(event: FirehoseEvent): Promise<void> {
    try {
      await this.#opts.onEvent(event)
      this.stats.delivered++
    } catch (err) {
      this.#error(err)
    }
  }

  async #handleIdentity(evt: IdentityEvent): Promise<void> {
    // spec: update cached identity data. Forget the key and the host; the next commit resolves them afresh.
    this.#hostCache.delete(evt.did)
    try {
      await invalidateKey(this.#keys, evt.did)
    } catch (err) {
      this.#error(err)
    }
    return this.#deliver({ type: 'identity', seq: evt.seq, did: evt.did, event: evt })
  }

  async #handleAccount(evt: AccountEvent): Promise<void> {
    if (this.#accounts !== null) {
      try {
        await this.#accounts.set(evt.did, { active: evt.active, status: evt.status })
      } catch (err) {
        this.#error(err)
      }
    }
    if (!evt.active && evt.status === 'deleted') {
      // The repository is gone: its chain state goes too (whether or not statuses are tracked),
      // so a repository created again under this DID is not held to the old chain.
      try {
        await this.#states.delete(evt.did)
      } catch (err) {
        this.#error(err)
      }
    }
    return this.#deliver({ type: 'account', seq: evt.seq, did: evt.did, event: evt })
  }

  /** Rejects the event (`ACCOUNT_INACTIVE`) when the account is not active; spec: ignore it. */
  async #inactive(did: string, seq: number, t: '#commit' | '#sync'): Promise<boolean> {
    if (this.#accounts === null) return false
    const status = await this.#accounts.get(did)
    if (status === undefined || status.active) return false
    this.#reject({
      code: 'ACCOUNT_INACTIVE',
      message: `account is not active; did=${did} status=${status.status ?? ''}`,
      seq,
      did,
      t,
      resync: false,
      accountStatus: status.status,
    })
    return true
  }

  async #pdsHost(did: string, forceRefresh: boolean): Promise<string | undefined> {
    if (!forceRefresh && this.#hostCache.has(did)) return this.#hostCache.get(did)
    const endpoint = await (this.#hosts as PdsResolver).resolvePdsEndpoint(
      did,
      forceRefresh ? { forceRefresh: true } : undefined,
    )
    const host = endpoint === undefined ? undefined : hostOf(endpoint)
    this.#hostCache.delete(did)
    if (this.#hostCache.size >= MAX_HOST_CACHE) {
      const oldest = this.#hostCache.keys().next().value
      if (oldest !== undefined) this.#hostCache.delete(oldest)
    }
    this.#hostCache.set(did, host)
    return host
  }

  /**
   * With `checkHost`: rejects the event (`WRONG_HOST`, `HOST_UNAVAILABLE`) unless the DID document
   * names this stream's host as the account's PDS; a mismatch is checked again on a fresh document.
   */
  async #wrongHost(did: string, seq: number, t: '#commit' | '#sync'): Promise<boolean> {
    if (this.#hosts === undefined) return false
    let host: string | undefined
    try {
      host = await this.#pdsHost(did, false)
      if (host !== this.#serviceHost) host = await this.#pdsHost(did, true)
    } catch (err) {
      this.#reject({
        code: 'HOST_UNAVAILABLE',
        message: `could not resolve the account's PDS; did=${did} cause=${(err as Error)?.message}`,
        seq,
        did,
        t,
        resync: false,
      })
      return true
    }
    if (host === this.#serviceHost) return false
    this.#reject({
      code: 'WRONG_HOST',
      message: `account is hosted elsewhere; did=${did} pds=${host ?? 'none'} stream=${this.#serviceHost}`,
      seq,
      did,
      t,
      resync: false,
    })
    return true
  }

  async #handleCommit(evt: CommitEvent): Promise<void> {
    if (await this.#inactive(evt.repo, evt.seq, '#commit')) return
    if (await this.#wrongHost(evt.repo, evt.seq, '#commit')) return
    if (this.#opts.authenticate === false) {
      return this.#deliver({ type: 'commit', seq: evt.seq, did: evt.repo, event: evt, verified: null })
    }
    let prior = await this.#states.get(evt.repo)
    if (prior?.status === 'desynchronized') {
      if (!(await this.#resync(evt.repo, evt.seq))) {
        this.#reject({
          code: 'DESYNCHRONIZED',
          message: 'repository is waiting for a resync',
          seq: evt.seq,
          did: evt.repo,
          t: '#commit',
          resync: true,
        })
        return
      }
      prior = await this.#states.get(evt.repo)
    }
    const r = await (this.#opts.authenticator ?? INLINE).authenticateCommit(evt, { keys: this.#keys, prior })
    if (r.success) {
      await this.#states.set(evt.repo, { rev: r.value.rev, data: r.value.data, status: 'synchronized' })
      return this.#deliver({ type: 'commit', seq: evt.seq, did: evt.repo, event: evt, verified: r.value })
    }
    this.#reject({
      code: r.code,
      message: r.message,
      seq: evt.seq,
      did: evt.repo,
      t: '#commit',
      resync: r.resync,
    })
    if (r.code === 'CHAIN_BREAK' && r.verified) {
      if (this.#fetchRepo === null) {
        // no resync hook: the authentic commit becomes the new base of the chain
        await this.#states.set(evt.repo, {
          rev: r.verified.rev,
          data: r.verified.data,
          status: 'synchronized',
        })
        return
      }
      await this.#states.set(evt.repo, {
        rev: r.verified.rev,
        data: r.verified.data,
        status: 'desynchronized',
      })
      await this.#resync(evt.repo, evt.seq)
    }
  }

  async #handleSync(evt: SyncEvent): Promise<void> {
    if (await this.#inactive(evt.did, evt.seq, '#sync')) return
    if (await this.#wrongHost(evt.did, evt.seq, '#sync')) return
    if (this.#opts.authenticate === false) {
      return this.#deliver({ type: 'sync', seq: evt.seq, did: evt.did, event: evt, verified: null })
    }
    const prior = await this.#states.get(evt.did)
    const r = await authenticateSync(evt, { keys: this.#keys, prior })
    if (!r.success) {
      this.#reject({
        code: r.code,
        message: r.message,
        seq: evt.seq,
        did: evt.did,
        t: '#sync',
        resync: false,
      })
      return
    }
    if (r.value.action === 'none' || this.#fetchRepo === null) {
      // the stored tree already matches, or there is no resync hook: the signed commit is the new base
      await this.#states.set(evt.did, { rev: r.value.rev, data: r.value.data, status: 'synchronized' })
    } else {
      await this.#states.set(evt.did, { rev: r.value.rev, data: r.value.data, status: 'desynchronized' })
      await this.#resync(evt.did, evt.seq)
    }
    return this.#deliver({ type: 'sync', seq: evt.seq, did: evt.did, event: evt, verified: r.value })
  }

  /**
   * Fetches and verifies the repository; on success its state is the fetched commit. The fetched
   * repository must be at least as new as the desynchronized state (the rev and tree of the
   * `#sync` or `#commit` that broke the chain): an older copy would roll the repository back.
   */
  async #resync(did: string, seq: number): Promise<boolean> {
    const fetchRepo = this.#fetchRepo
    const prior = await this.#states.get(did)
    if (fetchRepo === null) {
      // no resync hook: re-base on what the stream says from here on
      if (prior) await this.#states.set(did, { ...prior, status: 'synchronized' })
      return true
    }
    const atLeast: ResyncFloor | undefined =
      prior?.status === 'desynchronized' ? { rev: prior.rev, data: prior.data } : undefined
    try {
      const repo = await resyncRepo({ did, fetchRepo, keys: this.#keys, atLeast })
      await this.#states.set(did, { rev: repo.rev, data: repo.data, status: 'synchronized' })
      await this.#opts.onResync?.(repo)
      return true
    } catch (err) {
      const code =
        err instanceof ResyncError && (err.code === 'RESYNC_ROLLBACK' || err.code === 'RESYNC_FORK')
          ? err.code
          : 'RESYNC_FAILED'
      this.#reject({ code, message: (err as Error).message, seq, did, resync: true })
      return false
    }
  }
}
