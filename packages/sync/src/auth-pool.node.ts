import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { type BlockMap, type CarReadOptions, readCar } from '@rsky/car'
import { type Cid, decode, decodeCid, encode } from '@rsky/dag-cbor'
import { decodeVerifiedAnswer, type ReadAnswer, VERIFIED } from './auth-answer.ts'
import type {
  AuthenticateOptions,
  AuthRejectCode,
  CommitAuthenticator,
  CommitAuthResult,
  SignedCommitHead,
  VerifiedCommit,
} from './authenticate.ts'
import { withRecordValue } from './authenticate.ts'
import { backoffDelay } from './connection.ts'
import { type CommitEvent, eventToBody } from './events.ts'
import type { KeyResolver } from './keys.ts'
import type { RepoState } from './repo-state.ts'

/** @internal What a commit's check needs beyond its body and key (absent for most commits). */
export interface AuthRequestOptions {
  prior?: { rev: string; data: Uint8Array; status: RepoState['status'] } | undefined
  now?: number | undefined
  maxClockDriftMs?: number | undefined
  requireRecords?: boolean | undefined
  lenient?: boolean | undefined
  car?: Omit<CarReadOptions, 'verify'> | undefined
}

/**
 * @internal Main thread → worker: several commits in one message, as a few flat values (cloning
 * one object per commit cost more than the copy of the bodies).
 */
export interface AuthBatch {
  batch: number
  /** The commits' DAG-CBOR bodies back to back, in one buffer moved to the worker. */
  events: Uint8Array
  /** End offset of each commit's body in `events`. */
  ends: Uint32Array
  /** The did:key to check each commit's signature with. */
  keys: string[]
  /** Each commit's options, or absent when no commit of the batch has any. */
  opts?: (AuthRequestOptions | null)[] | undefined
}

/**
 * @internal Worker → main thread: the DAG-CBOR answers back to back, in order, in one buffer moved
 * to the main thread; a request that threw has an empty answer and the text of the exception.
 */
export interface AuthBatchResponse {
  batch: number
  results: Uint8Array
  /** End offset of each answer in `results`. */
  ends: Uint32Array
  /** Per request, the exception's text or null; absent when none threw. */
  errors?: (string | null)[] | undefined
}

/** Most commits sent to a worker in one message. */
const MAX_BATCH = 32
/**
 * Batches a worker may hold at once. The main thread stops feeding workers while it writes (a
 * SQLite COMMIT blocks it, for milliseconds when the disk is busy), so each worker holds enough
 * work to stay busy through such a write rather than only the batch after the one being read.
 */
const MAX_IN_FLIGHT = 4

/** Raised by {@link CommitAuthPool} when a worker fails or the pool is closed. */
export class AuthPoolError extends Error {
  override name = 'AuthPoolError'
  readonly code: 'POOL_CLOSED' | 'WORKER_FAILED'
  constructor(code: AuthPoolError['code'], message: string, cause?: unknown) {
    super(message, cause === undefined ? {} : { cause })
    this.code = code
  }
}

/**
 * Worker threads a {@link CommitAuthPool} starts by default: four fifths of `cores`, rounded, at
 * least 1 (2 cores: 2, 4: 3, 8: 6). The main thread needs about a fifth of the CPU of a verified
 * stream (frames, dispatch, the store's writes) and the workers the rest, so on two cores each
 * core gets a worker and the main thread shares them; one worker (cores minus one) left most of
 * the second core idle and capped the stream at what one thread can verify.
 * @example new CommitAuthPool({ threads: defaultAuthThreads() })
 */
export function defaultAuthThreads(cores: number = availableParallelism()): number {
  return Math.max(1, Math.round(cores * 0.8))
}

/** Options of {@link CommitAuthPool}. */
export interface CommitAuthPoolOptions {
  /** Worker threads. Default: {@link defaultAuthThreads} (four fifths of the cores, at least 1). */
  threads?: number
  /** The worker script (default: `auth-worker.js` beside this module; set it when a bundler moves files). */
  workerUrl?: URL
}

/** Consecutive failures of a worker slot after which its queued commits fail instead of waiting. */
const MAX_QUIET_RESPAWNS = 5

/**
 * Whether `keys` holds an unexpired cached document for `did` (an @rsky/identity `IdResolver` or
 * `DidResolver`): true or false when it can tell, undefined when it cannot.
 */
async function cachedKey(keys: unknown, did: string): Promise<boolean | undefined> {
  const resolver = (keys as { did?: unknown })?.did ?? keys
  const cache = (resolver as { cache?: { get(did: string): unknown } | null } | null)?.cache
  if (cache === null) return false
  if (cache === undefined || typeof cache.get !== 'function') return undefined
  try {
    const hit = (await cache.get(did)) as { expired?: boolean } | undefined
    return hit !== undefined && hit.expired !== true
  } catch {
    return undefined
  }
}

interface Job {
  /** DAG-CBOR of the `#commit` body. */
  event: Uint8Array
  key: string
  opts: AuthRequestOptions | null
  resolve: (r: Uint8Array) => void
  reject: (e: unknown) => void
}

interface Slot {
  /** Failures of this slot's workers since one last answered. */
  failures: number
  /** The worker failed; a replacement takes the queue (after a delay when it keeps failing). */
  dead: boolean
  worker: Worker
  /** Commits waiting for a batch. */
  queue: Job[]
  /** Batches sent and not answered, by batch number. */
  inFlight: Map<number, Job[]>
  flushScheduled: boolean
}

/** A worker's answer for a commit that did not pass (one that passed is an auth-answer.ts answer). */
type LexRejection = {
  ok: false
  code: AuthRejectCode
  message: string
  resync: boolean
  v?: { rev: string; data: Cid }
}

/**
 * The parts of the process's `execArgv` a worker needs to load TypeScript sources (loaders and
 * conditions); flags a worker refuses, such as `--expose-gc`, are left out.
 */
function loaderArgs(argv: readonly string[]): string[] {
  const withValue = new Set([
    '--import',
    '--require',
    '-r',
    '--loader',
    '--experimental-loader',
    '--conditions',
    '-C',
  ])
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (withValue.has(a) && i + 1 < argv.length) out.push(a, argv[++i] as string)
    else if (/^--(import|require|loader|experimental-loader|conditions)=/.test(a)) out.push(a)
  }
  return out
}

function workerUrl(): URL {
  // From source (tests, tsx) the worker is the .ts file; from the build it is dist/auth-worker.js.
  return import.meta.url.endsWith('.ts')
    ? new URL('./auth-worker.node.ts', import.meta.url)
    : new URL('./auth-worker.js', import.meta.url)
}

/**
 * Authenticates commits on worker threads: a DID with commits still in a thread sends its next one
 * to the same thread, so one repository's commits keep their order; otherwise the commit goes to
 * the thread with the fewest waiting, so a few busy repositories do not leave a thread idle. The
 * checks are those of {@link authenticateCommit}; the main thread resolves the signing key
 * (`keys.resolveAtprotoKey`) and, when the signature fails, resolves it once more with
 * `forceRefresh` and retries if it changed. Commits travel in batches (up to 32 per message, four
 * batches in flight per worker) and each DID's answers come back in the order it sent them. Pass it
 * to `Firehose` as `authenticator`.
 * @example
 * const pool = new CommitAuthPool({ threads: 4 })
 * const fh = new Firehose({ service, authenticator: pool, onEvent })
 * // ... later
 * await pool.close()
 */
export class CommitAuthPool implements CommitAuthenticator {
  readonly threads: number
  readonly #slots: Slot[] = []
  /** Commits queued or in flight per slot index (a respawned worker keeps its index). */
  readonly #load: number[] = []
  /** DIDs with commits queued or in flight: their slot index and how many. */
  readonly #owners = new Map<string, { index: number; count: number }>()
  /** Per DID, settles after its last answer: the next one waits for it. */
  readonly #tails = new Map<string, Promise<void>>()
  readonly #workerUrl: URL
  #nextBatch = 1
  #closed = false
  /** Workers started to replace ones that failed (for tests and metrics). */
  respawns = 0

  constructor(opts: CommitAuthPoolOptions = {}) {
    const threads = opts.threads ?? defaultAuthThreads()
    if (!(Number.isSafeInteger(threads) && threads > 0 && threads <= 256))
      throw new RangeError(`CommitAuthPool: threads must be an integer in 1..256; threads=${threads}`)
    this.threads = threads
    this.#workerUrl = opts.workerUrl ?? workerUrl()
    for (let i = 0; i < threads; i++) {
      this.#slots.push(this.#spawn())
      this.#load.push(0)
    }
  }

  /** The slot index for the next commit of `did`: where its earlier ones wait, else the least loaded. */
  #route(did: string): { index: number; count: number } {
    let own = this.#owners.get(did)
    if (own === undefined) {
      let index = 0
      for (let i = 1; i < this.#load.length; i++)
        if ((this.#load[i] as number) < (this.#load[index] as number)) index = i
      own = { index, count: 0 }
      this.#owners.set(did, own)
    }
    own.count++
    this.#load[own.index] = (this.#load[own.index] as number) + 1
    return own
  }

  /** A routed commit is answered (or failed): it no longer counts. */
  #release(did: string, own: { index: number; count: number }): void {
    this.#load[own.index] = (this.#load[own.index] as number) - 1
    if (--own.count === 0) this.#owners.delete(did)
  }

  #spawn(queue: Job[] = [], failures = 0): Slot {
    const fromSource = import.meta.url.endsWith('.ts')
    const worker = new Worker(
      this.#workerUrl,
      fromSource ? { execArgv: [...loaderArgs(process.execArgv), '--conditions=source'] } : {},
    )
    const slot: Slot = { failures, dead: false, worker, queue, inFlight: new Map(), flushScheduled: false }
    worker.unref()
    worker.on('message', (res: AuthBatchResponse) => {
      const jobs = slot.inFlight.get(res.batch)
      if (jobs === undefined) return
      slot.failures = 0
      slot.inFlight.delete(res.batch)
      // refill the worker first: resolving the answers runs the callers' continuations (the
      // store's write among them) before a timer or an immediate could send it more work
      if (slot.queue.length > 0) this.#flush(slot)
      let at = 0
      for (let i = 0; i < jobs.length; i++) {
        const job = jobs[i] as Job
        const end = res.ends[i]
        const error = res.errors?.[i]
        if (end === undefined || (error !== undefined && error !== null))
          job.reject(new AuthPoolError('WORKER_FAILED', `worker failed: ${error ?? 'no answer'}`))
        else job.resolve(res.results.subarray(at, end))
        at = end ?? at
      }
      if (slot.queue.length > 0) this.#schedule(slot)
      else if (slot.inFlight.size === 0) worker.unref()
    })
    const fail = (err: unknown) => {
      if (slot.dead) return
      slot.dead = true
      const i = this.#slots.indexOf(slot)
      for (const jobs of slot.inFlight.values())
        for (const job of jobs)
          job.reject(
            new AuthPoolError(
              'WORKER_FAILED',
              `worker thread stopped: ${(err as Error)?.message ?? err}`,
              err,
            ),
          )
      slot.inFlight.clear()
      if (i < 0 || this.#closed) return
      // replace the worker so later commits of its DIDs still run; it takes over the queue. A worker
      // that keeps failing (one that cannot start) is replaced with growing delays, and after a few
      // failures in a row the commits waiting for it fail rather than wait.
      const failures = slot.failures + 1
      if (failures >= MAX_QUIET_RESPAWNS) {
        const err2 = new AuthPoolError('WORKER_FAILED', `worker keeps failing; failures=${failures}`, err)
        for (const job of slot.queue.splice(0)) job.reject(err2)
      }
      const delay = failures <= 1 ? 0 : backoffDelay(failures - 2, { minDelayMs: 100, maxDelayMs: 30_000 })
      const replace = () => {
        if (this.#closed || this.#slots[i] !== slot) return
        const next = this.#spawn(slot.queue, failures)
        this.respawns++
        slot.queue = []
        this.#slots[i] = next
        if (next.queue.length > 0) this.#schedule(next)
      }
      if (delay === 0) replace()
      else setTimeout(replace, delay).unref()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => {
      if (!this.#closed && this.#slots.includes(slot)) fail(new Error(`exit code ${code}`))
    })
    return slot
  }

  #schedule(slot: Slot): void {
    if (slot.flushScheduled) return
    slot.flushScheduled = true
    setImmediate(() => {
      slot.flushScheduled = false
      this.#flush(slot)
    })
  }

  /** Sends queued commits in batches while the worker holds fewer than {@link MAX_IN_FLIGHT}. */
  #flush(slot: Slot): void {
    if (this.#closed || slot.dead || !this.#slots.includes(slot)) return
    while (slot.queue.length > 0 && slot.inFlight.size < MAX_IN_FLIGHT) {
      const jobs = slot.queue.splice(0, MAX_BATCH)
      // one buffer for all the bodies of the batch, moved to the worker rather than copied
      let size = 0
      for (const j of jobs) size += j.event.length
      const events = new Uint8Array(size)
      const ends = new Uint32Array(jobs.length)
      const keys: string[] = []
      let opts: (AuthRequestOptions | null)[] | undefined
      let at = 0
      for (let i = 0; i < jobs.length; i++) {
        const j = jobs[i] as Job
        events.set(j.event, at)
        at += j.event.length
        ends[i] = at
        keys.push(j.key)
        if (j.opts !== null) {
          opts ??= jobs.map(() => null)
          opts[i] = j.opts
        }
      }
      const batch = this.#nextBatch++
      if (slot.inFlight.size === 0) slot.worker.ref()
      slot.inFlight.set(batch, jobs)
      const msg: AuthBatch =
        opts === undefined ? { batch, events, ends, keys } : { batch, events, ends, keys, opts }
      slot.worker.postMessage(msg, [events.buffer])
    }
  }

  #run(evt: CommitEvent, key: string, opts: AuthenticateOptions): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new AuthPoolError('POOL_CLOSED', 'CommitAuthPool is closed'))
    // the frame's own body when the caller has it; else the event encoded again
    const event = opts.body ?? encode(eventToBody(evt))
    let extra: AuthRequestOptions | null = null
    if (
      opts.prior !== undefined ||
      opts.now !== undefined ||
      opts.maxClockDriftMs !== undefined ||
      opts.requireRecords !== undefined ||
      opts.lenient !== undefined ||
      opts.car !== undefined
    )
      extra = {
        prior: opts.prior
          ? // a copy: the CID's bytes may be a view into a far larger buffer, which a clone would copy whole
            { rev: opts.prior.rev, data: opts.prior.data.bytes.slice(), status: opts.prior.status }
          : undefined,
        now: opts.now,
        maxClockDriftMs: opts.maxClockDriftMs,
        requireRecords: opts.requireRecords,
        lenient: opts.lenient,
        car: opts.car,
      }
    const did = evt.repo
    const own = this.#route(did)
    const slot = this.#slots[own.index] as Slot
    return new Promise<Uint8Array>((resolve, reject) => {
      slot.queue.push({
        event,
        key,
        opts: extra,
        resolve: (r) => {
          this.#release(did, own)
          resolve(r)
        },
        reject: (e) => {
          this.#release(did, own)
          reject(e)
        },
      })
      if (slot.inFlight.size < MAX_IN_FLIGHT) this.#schedule(slot)
    })
  }

  async #attempt(evt: CommitEvent, key: string, opts: AuthenticateOptions): Promise<CommitAuthResult> {
    const bytes = await this.#run(evt, key, opts)
    if (bytes[0] === VERIFIED) {
      // refuses an answer about another event (a caller's `body` that is not this event's)
      return { success: true, value: toVerified(evt, decodeVerifiedAnswer(bytes, evt)) }
    }
    const r = decode(bytes) as unknown as LexRejection
    return {
      success: false,
      code: r.code,
      message: r.message,
      resync: r.resync,
      ...(r.v ? { verified: toHead(evt, r.v) } : {}),
    }
  }

  /**
   * {@link authenticateCommit} on a worker thread. `opts.keys` must also resolve keys
   * (`resolveAtprotoKey`): an @rsky/identity `IdResolver` or `DidResolver`, or `staticKeys`.
   * @throws {AuthPoolError} when the pool is closed or the worker thread fails
   */
  authenticateCommit(evt: CommitEvent, opts: AuthenticateOptions): Promise<CommitAuthResult> {
    // a DID's answers settle in the order it asked, even when one waits for a key refresh
    const did = evt.repo
    const before = this.#tails.get(did)
    const mine = this.#authenticate(evt, opts)
    const out =
      before === undefined
        ? mine
        : mine.then(
            async (r) => {
              await before
              return r
            },
            async (err: unknown) => {
              await before
              throw err
            },
          )
    const tail = out.then(noop, noop)
    this.#tails.set(did, tail)
    void tail.then(() => {
      if (this.#tails.get(did) === tail) this.#tails.delete(did)
    })
    return out
  }

  async #authenticate(evt: CommitEvent, opts: AuthenticateOptions): Promise<CommitAuthResult> {
    const keys = opts.keys as Partial<KeyResolver>
    if (typeof keys?.resolveAtprotoKey !== 'function')
      throw new TypeError(
        'CommitAuthPool: keys must have resolveAtprotoKey (an IdResolver, DidResolver or staticKeys)',
      )
    const did = evt.repo
    const cached = await cachedKey(keys, did)
    let key: string
    let refreshed = false
    try {
      key = await keys.resolveAtprotoKey(did)
    } catch (err) {
      // like the inline path: a cached document without a usable key may be outdated, fetch it afresh
      try {
        if (cached === false) throw err
        key = await keys.resolveAtprotoKey(did, { forceRefresh: true })
        refreshed = true
      } catch (err2) {
        return {
          success: false,
          code: 'KEY_UNAVAILABLE',
          message: `could not get the signing key; did=${did} cause=${(err2 as Error)?.message}`,
          resync: false,
        }
      }
    }
    const r = await this.#attempt(evt, key, opts)
    if (r.success || r.code !== 'BAD_SIGNATURE') return r
    // a key fetched fresh for this commit is not fetched again: a forged commit costs one fetch
    if (refreshed || cached === false) return r
    // the key may have rotated: fetch it once more, retry only if it changed
    let fresh: string
    try {
      fresh = await keys.resolveAtprotoKey(did, { forceRefresh: true })
    } catch {
      return r
    }
    return fresh === key ? r : this.#attempt(evt, fresh, opts)
  }

  /** Stops the worker threads; commits still in flight reject with `POOL_CLOSED`. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const slots = this.#slots.splice(0)
    for (const s of slots) {
      const closed = new AuthPoolError('POOL_CLOSED', 'CommitAuthPool is closed')
      for (const jobs of s.inFlight.values()) for (const job of jobs) job.reject(closed)
      for (const job of s.queue) job.reject(closed)
      s.inFlight.clear()
      s.queue = []
    }
    await Promise.all(slots.map((s) => s.worker.terminate()))
  }
}

function noop(): void {}

/** A CID in its own small buffer, so long-lived repo state does not hold a batch's buffer. */
function ownCid(cid: Cid): Cid {
  return decodeCid(cid.bytes.slice())
}

/** What a `CHAIN_BREAK` carries: only what the commit's signature covers. */
function toHead(evt: CommitEvent, v: { rev: string; data: Cid }): SignedCommitHead {
  return { seq: evt.seq, did: evt.repo, rev: v.rev, commit: evt.commit, data: ownCid(v.data) }
}

/** The verified commit: the event's own fields and ops, the roots and records the worker found. */
function toVerified(evt: CommitEvent, a: ReadAnswer): VerifiedCommit {
  let blocks: BlockMap | undefined
  return {
    seq: evt.seq,
    did: evt.repo,
    // the worker checked the commit's rev is the event's
    rev: evt.rev,
    since: evt.since,
    time: evt.time,
    commit: evt.commit,
    data: decodeCid(a.data.slice()),
    prevData: decodeCid(a.prevData.slice()),
    ops: evt.ops.map((op, i) => {
      const slash = op.path.indexOf('/')
      return withRecordValue({
        action: op.action,
        path: op.path,
        collection: op.path.slice(0, slash),
        rkey: op.path.slice(slash + 1),
        cid: op.cid,
        prev: op.prev ?? null,
        record: a.records[i] as Uint8Array | null,
      })
    }),
    ...(a.unproven ? { unproven: true } : {}),
    // the worker checked every hash; here the CAR is only indexed, when first asked for
    get blocks(): BlockMap {
      blocks ??= readCar(evt.blocks, { verify: false }).blocks
      return blocks
    },
  }
}
