import {
  isValidCidString,
  isValidDatetime,
  isValidDid,
  isValidHandle,
  isValidNsid,
  isValidRecordKey,
  isValidTid,
} from '@rsky/syntax'
import { backoffDelay, type ReconnectOptions, StreamConnection } from './connection.ts'
import { type CursorSaver, type CursorStore, resumeCursor } from './cursor.ts'
import type { RetryOptions } from './firehose-types.ts'
import type { SocketFactory } from './ws/types.ts'

/** A Jetstream record commit (`kind: "commit"`). */
export interface JetstreamCommitEvent {
  kind: 'commit'
  did: string
  time_us: number
  commit: {
    rev: string
    operation: 'create' | 'update' | 'delete'
    collection: string
    rkey: string
    /** The record as JSON (creates and updates). */
    record?: Record<string, unknown> | undefined
    /** The record CID string (creates and updates). */
    cid?: string | undefined
  }
}

/** A Jetstream identity event. `handle` may be absent: that is valid. */
export interface JetstreamIdentityEvent {
  kind: 'identity'
  did: string
  time_us: number
  identity: { did: string; handle?: string | undefined; seq: number; time: string }
}

/** A Jetstream account status event. */
export interface JetstreamAccountEvent {
  kind: 'account'
  did: string
  time_us: number
  account: { did: string; active: boolean; status?: string | undefined; seq: number; time: string }
}

/** Any Jetstream event. */
export type JetstreamEvent = JetstreamCommitEvent | JetstreamIdentityEvent | JetstreamAccountEvent

/** Outcome of {@link parseJetstreamEvent}. */
export type JetstreamResult =
  | { success: true; value: JetstreamEvent }
  | {
      success: false
      issues: { code: 'BAD_JSON' | 'BAD_FIELD' | 'UNKNOWN_KIND'; path: string; message: string }[]
    }

function obj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/**
 * Decodes and checks one Jetstream JSON message (text or already-parsed value). A missing or
 * unknown `kind` is a failed result, not a crash; identity events need no handle.
 * @example
 * const r = parseJetstreamEvent(text)
 * if (r.success && r.value.kind === 'commit') console.log(r.value.commit.collection)
 */
export function parseJetstreamEvent(input: string | unknown): JetstreamResult {
  let v: unknown = input
  if (typeof input === 'string') {
    try {
      v = JSON.parse(input)
    } catch (err) {
      return {
        success: false,
        issues: [{ code: 'BAD_JSON', path: '', message: `not JSON: ${(err as Error).message}` }],
      }
    }
  }
  const issues: { code: 'BAD_JSON' | 'BAD_FIELD' | 'UNKNOWN_KIND'; path: string; message: string }[] = []
  const bad = (path: string, message: string): void => {
    issues.push({ code: 'BAD_FIELD', path, message: `${path} ${message}` })
  }
  if (!obj(v)) return { success: false, issues: [{ code: 'BAD_JSON', path: '', message: 'not an object' }] }
  if (typeof v.did !== 'string' || !isValidDid(v.did)) bad('did', 'must be a DID')
  if (typeof v.time_us !== 'number' || !Number.isSafeInteger(v.time_us)) bad('time_us', 'must be an integer')
  const kind = v.kind
  if (kind === 'commit') {
    const c = v.commit
    if (!obj(c)) bad('commit', 'must be an object')
    else {
      if (typeof c.rev !== 'string' || !isValidTid(c.rev)) bad('commit.rev', 'must be a TID')
      const op = c.operation
      if (op !== 'create' && op !== 'update' && op !== 'delete')
        bad('commit.operation', 'must be create, update or delete')
      if (typeof c.collection !== 'string' || !isValidNsid(c.collection))
        bad('commit.collection', 'must be an NSID')
      if (typeof c.rkey !== 'string' || !isValidRecordKey(c.rkey)) bad('commit.rkey', 'must be a record key')
      if (op === 'create' || op === 'update') {
        if (!obj(c.record)) bad('commit.record', 'must be an object')
        if (typeof c.cid !== 'string' || !isValidCidString(c.cid)) bad('commit.cid', 'must be a CID string')
      }
    }
  } else if (kind === 'identity') {
    const i = v.identity
    if (!obj(i)) bad('identity', 'must be an object')
    else {
      if (typeof i.did !== 'string' || !isValidDid(i.did)) bad('identity.did', 'must be a DID')
      if (i.handle !== undefined && (typeof i.handle !== 'string' || !isValidHandle(i.handle)))
        bad('identity.handle', 'must be a handle')
      if (typeof i.seq !== 'number') bad('identity.seq', 'must be an integer')
      if (typeof i.time !== 'string' || !isValidDatetime(i.time)) bad('identity.time', 'must be a datetime')
    }
  } else if (kind === 'account') {
    const a = v.account
    if (!obj(a)) bad('account', 'must be an object')
    else {
      if (typeof a.did !== 'string' || !isValidDid(a.did)) bad('account.did', 'must be a DID')
      if (typeof a.active !== 'boolean') bad('account.active', 'must be a boolean')
      if (a.status !== undefined && typeof a.status !== 'string') bad('account.status', 'must be a string')
      if (typeof a.seq !== 'number') bad('account.seq', 'must be an integer')
      if (typeof a.time !== 'string' || !isValidDatetime(a.time)) bad('account.time', 'must be a datetime')
    }
  } else {
    issues.push({
      code: 'UNKNOWN_KIND',
      path: 'kind',
      message: `kind is missing or unknown; kind=${String(kind)}`,
    })
  }
  if (issues.length > 0) return { success: false, issues }
  return { success: true, value: v as unknown as JetstreamEvent }
}

/** Options of {@link JetstreamClient}. */
export interface JetstreamOptions {
  /** e.g. `wss://jetstream2.us-east.bsky.network` (`/subscribe` is added). */
  service: string
  onEvent: (event: JetstreamEvent) => Promise<void> | void
  /** Messages that do not decode (the stream goes on). */
  onReject?: (issue: { message: string; data: string }) => void
  onError?: (err: unknown) => void
  /** Collections (NSIDs or `prefix.*`) to receive; all when empty. */
  wantedCollections?: string[]
  /** DIDs to receive; all when empty. */
  wantedDids?: string[]
  /** Start cursor in microseconds (Jetstream cursors are `time_us`); overrides the store. */
  cursor?: number
  cursorStore?: CursorStore
  /**
   * zstd decompressor for `compress=true` (Jetstream uses a custom dictionary, so the caller
   * supplies it: in Node, `zstdDictionaryDecompressor(dict)` from `@rsky/sync/node`).
   * Without it the stream is requested uncompressed.
   */
  decompress?: (bytes: Uint8Array) => string
  /** Largest message. Default 4 MiB. */
  maxMessageSize?: number
  reconnect?: ReconnectOptions
  socketFactory?: SocketFactory
  /**
   * Microseconds to go back from the cursor when (re)connecting (default 0). Jetstream's replay
   * and live streams can reorder events around the cursor; rewinding a little and dropping what
   * was already handled (by event key, not by time) catches the ones that arrive late.
   */
  rewindUs?: number
  /** Tries of a failing `onEvent` before the client gives up (default 5): events are never skipped. */
  retry?: RetryOptions
}

/** How many handled event keys are remembered to drop replays. */
const SEEN_KEYS = 10_000

/** A key naming one Jetstream event (its time and what it is about), the same on every replay. */
function eventKey(e: JetstreamEvent): string {
  if (e.kind === 'commit')
    return `${e.time_us} ${e.did} ${e.commit.rev} ${e.commit.operation} ${e.commit.collection}/${e.commit.rkey}`
  if (e.kind === 'identity') return `${e.time_us} ${e.did} identity ${e.identity.seq}`
  return `${e.time_us} ${e.did} account ${e.account.seq}`
}

/**
 * A Jetstream client: typed events, cursor resume (the last `time_us` handled), collection and
 * DID filters, reconnect with backoff, optional zstd compression. Events are handled one at a
 * time in stream order; the socket pauses while a handler runs.
 * @example
 * const js = new JetstreamClient({ service: 'wss://jetstream2.us-east.bsky.network',
 *   wantedCollections: ['app.bsky.feed.post'], onEvent: (e) => console.log(e) })
 * js.start()
 */
export class JetstreamClient {
  readonly #opts: JetstreamOptions
  readonly #conn: StreamConnection
  readonly #decoder = new TextDecoder()
  #cursor: number | undefined
  #lastReceived: number | undefined
  #saver: CursorSaver | undefined
  #chain: Promise<void> = Promise.resolve()
  #queued = 0
  readonly #seen = new Set<string>()
  #state: 'idle' | 'running' | 'stopped' | 'failed' = 'idle'
  #failure: unknown
  readonly #abort = new AbortController()

  constructor(opts: JetstreamOptions) {
    if (typeof opts?.service !== 'string')
      throw new TypeError('JetstreamClient: service must be a URL string')
    if (typeof opts.onEvent !== 'function') throw new TypeError('JetstreamClient: onEvent must be a function')
    this.#opts = opts
    this.#cursor = opts.cursor
    this.#conn = new StreamConnection({
      socketFactory: opts.socketFactory,
      maxPayload: opts.maxMessageSize ?? 4 * 1024 * 1024,
      reconnect: opts.reconnect,
      handlers: {
        url: () => this.url(),
        message: (d) => this.#onMessage(d),
        error: (e) => opts.onError?.(e),
      },
    })
  }

  /** `time_us` of the newest event handled: every event received before it was handled too. */
  get cursor(): number | undefined {
    return this.#cursor
  }

  /** `running`, `stopped`, `failed` (an event could not be handled: see `error`), or `idle`. */
  state(): 'idle' | 'running' | 'stopped' | 'failed' {
    return this.#state
  }

  /** Why the client failed, if it did. */
  get error(): unknown {
    return this.#failure
  }

  /** The subscribe URL for the current cursor and filters. */
  url(): string {
    const url = new URL('/subscribe', this.#opts.service)
    for (const c of this.#opts.wantedCollections ?? []) url.searchParams.append('wantedCollections', c)
    for (const d of this.#opts.wantedDids ?? []) url.searchParams.append('wantedDids', d)
    const c = this.#lastReceived ?? this.#cursor
    if (c !== undefined) url.searchParams.set('cursor', String(Math.max(0, c - (this.#opts.rewindUs ?? 0))))
    if (this.#opts.decompress) url.searchParams.set('compress', 'true')
    return url.toString()
  }

  async start(): Promise<void> {
    const { cursor, saver } = await resumeCursor(this.#opts)
    this.#cursor = cursor
    this.#saver = saver
    this.#lastReceived = cursor
    this.#state = 'running'
    this.#conn.start()
  }

  /** Disconnects, lets queued events finish (a failing one is not retried any more), saves the cursor. */
  async stop(): Promise<void> {
    this.#conn.stop()
    this.#abort.abort()
    await this.#chain
    await this.#saver?.flush()
    if (this.#state !== 'failed') this.#state = 'stopped'
  }

  #onMessage(data: Uint8Array | string): void {
    if (this.#state !== 'running') return
    let text: string
    try {
      text =
        typeof data === 'string'
          ? data
          : this.#opts.decompress
            ? this.#opts.decompress(data)
            : this.#decoder.decode(data)
    } catch (err) {
      this.#opts.onReject?.({ message: `could not decompress: ${(err as Error).message}`, data: '' })
      return
    }
    const r = parseJetstreamEvent(text)
    if (!r.success) {
      this.#opts.onReject?.({ message: r.issues.map((i) => i.message).join('; '), data: text.slice(0, 512) })
      return
    }
    const evt = r.value
    // Replays after a reconnect repeat events already handled: drop them by key. An event older
    // than the newest one is NOT dropped (replay-to-live cutover reorders events).
    const key = eventKey(evt)
    if (this.#seen.has(key)) return
    this.#seen.add(key)
    if (this.#seen.size > SEEN_KEYS) this.#seen.delete(this.#seen.values().next().value as string)
    if (this.#lastReceived === undefined || evt.time_us > this.#lastReceived) this.#lastReceived = evt.time_us
    this.#queued++
    if (this.#queued >= 64) this.#conn.pause()
    this.#chain = this.#chain.then(async () => {
      if (this.#state === 'failed') return
      if (!(await this.#handle(evt))) return
      if (this.#cursor === undefined || evt.time_us > this.#cursor) {
        this.#cursor = evt.time_us
        this.#saver?.save(evt.time_us)
      }
      this.#queued--
      if (this.#queued <= 16) this.#conn.resume()
    })
  }

  /** Runs `onEvent` with retries; false when the event could not be handled (nothing moves). */
  async #handle(evt: JetstreamEvent): Promise<boolean> {
    const attempts = this.#opts.retry?.attempts ?? 5
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#opts.onEvent(evt)
        return true
      } catch (err) {
        this.#opts.onError?.(err)
        if (this.#abort.signal.aborted) return false
        if (attempt + 1 >= attempts) {
          this.#failure = err
          this.#state = 'failed'
          this.#conn.stop()
          return false
        }
        const signal = this.#abort.signal
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(t)
            resolve()
          }
          const t = setTimeout(
            done,
            backoffDelay(attempt, { minDelayMs: 100, maxDelayMs: 5000, ...this.#opts.retry }),
          )
          signal.addEventListener('abort', done, { once: true })
        })
      }
    }
  }
}
