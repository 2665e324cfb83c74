import { DidResolver } from '@rsky/identity'
import {
  type LabelFailure,
  type LabelKeyResolver,
  type LabelState,
  type LabelVerdict,
  LabelVerifier,
} from '@rsky/label'
import { backoffDelay, type ReconnectOptions, StreamConnection } from './connection.ts'
import { type CursorSaver, type CursorStore, resumeCursor } from './cursor.ts'
import { StreamClosedError } from './errors.ts'
import { type EventIssue, type EventLimits, type Label, type LabelEvent, parseLabelEvent } from './events.ts'
import { DEFAULT_MAX_FRAME_SIZE, decodeFrame } from './frame.ts'
import type { SocketFactory } from './ws/types.ts'

/**
 * How a label whose labeler key cannot be had right now (`KEY_UNAVAILABLE`: the DID document fetch
 * failed, or the document has no `#atproto_label` key) is tried again. The subscription waits on it
 * (events behind it queue, then the socket is paused) and the cursor stays before its event.
 */
export interface LabelKeyRetryOptions {
  /** First delay. Default 1 s. */
  minDelayMs?: number
  /** Largest delay (exponential steps with jitter up to it). Default 60 s. */
  maxDelayMs?: number
  /**
   * Verification tries for one label, the first included, before it is given up: reported to
   * `onInvalidLabel` as `KEY_UNAVAILABLE` and passed over, the cursor moving on. Default `Infinity`:
   * never given up, since a moderation pipeline that drops a takedown because a DID document was
   * briefly unreachable is worse than one that is late. `1` is the old behaviour (no retry).
   */
  maxAttempts?: number
}

/**
 * Given to `onError` for each try of a label whose labeler key could not be had: `retryInMs` is the
 * wait before the next try, or `undefined` when the label was given up (`maxAttempts` reached).
 */
export class LabelKeyUnavailableError extends Error {
  override name = 'LabelKeyUnavailableError'
  readonly code = 'LABEL_KEY_UNAVAILABLE'
  readonly seq: number
  /** The labeler DID whose key was wanted. */
  readonly src: string
  /** Tries made so far (1 after the first). */
  readonly attempt: number
  readonly retryInMs: number | undefined
  constructor(info: {
    seq: number
    src: string
    attempt: number
    retryInMs: number | undefined
    reason: string
  }) {
    const next = info.retryInMs === undefined ? 'given up' : `retry in ${Math.round(info.retryInMs)} ms`
    super(
      `labeler key unavailable, ${next}; seq=${info.seq} src=${info.src} attempt=${info.attempt} reason=${info.reason}`,
    )
    this.seq = info.seq
    this.src = info.src
    this.attempt = info.attempt
    this.retryInMs = info.retryInMs
  }
}

/** Options of {@link LabelSubscription}. */
export interface LabelSubscriptionOptions {
  /** Labeler base URL (`/xrpc/com.atproto.label.subscribeLabels` is added). */
  service: string
  /**
   * The subscribed labeler's DID. Labels whose `src` differs are rejected (`FOREIGN_SOURCE`) unless
   * listed in `allowedSources`. Required unless `verify` is false or `allowedSources` is `'*'`.
   */
  labeler?: string
  /** Other `src` DIDs accepted from this stream (re-broadcasting labelers). `'*'` accepts any. */
  allowedSources?: readonly string[] | '*'
  /**
   * How labels are checked: by default a `LabelVerifier` over `resolver` (the `src` DID's
   * `#atproto_label` key, refetched once after a failure). `false` turns every check off, `src` included.
   */
  verify?: LabelVerifier | false
  /** DID resolver for the default verifier. Default a new `DidResolver` of @rsky/identity. */
  resolver?: LabelKeyResolver
  /** Each `#labels` event with only the labels that passed (events left empty are not delivered). */
  onEvent: (event: LabelEvent) => Promise<void> | void
  /**
   * A label that failed verification or came from a foreign `src`; the rest of its event still passes
   * and the cursor moves on. Final verdicts (`MALFORMED`, `UNSIGNED`, `BAD_SIGNATURE`, `EXPIRED`,
   * `FOREIGN_SOURCE`) come at once; `KEY_UNAVAILABLE` only once `keyRetry.maxAttempts` is reached
   * (by default never: the label is retried until its key can be had).
   */
  onInvalidLabel?: (info: {
    seq: number
    label: Label
    reason: LabelFailure | 'FOREIGN_SOURCE'
    message: string
  }) => void
  /** Retry of labels whose labeler key cannot be had right now (see {@link LabelKeyRetryOptions}). */
  keyRetry?: LabelKeyRetryOptions
  /** Verified labels are applied here too (negations and expiry resolved per subject). */
  state?: LabelState
  onReject?: (issue: { seq?: number | undefined; issues: EventIssue[] }) => void
  /** Connection and handler errors, and a {@link LabelKeyUnavailableError} for each key retry. */
  onError?: (err: unknown) => void
  /** Aborting it stops the subscription, as `stop()` does. */
  signal?: AbortSignal
  cursor?: number
  cursorStore?: CursorStore
  maxFrameSize?: number
  reconnect?: ReconnectOptions
  socketFactory?: SocketFactory
  limits?: EventLimits
}

/**
 * A `com.atproto.label.subscribeLabels` client: typed `#labels`/`#info` events in stream order,
 * cursor resume, reconnect with backoff. Every label is verified by default (signature by the
 * labeler's current `#atproto_label` key, `src` the subscribed labeler, not expired); failures go
 * to `onInvalidLabel`. The cursor (and the cursor store) only moves past an event once it has been
 * verified and handled. A label whose key cannot be fetched right now is tried again with backoff
 * (`keyRetry`), holding back the events behind it, as the firehose holds an event it could not
 * deliver; `stop()` during that wait leaves the event and the ones after it for the next start.
 * @example
 * new LabelSubscription({ service: 'https://mod.example', labeler: 'did:plc:...', onEvent: (e) => console.log(e) }).start()
 */
export class LabelSubscription {
  readonly #opts: LabelSubscriptionOptions
  readonly #conn: StreamConnection
  readonly #verifier: LabelVerifier | undefined
  readonly #allowed: ReadonlySet<string> | '*'
  #cursor: number | undefined
  #lastReceived: number | undefined
  #saver: CursorSaver | undefined
  #chain: Promise<void> = Promise.resolve()
  #queued = 0
  readonly #retry: Required<LabelKeyRetryOptions>
  #abort = new AbortController()
  /** Set when stopping left an event unfinished: the events after it are not handled either. */
  #halted = false
  #stopping: Promise<void> | undefined

  constructor(opts: LabelSubscriptionOptions) {
    if (typeof opts?.service !== 'string')
      throw new TypeError('LabelSubscription: service must be a URL string')
    if (opts.verify !== false && typeof opts.labeler !== 'string' && opts.allowedSources !== '*') {
      throw new TypeError(
        "LabelSubscription: labeler (the DID) is required unless verify is false or allowedSources is '*'",
      )
    }
    const retry = {
      minDelayMs: opts.keyRetry?.minDelayMs ?? 1000,
      maxDelayMs: opts.keyRetry?.maxDelayMs ?? 60_000,
      maxAttempts: opts.keyRetry?.maxAttempts ?? Number.POSITIVE_INFINITY,
    }
    if (!(retry.minDelayMs >= 0 && Number.isFinite(retry.minDelayMs)))
      throw new RangeError('LabelSubscription: keyRetry.minDelayMs must be a finite number >= 0')
    if (!(retry.maxDelayMs >= retry.minDelayMs && Number.isFinite(retry.maxDelayMs)))
      throw new RangeError('LabelSubscription: keyRetry.maxDelayMs must be finite and >= minDelayMs')
    if (
      !(
        retry.maxAttempts === Number.POSITIVE_INFINITY ||
        (Number.isSafeInteger(retry.maxAttempts) && retry.maxAttempts > 0)
      )
    )
      throw new RangeError('LabelSubscription: keyRetry.maxAttempts must be a positive integer or Infinity')
    this.#retry = retry
    this.#opts = opts
    if (opts.verify !== false) {
      this.#verifier = opts.verify ?? new LabelVerifier({ resolver: opts.resolver ?? new DidResolver() })
    }
    this.#allowed =
      opts.allowedSources === '*' ? '*' : new Set([...(opts.allowedSources ?? []), opts.labeler ?? ''])
    this.#conn = new StreamConnection({
      socketFactory: opts.socketFactory,
      maxPayload: opts.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE,
      reconnect: opts.reconnect,
      handlers: {
        url: () => {
          const url = new URL('/xrpc/com.atproto.label.subscribeLabels', opts.service)
          const c = this.#lastReceived
          if (c !== undefined) url.searchParams.set('cursor', String(c))
          return url.toString()
        },
        message: (d) => this.#onMessage(d),
        error: (e) => opts.onError?.(e),
      },
    })
  }

  /** Seq of the last `#labels` event handled. */
  get cursor(): number | undefined {
    return this.#cursor
  }

  async start(): Promise<void> {
    if (this.#stopping !== undefined) await this.#stopping
    const signal = this.#opts.signal
    if (signal?.aborted) return
    const { cursor, saver } = await resumeCursor(this.#opts)
    // started again on the same object: go on from what it handled
    this.#cursor ??= cursor
    this.#saver = saver
    this.#lastReceived = this.#cursor
    this.#abort = new AbortController()
    this.#halted = false
    this.#stopping = undefined
    signal?.addEventListener('abort', () => void this.stop(), { once: true, signal: this.#abort.signal })
    this.#conn.start()
  }

  /**
   * Disconnects and lets queued events finish, then saves the cursor. A label waiting for its key
   * (in a backoff, or a key fetch under way) is abandoned at once, and a queued one whose key cannot
   * be had on its one try is not retried: its event stays unhandled, and so do the events behind
   * it (the cursor stays before it and the next start receives them again).
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  async #stop(): Promise<void> {
    this.#conn.stop()
    this.#abort.abort()
    await this.#chain
    await this.#saver?.flush()
  }

  #onMessage(data: Uint8Array | string): void {
    if (typeof data === 'string') return
    let frame: ReturnType<typeof decodeFrame>
    try {
      frame = decodeFrame(data, { maxFrameSize: this.#opts.maxFrameSize })
    } catch (err) {
      this.#opts.onError?.(new StreamClosedError('STREAM_BAD_FRAME', (err as Error).message, { cause: err }))
      this.#conn.restart()
      return
    }
    if (frame.op === -1) {
      const body = frame.body as { error: string; message?: string }
      this.#opts.onError?.(
        new StreamClosedError('STREAM_ERROR_FRAME', `server sent an error; error=${body.error}`, {
          error: body.error,
        }),
      )
      if (body.error === 'FutureCursor') this.#conn.stop()
      else this.#conn.restart()
      return
    }
    if (frame.op !== 1) return
    const r = parseLabelEvent(frame, this.#opts.limits)
    const rawSeq = (frame.body as { seq?: unknown }).seq
    const seq = typeof rawSeq === 'number' ? rawSeq : undefined
    if (seq !== undefined) {
      if (this.#lastReceived !== undefined && seq <= this.#lastReceived) return
      this.#lastReceived = seq
    }
    if (!r.success) {
      this.#opts.onReject?.({ seq, issues: r.issues })
      return
    }
    const evt = r.value
    this.#queued++
    if (this.#queued >= 256) this.#conn.pause()
    this.#chain = this.#chain.then(async () => {
      if (this.#halted) {
        this.#queued--
        return
      }
      try {
        if (evt.$type === '#labels') {
          const passed = await this.#check(evt.seq, evt.labels)
          if (passed === null) {
            // stopped while a label waited for its key: neither it nor anything after it is done
            this.#halted = true
            this.#queued--
            return
          }
          if (passed === undefined) await this.#opts.onEvent(evt)
          else if (passed.length > 0) await this.#opts.onEvent({ ...evt, labels: passed })
        } else await this.#opts.onEvent(evt)
      } catch (err) {
        this.#opts.onError?.(err)
      }
      if (evt.$type === '#labels') {
        this.#cursor = evt.seq
        this.#saver?.save(evt.seq)
      }
      this.#queued--
      if (this.#queued <= 64) this.#conn.resume()
    })
  }

  // The labels of one event that pass; undefined when nothing is checked; null when stopped while a
  // label waited for its key.
  async #check(seq: number, labels: Label[]): Promise<Label[] | undefined | null> {
    const verifier = this.#verifier
    if (verifier === undefined) {
      if (this.#opts.state) for (const l of labels) this.#opts.state.apply({ ...l, ver: 1 })
      return undefined
    }
    const passed: Label[] = []
    for (const label of labels) {
      if (this.#allowed !== '*' && !this.#allowed.has(label.src)) {
        this.#opts.onInvalidLabel?.({
          seq,
          label,
          reason: 'FOREIGN_SOURCE',
          message: `label src is not the subscribed labeler; src=${label.src}`,
        })
        continue
      }
      const verdict = await this.#verifyPatiently(verifier, seq, label)
      if (verdict === undefined) return null
      if (verdict.valid) {
        passed.push(label)
        this.#opts.state?.apply(verdict.label)
      } else {
        this.#opts.onInvalidLabel?.({ seq, label, reason: verdict.reason, message: verdict.message })
      }
    }
    return passed
  }

  // Verifies one label, trying again with backoff while its key cannot be had. Undefined when the
  // subscription stopped first.
  async #verifyPatiently(
    verifier: LabelVerifier,
    seq: number,
    label: Label,
  ): Promise<LabelVerdict | undefined> {
    const signal = this.#abort.signal
    for (let attempt = 1; ; attempt++) {
      // the failed fetch is cached by the verifier (its refresh cooldown): drop it so this try fetches
      if (attempt > 1) verifier.forget(label.src)
      const work = verifier.verify(label)
      // a label queued before stop() still gets its one try (as the firehose lets queued events
      // finish); a wait that began before stop() ends with it
      const verdict = signal.aborted ? await work : await untilAborted(work, signal)
      if (verdict === undefined) return undefined
      if (verdict.valid || verdict.reason !== 'KEY_UNAVAILABLE') return verdict
      const last = attempt >= this.#retry.maxAttempts
      const delay = last ? undefined : backoffDelay(attempt - 1, this.#retry)
      this.#opts.onError?.(
        new LabelKeyUnavailableError({
          seq,
          src: label.src,
          attempt,
          retryInMs: delay,
          reason: verdict.message,
        }),
      )
      if (delay === undefined) return verdict
      if (!(await sleep(delay, signal))) return undefined
    }
  }
}

/** `work`'s value, or undefined as soon as `signal` aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined)
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(undefined)
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (err) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}

/** Waits `ms`; false when `signal` aborted first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
