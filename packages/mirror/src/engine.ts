// The sync engine: scope → backfill → live, over one MirrorStore. The live half (live-follower.ts)
// authenticates frames as they arrive and writes them in stream order, runs of them in one store
// transaction (records + repository state + cursors). Backfills run beside it; a repository still
// backfilling has its live commits buffered in the store and applied right after. With leases,
// several engines over one Postgres divide the DIDs' partitions between them (leases.ts).
import { IdResolver } from '@rsky/identity'
import {
  authenticateCommit,
  type CommitAuthenticator,
  type KeyResolver,
  type SocketFactory,
} from '@rsky/sync'
import { CommitAuthPool } from '@rsky/sync/node'
import { isValidNsid } from '@rsky/syntax'
import type { SpoolOptions } from './block-spool.ts'
import { MirrorError } from './errors.ts'
import { DEFAULT_FETCH_LIMITS, type FetchLimits, getRepoSource, type RepoSource } from './fetch-repo.ts'
import { isLeaseStore, LeaseKeeper, type LeaseOptions } from './leases.ts'
import { type Fence, partitionOf } from './live-batch.ts'
import { LiveFollower } from './live-follower.ts'
import { type RateLimit, rateLimitedSource, TokenBucket } from './rate-limit.ts'
import { openVerifiedRepo } from './repo-walk.ts'
import { listRepos, listReposByCollection, probeHost } from './scope.ts'
import { checkShard, inShard, type Shard } from './shard.ts'
import { SignatureThread } from './signature-thread.ts'
import type { MirrorStore } from './store.ts'
import { isStoreFault } from './store-fault.ts'
import type { PreparedCommit } from './types.ts'

/** Options of {@link MirrorEngine}. */
export interface MirrorOptions {
  store: MirrorStore
  /** The host: a PDS or a relay, `https://…` (or `http://` on loopback). */
  service: string
  /** Repositories to mirror. Without it: every repository of the host (`listRepos`) and every DID seen live. */
  dids?: readonly string[]
  /**
   * Scope by collection: mirror only repositories holding a record of one of these collections
   * (`com.atproto.sync.listReposByCollection` on the host, one listing per collection), plus
   * repositories first seen live in a commit that writes one of them. Every record of a scoped
   * repository is kept (narrow that with `collections`). Not with `dids`. A host without the
   * method fails `start` with MirrorError `SCOPE_UNSUPPORTED`.
   */
  scopeCollections?: readonly string[]
  /**
   * This engine's share when several run over one database: only DIDs whose FNV-1a hash modulo
   * `count` is `index` are backfilled and followed; the cursor is kept per shard.
   */
  shard?: Shard
  /** Keep only records of these collections (default all). */
  collections?: readonly string[]
  /** Signing keys and DID documents (default an @rsky/identity `IdResolver`, with `plcUrl` when given). */
  keys?: KeyResolver
  /** PLC directory for the default resolver. */
  plcUrl?: string
  /** Where commits are authenticated (default this thread; a `CommitAuthPool` spreads them over workers). */
  authenticator?: CommitAuthenticator
  /**
   * Authenticate live commits on this many worker threads (a `CommitAuthPool` the engine starts
   * and closes; ignored when `authenticator` is given). Default 0: on this thread.
   */
  authThreads?: number
  /**
   * Scale-out by leases (Postgres): the DIDs are split into `partitions`; this engine claims its
   * fair share of them, renews them by heartbeat and takes over those of engines that stopped
   * renewing. Every write checks the lease is still held. Not with `shard`.
   */
  lease?: LeaseOptions
  /** Backfills at once (default 4). */
  concurrency?: number
  /** Backfill attempts before a repository is parked (default 5). */
  maxAttempts?: number
  /** First retry delay in ms, doubled per attempt (default 1,000). */
  retryDelayMs?: number
  /** Limits of each `getRepo`. */
  fetchLimits?: FetchLimits
  /**
   * How much of each repository's CAR a backfill keeps in memory (`memoryBytes`, default 32 MiB)
   * before the rest goes to a temporary file in `spoolDir` (default the OS temporary directory).
   * Memory per backfill is bounded by this, not by the repository's size.
   */
  backfillMemory?: SpoolOptions
  /**
   * Most `getRepo` requests per second to the host (a token bucket; default none). `concurrency`
   * bounds how many run at once, this how often a new one starts.
   */
  rateLimit?: RateLimit
  /** Where repository CARs come from (default `getRepo` on `service`). */
  repoSource?: RepoSource
  /** Largest firehose frame (default 5 MiB); larger ones are rejected. */
  maxFrameSize?: number
  /** Frames received but not yet applied before the socket pauses (default 500). */
  maxQueue?: number
  /** Follow the firehose (default true). */
  live?: boolean
  socketFactory?: SocketFactory
  /** Each event or repository refused, with its reason (nothing of it was written). */
  onReject?: (r: { did: string | undefined; seq: number | undefined; code: string; message: string }) => void
  /** Connection and store errors the engine recovered from. */
  onError?: (err: unknown) => void
}

/** Counters of a running engine. */
export interface MirrorStats {
  backfilled: number
  backfillFailed: number
  parked: number
  recordsWritten: number
  commitsApplied: number
  commitsBuffered: number
  chainBreaks: number
  rejected: number
  eventsSeen: number
  /** Time of the last applied event (ISO string from the stream). */
  lastEventTime: string | undefined
}

const REPO_STATUS_PARK: ReadonlySet<string> = new Set([
  'RepoDeactivated',
  'RepoTakendown',
  'RepoSuspended',
  'RepoNotFound',
])

/**
 * Mirrors repositories of a host into a {@link MirrorStore} and keeps them current.
 * @throws MirrorError `HOST_UNREACHABLE` from `start` when the host does not answer
 * @example
 * const engine = new MirrorEngine({ store: SqliteMirrorStore.open('m.db'), service: 'https://pds.example' })
 * await engine.start()
 * // … later
 * await engine.stop()
 */
export class MirrorEngine {
  readonly stats: MirrorStats = {
    backfilled: 0,
    backfillFailed: 0,
    parked: 0,
    recordsWritten: 0,
    commitsApplied: 0,
    commitsBuffered: 0,
    chainBreaks: 0,
    rejected: 0,
    eventsSeen: 0,
    lastEventTime: undefined,
  }
  readonly #o: MirrorOptions
  readonly #store: MirrorStore
  readonly #keys: KeyResolver
  readonly #auth: CommitAuthenticator
  readonly #source: RepoSource
  readonly #stream: string
  readonly #http: string
  readonly #shard: Shard | undefined
  readonly #scope: ReadonlySet<string> | undefined
  readonly #scopeCollections: ReadonlySet<string> | undefined
  readonly #collections: ReadonlySet<string> | undefined
  readonly #concurrency: number
  readonly #maxAttempts: number
  readonly #retryDelay: number
  readonly #maxQueue: number
  readonly #maxFrame: number
  readonly #inFlight = new Map<string, AbortController>()
  readonly #follower: LiveFollower | undefined
  readonly #keeper: LeaseKeeper | undefined
  readonly #partitions: number
  #pool: CommitAuthPool | undefined
  /** Backfills' commit signatures, checked on a worker thread (started at the first one). */
  readonly #signatures = new SignatureThread()
  #leaseTimer: ReturnType<typeof setInterval> | undefined
  #leaseTick: Promise<void> = Promise.resolve()
  #backfillTimer: ReturnType<typeof setTimeout> | undefined
  #backfillLoop: Promise<void> | undefined
  #wake: (() => void) | undefined
  #stopped = true

  constructor(opts: MirrorOptions) {
    if (opts === null || typeof opts !== 'object')
      throw new TypeError('MirrorEngine: options must be an object')
    if (opts.store === undefined) throw new TypeError('MirrorEngine: store is required')
    if (typeof opts.service !== 'string') throw new TypeError('MirrorEngine: service must be a URL string')
    this.#o = opts
    this.#store = opts.store
    const http = opts.service.replace(/^ws(s?):\/\//, 'http$1://').replace(/\/+$/, '')
    this.#shard = checkShard(opts.shard)
    this.#stream =
      this.#shard === undefined ? http : `${http}#shard=${this.#shard.index}/${this.#shard.count}`
    this.#http = http
    this.#keys =
      opts.keys ??
      (new IdResolver(opts.plcUrl === undefined ? {} : { did: { plcUrl: opts.plcUrl } }) as KeyResolver)
    const threads = opts.authThreads ?? 0
    if (!(Number.isSafeInteger(threads) && threads >= 0))
      throw new RangeError('MirrorEngine: authThreads must be a non-negative integer')
    if (opts.authenticator === undefined && threads > 0) this.#pool = new CommitAuthPool({ threads })
    this.#auth = opts.authenticator ?? this.#pool ?? { authenticateCommit }
    const source = opts.repoSource ?? getRepoSource(http, { ...DEFAULT_FETCH_LIMITS, ...opts.fetchLimits })
    this.#source =
      opts.rateLimit === undefined ? source : rateLimitedSource(source, new TokenBucket(opts.rateLimit))
    this.#scope = opts.dids === undefined ? undefined : new Set(opts.dids)
    if (opts.scopeCollections !== undefined && opts.dids !== undefined)
      throw new TypeError('MirrorEngine: scopeCollections and dids are two scopes; give one')
    this.#scopeCollections =
      opts.scopeCollections === undefined ? undefined : new Set(checkNsids(opts.scopeCollections))
    this.#collections =
      opts.collections === undefined || opts.collections.length === 0 ? undefined : new Set(opts.collections)
    this.#concurrency = positive(opts.concurrency ?? 4, 'concurrency')
    this.#maxAttempts = positive(opts.maxAttempts ?? 5, 'maxAttempts')
    this.#retryDelay = opts.retryDelayMs ?? 1_000
    this.#maxQueue = positive(opts.maxQueue ?? 500, 'maxQueue')
    this.#maxFrame = opts.maxFrameSize ?? 5 * 1024 * 1024
    const lease = opts.lease
    if (lease !== undefined) {
      if (this.#shard !== undefined)
        throw new TypeError('MirrorEngine: lease and shard are two ways to divide; give one')
      if (typeof lease.owner !== 'string' || lease.owner === '')
        throw new TypeError('MirrorEngine: lease.owner must be a non-empty string')
      const count = positive(lease.partitions ?? 16, 'lease.partitions')
      const ttlMs = positive(lease.ttlMs ?? 10_000, 'lease.ttlMs')
      if (!isLeaseStore(this.#store))
        throw new MirrorError(
          'LEASE_UNSUPPORTED',
          `leases need a store shared by engines (Postgres); store=${this.#store.kind}`,
        )
      this.#partitions = count
      this.#keeper = new LeaseKeeper(this.#store, {
        group: `${http}#lease/${count}`,
        owner: lease.owner,
        count,
        ttlMs,
        cursorStream: (p) => this.#streamOf(p),
      })
    } else this.#partitions = 1
    this.#follower =
      opts.live === false
        ? undefined
        : new LiveFollower({
            store: this.#store,
            http,
            keys: this.#keys,
            authenticator: this.#auth,
            maxFrameSize: this.#maxFrame,
            maxQueue: this.#maxQueue,
            socketFactory: opts.socketFactory,
            partitions: this.#partitions,
            streamOf: (p) => this.#streamOf(p),
            inScope: (did) => this.#wanted(did),
            admits: (c) => this.#admits(c),
            outOfScope: (did) => this.#outOfCollectionScope(did),
            filter: (c) => this.#filter(c),
            stats: this.stats,
            wake: () => this.#wake?.(),
            reject: (did, seq, code, message) => this.#reject(did, seq, code, message),
            error: (err) => this.#error(err),
            leaseLost: () => this.#leaseLost(),
          })
  }

  /** The cursor stream of a partition (the engine's stream without leases). */
  #streamOf(p: number): string {
    return this.#keeper === undefined ? this.#stream : `${this.#http}#lease=${p}/${this.#partitions}`
  }

  /** The lease fence, or undefined without leases. */
  get leases(): Fence | undefined {
    return this.#keeper?.fence()
  }

  /** The stream name the cursor is kept under (the service URL). */
  get stream(): string {
    return this.#stream
  }

  /** Backfills running now. */
  get backfilling(): number {
    return this.#inFlight.size
  }

  /** Frames received and not yet applied. */
  get queued(): number {
    return this.#follower?.queued ?? 0
  }

  /**
   * Adds the scope to the store, then starts backfilling and following the firehose.
   * @throws MirrorError `HOST_UNREACHABLE`
   */
  async start(): Promise<void> {
    if (!this.#stopped) return
    this.#stopped = false
    const listed = this.#o.dids ?? (await this.#listScope())
    if (this.#o.dids !== undefined) await probeHost(this.#http)
    const dids = listed.filter((d) => inShard(d, this.#shard))
    // Chunks keep each transaction short on a large host.
    for (let i = 0; i < dids.length; i += 1000) await this.#store.addRepos(dids.slice(i, i + 1000))
    const keeper = this.#keeper
    if (keeper !== undefined) {
      await this.#tickLeases()
      const every = Math.max(50, Math.floor(keeper.ttlMs / 3))
      this.#leaseTimer = setInterval(() => void this.#tickLeases().catch((err) => this.#error(err)), every)
    }
    if (this.#follower !== undefined && keeper === undefined) {
      // No cursor: the stream position after earlier backfills is unknown (a first start, or a
      // run killed before it wrote any event), so what is active is fetched again.
      if ((await this.#store.getCursor(this.#stream)) === undefined)
        await this.#store.resyncActive(this.#shard === undefined ? {} : { shard: this.#shard })
    }
    await this.#follower?.start(keeper === undefined ? [0] : keeper.tokens().keys())
    this.#backfillLoop = this.#runBackfills()
  }

  /** The host's repositories in scope: all of them, or those with a record of a scoped collection. */
  async #listScope(): Promise<string[]> {
    if (this.#scopeCollections === undefined) return listRepos(this.#http)
    const all = new Set<string>()
    for (const c of this.#scopeCollections)
      for (const did of await listReposByCollection(this.#http, c)) all.add(did)
    return [...all]
  }

  /** Whether a DID not yet known enters the scope: always without a collection scope, else when it writes one. */
  #admits(commit: PreparedCommit): boolean {
    const scope = this.#scopeCollections
    if (scope === undefined) return true
    return commit.changes.some((ch) => ch.action !== 'delete' && scope.has(ch.collection))
  }

  /** Under a collection scope, a DID not yet known enters only by a commit writing a scoped collection. */
  async #outOfCollectionScope(did: string): Promise<boolean> {
    return this.#scopeCollections !== undefined && (await this.#store.mirrorRepo(did)) === undefined
  }

  /** Stops reading, lets the frames already received be applied, aborts backfills. */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    if (this.#leaseTimer) clearInterval(this.#leaseTimer)
    const live = this.#follower?.stop()
    for (const ctrl of this.#inFlight.values()) ctrl.abort(new Error('engine stopped'))
    this.#wake?.()
    if (this.#backfillTimer) clearTimeout(this.#backfillTimer)
    await this.#backfillLoop
    await live
    await this.#leaseTick
    if (this.#keeper !== undefined) {
      const store = this.#store as MirrorStore & { setFence(f: Fence | undefined): void }
      try {
        await this.#keeper.releaseAll((fence) => store.setFence(fence))
      } catch (err) {
        this.#error(err)
      }
      store.setFence(undefined)
    }
    await this.#pool?.close()
    await this.#signatures.close()
  }

  /** Partitions this engine should backfill (undefined: all of its scope). */
  #duePartitions(): { partitions: { count: number; held: number[] } } | Record<string, never> {
    const k = this.#keeper
    return k === undefined ? {} : { partitions: { count: k.count, held: [...k.tokens().keys()] } }
  }

  /** One heartbeat of the leases; partitions gained start a new live generation. */
  #tickLeases(): Promise<void> {
    const keeper = this.#keeper
    if (keeper === undefined) return Promise.resolve()
    const store = this.#store as MirrorStore & { setFence(f: Fence | undefined): void }
    const run = this.#leaseTick.then(async () => {
      if (this.#stopped) return
      const changes = await keeper.tick((fence) => this.#narrow(fence))
      store.setFence(keeper.fence())
      if (changes.lost.length > 0) this.#narrow(keeper.fence())
      if (changes.gained.length > 0) {
        await this.#follower?.follow(keeper.tokens().keys())
        this.#wake?.()
      }
    })
    this.#leaseTick = run.catch(() => {})
    return run
  }

  /** Stops every write outside `fence` at once: store fence, live follower, backfills. */
  #narrow(fence: Fence): void {
    ;(this.#store as MirrorStore & { setFence(f: Fence | undefined): void }).setFence(fence)
    this.#follower?.drop(fence.tokens.keys())
    for (const [did, ctrl] of this.#inFlight)
      if (!fence.tokens.has(partitionOf(did, fence.count))) ctrl.abort(new Error('lease given up'))
  }

  /** A write found a lease gone: drop what is no longer held (gains wait for the next heartbeat). */
  async #leaseLost(): Promise<void> {
    const keeper = this.#keeper
    if (keeper === undefined) {
      await sleep(100)
      return
    }
    try {
      await keeper.recheck()
    } catch (err) {
      this.#error(err)
      await sleep(100)
    }
    this.#narrow(keeper.fence())
  }

  /** Resolves when nothing is pending, queued or backfilling (or rejects after `timeoutMs`). */
  async idle(timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs
    for (;;) {
      if (this.#follower?.fatal) throw this.#follower.fatal
      // every pending repository of this engine's share, due now or later
      const pending = await this.#store.duePending({
        limit: 1,
        now: Number.MAX_SAFE_INTEGER,
        ...(this.#shard === undefined ? {} : { shard: this.#shard }),
        ...this.#duePartitions(),
      })
      if (this.queued === 0 && this.#inFlight.size === 0 && pending.length === 0) return
      if (Date.now() > end) throw new Error(`mirror not idle after ${timeoutMs} ms`)
      await sleep(50)
    }
  }

  #error(err: unknown): void {
    this.#o.onError?.(err)
  }

  #reject(did: string | undefined, seq: number | undefined, code: string, message: string): void {
    this.stats.rejected++
    this.#o.onReject?.({ did, seq, code, message })
  }

  // --- live (live-follower.ts)

  #wanted = (did: string): boolean =>
    (this.#scope === undefined || this.#scope.has(did)) && inShard(did, this.#shard)

  #filter(c: PreparedCommit): PreparedCommit {
    const keep = this.#collections
    if (keep === undefined) return c
    return { ...c, changes: c.changes.filter((ch) => keep.has(ch.collection)) }
  }

  // --- backfill

  async #runBackfills(): Promise<void> {
    while (!this.#stopped) {
      try {
        const free = this.#concurrency - this.#inFlight.size
        if (free > 0) {
          const due = await this.#store.duePending({
            limit: free,
            now: Date.now(),
            exclude: new Set(this.#inFlight.keys()),
            ...(this.#shard === undefined ? {} : { shard: this.#shard }),
            ...this.#duePartitions(),
          })
          // stop() came while the store answered: start nothing after it
          if (this.#stopped) break
          for (const repo of due) this.#startBackfill(repo.did, repo.attempts)
        }
      } catch (err) {
        this.#error(err)
      }
      // ... nor wait out a timer stop() could no longer clear
      if (this.#stopped) break
      await new Promise<void>((resolve) => {
        this.#wake = resolve
        this.#backfillTimer = setTimeout(resolve, 250)
      })
      this.#wake = undefined
    }
    await Promise.allSettled([...this.#inFlight.keys()].map(() => sleep(0)))
  }

  #startBackfill(did: string, attempts: number): void {
    const ctrl = new AbortController()
    this.#inFlight.set(did, ctrl)
    void this.#backfill(did, attempts, ctrl.signal).finally(() => {
      this.#inFlight.delete(did)
      this.#wake?.()
    })
  }

  async #backfill(did: string, attempts: number, signal: AbortSignal): Promise<void> {
    try {
      const car = await this.#source(did, signal)
      // Blocks past `backfillMemory` spool to a temporary file; the records are checked and
      // written as the store pulls them, inside its transaction (a bad one rolls it all back).
      const repo = await openVerifiedRepo({
        did,
        car,
        keys: this.#keys,
        signatures: this.#signatures,
        ...this.#o.backfillMemory,
      })
      try {
        if (signal.aborted) return
        let written = 0
        const only = repo.only(this.#collections)
        const records = {
          *[Symbol.iterator]() {
            for (const r of only) {
              written++
              yield r
            }
          },
        }
        const backfilled = { did, rev: repo.rev, data: repo.data, records }
        const store = this.#store
        const out = await (store.completeBackfillGrouped?.(backfilled) ?? store.completeBackfill(backfilled))
        this.stats.backfilled++
        this.stats.recordsWritten += written + out.applied
        if (out.chainBreak) this.stats.chainBreaks++
      } finally {
        repo.close()
      }
    } catch (err) {
      if (signal.aborted) return
      if (err instanceof MirrorError && err.code === 'LEASE_LOST') return void this.#leaseLost()
      if (isStoreFault(err)) {
        // the database's fault (connection lost, file locked), not the repository's: nothing was
        // written, it stays pending and is tried again after a pause, no attempt counted
        this.#error(err)
        await sleep(1_000)
        return
      }
      this.stats.backfillFailed++
      const reason =
        err instanceof MirrorError ? `${err.code}: ${err.message}` : String((err as Error)?.message ?? err)
      const hostSays = REPO_STATUS_PARK.has(hostError(reason))
      const park = hostSays || attempts + 1 >= this.#maxAttempts
      if (park) this.stats.parked++
      this.#reject(did, undefined, err instanceof MirrorError ? err.code : 'BACKFILL_FAILED', reason)
      try {
        await this.#store.failBackfill(did, {
          reason,
          park,
          retryAt: Date.now() + this.#retryDelay * 2 ** Math.min(attempts, 16),
        })
      } catch (e) {
        this.#error(e)
      }
    }
  }
}

function checkNsids(list: readonly string[]): readonly string[] {
  if (!Array.isArray(list) || list.length === 0)
    throw new TypeError('MirrorEngine: scopeCollections must be a non-empty array of NSIDs')
  for (const c of list)
    if (typeof c !== 'string' || !isValidNsid(c))
      throw new TypeError(`MirrorEngine: scopeCollections holds a non-NSID; collection=${String(c)}`)
  return list
}

function positive(n: number, name: string): number {
  if (!(Number.isSafeInteger(n) && n > 0))
    throw new RangeError(`MirrorEngine: ${name} must be a positive integer`)
  return n
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** The XRPC error name inside a getRepo failure message (`"error":"RepoDeactivated"`). */
function hostError(reason: string): string {
  const m = /"error":"([A-Za-z]+)"/.exec(reason)
  return m?.[1] ?? ''
}
