import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { type CarReadOptions, readCar } from '@rsky/car'
import { type Cid, decode, encode } from '@rsky/dag-cbor'
import type {
  AuthenticateOptions,
  AuthRejectCode,
  CommitAuthenticator,
  CommitAuthResult,
  VerifiedCommit,
  VerifiedOp,
} from './authenticate.ts'
import { type CommitEvent, eventToBody } from './events.ts'
import type { KeyResolver } from './keys.ts'
import type { RepoState } from './repo-state.ts'

/** @internal Main thread → worker. */
export interface AuthRequest {
  id: number
  /** DAG-CBOR of the `#commit` body. */
  event: Uint8Array
  /** did:key to check the signature with. */
  key: string
  prior?: { rev: string; data: Uint8Array; status: RepoState['status'] } | undefined
  now?: number | undefined
  maxClockDriftMs?: number | undefined
  requireRecords?: boolean | undefined
  car?: Omit<CarReadOptions, 'verify'> | undefined
}

/** @internal Worker → main thread. */
export type AuthResponse = { id: number; result: Uint8Array } | { id: number; error: string }

/** Raised by {@link CommitAuthPool} when a worker fails or the pool is closed. */
export class AuthPoolError extends Error {
  override name = 'AuthPoolError'
  readonly code: 'POOL_CLOSED' | 'WORKER_FAILED'
  constructor(code: AuthPoolError['code'], message: string, cause?: unknown) {
    super(message, cause === undefined ? {} : { cause })
    this.code = code
  }
}

/** Options of {@link CommitAuthPool}. */
export interface CommitAuthPoolOptions {
  /** Worker threads. Default: available cores minus one (at least 1). */
  threads?: number
}

interface Slot {
  worker: Worker
  pending: Map<number, { resolve: (r: Uint8Array) => void; reject: (e: unknown) => void }>
}

type LexOp = {
  action: VerifiedOp['action']
  path: string
  cid: Cid | null
  prev: Cid | null
  record: Uint8Array | null
}
type LexVerified = { rev: string; data: Cid; prevData: Cid; ops: LexOp[] }
type LexResult =
  | { ok: true; v: LexVerified }
  | { ok: false; code: AuthRejectCode; message: string; resync: boolean; v?: LexVerified }

function workerUrl(): URL {
  // From source (tests, tsx) the worker is the .ts file; from the build it is dist/auth-worker.js.
  return import.meta.url.endsWith('.ts')
    ? new URL('./auth-worker.node.ts', import.meta.url)
    : new URL('./auth-worker.js', import.meta.url)
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/**
 * Authenticates commits on worker threads: each DID always goes to the same thread, so one
 * repository's commits keep their order, and different repositories verify in parallel. The
 * checks are those of {@link authenticateCommit}; the main thread resolves the signing key
 * (`keys.resolveAtprotoKey`) and, when the signature fails, resolves it once more with
 * `forceRefresh` and retries if it changed. Pass it to `Firehose` as `authenticator`.
 * @example
 * const pool = new CommitAuthPool({ threads: 4 })
 * const fh = new Firehose({ service, authenticator: pool, onEvent })
 * // ... later
 * await pool.close()
 */
export class CommitAuthPool implements CommitAuthenticator {
  readonly threads: number
  readonly #slots: Slot[] = []
  #nextId = 1
  #closed = false

  constructor(opts: CommitAuthPoolOptions = {}) {
    const threads = opts.threads ?? Math.max(1, availableParallelism() - 1)
    if (!(Number.isSafeInteger(threads) && threads > 0 && threads <= 256))
      throw new RangeError(`CommitAuthPool: threads must be an integer in 1..256; threads=${threads}`)
    this.threads = threads
    for (let i = 0; i < threads; i++) this.#slots.push(this.#spawn())
  }

  #spawn(): Slot {
    const fromSource = import.meta.url.endsWith('.ts')
    const worker = new Worker(
      workerUrl(),
      fromSource ? { execArgv: [...process.execArgv, '--conditions=source'] } : {},
    )
    const slot: Slot = { worker, pending: new Map() }
    worker.unref()
    worker.on('message', (res: AuthResponse) => {
      const p = slot.pending.get(res.id)
      if (p === undefined) return
      slot.pending.delete(res.id)
      if (slot.pending.size === 0) worker.unref()
      if ('error' in res) p.reject(new AuthPoolError('WORKER_FAILED', `worker failed: ${res.error}`))
      else p.resolve(res.result)
    })
    const fail = (err: unknown) => {
      const i = this.#slots.indexOf(slot)
      for (const p of slot.pending.values())
        p.reject(
          new AuthPoolError('WORKER_FAILED', `worker thread stopped: ${(err as Error)?.message ?? err}`, err),
        )
      slot.pending.clear()
      // replace the worker so later commits of its DIDs still run
      if (i >= 0 && !this.#closed) this.#slots[i] = this.#spawn()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => {
      if (!this.#closed && this.#slots.includes(slot)) fail(new Error(`exit code ${code}`))
    })
    return slot
  }

  #run(evt: CommitEvent, key: string, opts: AuthenticateOptions): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new AuthPoolError('POOL_CLOSED', 'CommitAuthPool is closed'))
    const slot = this.#slots[fnv1a(evt.repo) % this.#slots.length] as Slot
    const id = this.#nextId++
    const req: AuthRequest = {
      id,
      event: encode(eventToBody(evt)),
      key,
      prior: opts.prior
        ? { rev: opts.prior.rev, data: opts.prior.data.bytes, status: opts.prior.status }
        : undefined,
      now: opts.now,
      maxClockDriftMs: opts.maxClockDriftMs,
      requireRecords: opts.requireRecords,
      car: opts.car,
    }
    return new Promise<Uint8Array>((resolve, reject) => {
      if (slot.pending.size === 0) slot.worker.ref()
      slot.pending.set(id, { resolve, reject })
      slot.worker.postMessage(req)
    })
  }

  async #attempt(evt: CommitEvent, key: string, opts: AuthenticateOptions): Promise<CommitAuthResult> {
    const r = decode(await this.#run(evt, key, opts)) as unknown as LexResult
    if (r.ok) return { success: true, value: toVerified(evt, r.v) }
    return {
      success: false,
      code: r.code,
      message: r.message,
      resync: r.resync,
      ...(r.v ? { verified: toVerified(evt, r.v) } : {}),
    }
  }

  /**
   * {@link authenticateCommit} on a worker thread. `opts.keys` must also resolve keys
   * (`resolveAtprotoKey`): an @rsky/identity `IdResolver` or `DidResolver`, or `staticKeys`.
   * @throws {AuthPoolError} when the pool is closed or the worker thread fails
   */
  async authenticateCommit(evt: CommitEvent, opts: AuthenticateOptions): Promise<CommitAuthResult> {
    const keys = opts.keys as Partial<KeyResolver>
    if (typeof keys?.resolveAtprotoKey !== 'function')
      throw new TypeError(
        'CommitAuthPool: keys must have resolveAtprotoKey (an IdResolver, DidResolver or staticKeys)',
      )
    const did = evt.repo
    let key: string
    try {
      key = await keys.resolveAtprotoKey(did)
    } catch (err) {
      return {
        success: false,
        code: 'KEY_UNAVAILABLE',
        message: `could not get the signing key; did=${did} cause=${(err as Error)?.message}`,
        resync: false,
      }
    }
    const r = await this.#attempt(evt, key, opts)
    if (r.success || r.code !== 'BAD_SIGNATURE') return r
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
      for (const p of s.pending.values())
        p.reject(new AuthPoolError('POOL_CLOSED', 'CommitAuthPool is closed'))
      s.pending.clear()
    }
    await Promise.all(slots.map((s) => s.worker.terminate()))
  }
}

function toVerified(evt: CommitEvent, v: LexVerified): VerifiedCommit {
  return {
    seq: evt.seq,
    did: evt.repo,
    rev: v.rev,
    since: evt.since,
    time: evt.time,
    commit: evt.commit,
    data: v.data,
    prevData: v.prevData,
    ops: v.ops.map((op) => {
      const slash = op.path.indexOf('/')
      return {
        action: op.action,
        path: op.path,
        collection: op.path.slice(0, slash),
        rkey: op.path.slice(slash + 1),
        cid: op.cid,
        prev: op.prev,
        record: op.record,
      }
    }),
    // the worker checked every hash; here the CAR is only indexed
    blocks: readCar(evt.blocks, { verify: false }).blocks,
  }
}
