import { DidResolver } from '@rsky/identity'
import { type LabelFailure, type LabelKeyResolver, type LabelState, LabelVerifier } from '@rsky/label'
import { type ReconnectOptions, StreamConnection } from './connection.ts'
import { type CursorSaver, type CursorStore, resumeCursor } from './cursor.ts'
import { StreamClosedError } from './errors.ts'
import { type EventIssue, type EventLimits, type Label, type LabelEvent, parseLabelEvent } from './events.ts'
import { DEFAULT_MAX_FRAME_SIZE, decodeFrame } from './frame.ts'
import type { SocketFactory } from './ws/types.ts'

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
   * and the cursor moves on. `KEY_UNAVAILABLE` includes a labeler document that could not be fetched
   * at that moment: such labels are not retried here (fetch them again with `queryLabels`).
   */
  onInvalidLabel?: (info: {
    seq: number
    label: Label
    reason: LabelFailure | 'FOREIGN_SOURCE'
    message: string
  }) => void
  /** Verified labels are applied here too (negations and expiry resolved per subject). */
  state?: LabelState
  onReject?: (issue: { seq?: number | undefined; issues: EventIssue[] }) => void
  onError?: (err: unknown) => void
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
 * verified and handled.
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

  constructor(opts: LabelSubscriptionOptions) {
    if (typeof opts?.service !== 'string')
      throw new TypeError('LabelSubscription: service must be a URL string')
    if (opts.verify !== false && typeof opts.labeler !== 'string' && opts.allowedSources !== '*') {
      throw new TypeError(
        "LabelSubscription: labeler (the DID) is required unless verify is false or allowedSources is '*'",
      )
    }
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
    const { cursor, saver } = await resumeCursor(this.#opts)
    this.#cursor = cursor
    this.#saver = saver
    this.#lastReceived = cursor
    this.#conn.start()
  }

  async stop(): Promise<void> {
    this.#conn.stop()
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
      try {
        if (evt.$type === '#labels') {
          const passed = await this.#check(evt.seq, evt.labels)
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

  // The labels of one event that pass; undefined when nothing is checked.
  async #check(seq: number, labels: Label[]): Promise<Label[] | undefined> {
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
      const verdict = await verifier.verify(label)
      if (verdict.valid) {
        passed.push(label)
        this.#opts.state?.apply(verdict.label)
      } else {
        this.#opts.onInvalidLabel?.({ seq, label, reason: verdict.reason, message: verdict.message })
      }
    }
    return passed
  }
}
