import { type ReconnectOptions, StreamConnection } from './connection.ts'
import { type CursorSaver, type CursorStore, resumeCursor } from './cursor.ts'
import { StreamClosedError } from './errors.ts'
import { type EventIssue, type EventLimits, type LabelEvent, parseLabelEvent } from './events.ts'
import { DEFAULT_MAX_FRAME_SIZE, decodeFrame } from './frame.ts'
import type { SocketFactory } from './ws/types.ts'

/** Options of {@link LabelSubscription}. */
export interface LabelSubscriptionOptions {
  /** Labeler base URL (`/xrpc/com.atproto.label.subscribeLabels` is added). */
  service: string
  onEvent: (event: LabelEvent) => Promise<void> | void
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
 * cursor resume, reconnect with backoff. Label signatures are not checked here.
 * @example new LabelSubscription({ service: 'wss://mod.example', onEvent: (e) => console.log(e) }).start()
 */
export class LabelSubscription {
  readonly #opts: LabelSubscriptionOptions
  readonly #conn: StreamConnection
  #cursor: number | undefined
  #lastReceived: number | undefined
  #saver: CursorSaver | undefined
  #chain: Promise<void> = Promise.resolve()
  #queued = 0

  constructor(opts: LabelSubscriptionOptions) {
    if (typeof opts?.service !== 'string')
      throw new TypeError('LabelSubscription: service must be a URL string')
    this.#opts = opts
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
        await this.#opts.onEvent(evt)
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
}
