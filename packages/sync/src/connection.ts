import { defaultSocketFactory } from '#socket-default'
import type { SocketFactory, SocketLike } from './ws/types.ts'

/** Reconnection timing: exponential backoff with jitter. */
export interface ReconnectOptions {
  /** First delay. Default 250 ms. */
  minDelayMs?: number
  /** Largest delay. Default 30 s. */
  maxDelayMs?: number
  /** Give up after this many consecutive failed attempts. Default unlimited. */
  maxAttempts?: number
}

/**
 * Delay before reconnect attempt `attempt` (0-based): the exponential step capped at
 * `maxDelayMs`, then "equal jitter" (between half and all of it) so many clients do not return
 * in lockstep.
 */
export function backoffDelay(
  attempt: number,
  opts: ReconnectOptions = {},
  random: () => number = Math.random,
): number {
  const min = opts.minDelayMs ?? 250
  const max = opts.maxDelayMs ?? 30_000
  const step = Math.min(max, min * 2 ** Math.min(attempt, 30))
  return step / 2 + random() * (step / 2)
}

/** What a {@link StreamConnection} tells its owner. */
export interface ConnectionHandlers {
  /** URL for the next connection attempt (it carries the current cursor). */
  url(): string
  message(data: Uint8Array | string): void
  open?(): void
  /** The socket closed; `willRetry` tells whether a reconnect is scheduled. */
  closed?(info: { code: number | undefined; reason: string | undefined; willRetry: boolean }): void
  error?(err: unknown): void
}

/** Keeps one WebSocket open: reconnects with backoff, can pause reading for backpressure. */
export class StreamConnection {
  readonly #handlers: ConnectionHandlers
  readonly #factory: SocketFactory
  readonly #maxPayload: number
  readonly #reconnect: ReconnectOptions
  #socket: SocketLike | undefined
  #attempt = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #stopped = true
  #paused = false
  #closedForPause = false

  constructor(opts: {
    handlers: ConnectionHandlers
    socketFactory?: SocketFactory | undefined
    maxPayload: number
    reconnect?: ReconnectOptions | undefined
  }) {
    this.#handlers = opts.handlers
    this.#factory = opts.socketFactory ?? defaultSocketFactory
    this.#maxPayload = opts.maxPayload
    this.#reconnect = opts.reconnect ?? {}
  }

  /** Whether the connection is started and not stopped. */
  get running(): boolean {
    return !this.#stopped
  }

  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.#open()
  }

  /** Closes the socket and cancels any reconnect. */
  stop(): void {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    const s = this.#socket
    this.#socket = undefined
    if (s) {
      s.onmessage = null
      s.close(1000, 'client stopped')
    }
  }

  /** Drops the current socket and connects again after the backoff delay. */
  restart(): void {
    const s = this.#socket
    if (s) {
      s.onmessage = null
      s.close(1000, 'client restarting')
    }
  }

  /** Stops reading from the network (or, without `pause` support, closes until resumed). */
  pause(): void {
    if (this.#paused) return
    this.#paused = true
    const s = this.#socket
    if (s?.pause) s.pause()
    else if (s) {
      this.#closedForPause = true
      this.restart()
    }
  }

  resume(): void {
    if (!this.#paused) return
    this.#paused = false
    const s = this.#socket
    if (this.#closedForPause) {
      this.#closedForPause = false
      if (!this.#stopped && !this.#socket && !this.#timer) this.#open()
    } else if (s?.resume) s.resume()
  }

  #open(): void {
    this.#timer = undefined
    if (this.#stopped) return
    let s: SocketLike
    try {
      s = this.#factory(this.#handlers.url(), { maxPayload: this.#maxPayload })
    } catch (err) {
      this.#handlers.error?.(err)
      this.#schedule()
      return
    }
    this.#socket = s
    if (s.binaryType === 'blob') s.binaryType = 'arraybuffer'
    s.onopen = () => {
      this.#handlers.open?.()
      if (this.#paused && s.pause) s.pause()
    }
    s.onmessage = (ev) => {
      // a message proves the connection works, so the next outage starts from the first delay
      this.#attempt = 0
      const d = ev.data
      if (typeof d === 'string') this.#handlers.message(d)
      else if (d instanceof Uint8Array) this.#handlers.message(d)
      else if (d instanceof ArrayBuffer) this.#handlers.message(new Uint8Array(d))
      else this.#handlers.error?.(new TypeError('unsupported WebSocket message data'))
    }
    s.onerror = (ev) => {
      const err = (ev as { error?: unknown })?.error ?? ev
      this.#handlers.error?.(err)
    }
    s.onclose = (ev) => {
      if (this.#socket === s) this.#socket = undefined
      s.onmessage = null
      const willRetry = !this.#stopped && !this.#closedForPause && this.#canRetry()
      this.#handlers.closed?.({ code: ev?.code, reason: ev?.reason, willRetry })
      if (willRetry) this.#schedule()
      else if (!this.#closedForPause) this.#stopped = true
    }
  }

  #canRetry(): boolean {
    const max = this.#reconnect.maxAttempts
    return max === undefined || this.#attempt < max
  }

  #schedule(): void {
    if (this.#stopped || this.#timer) return
    const delay = backoffDelay(this.#attempt++, this.#reconnect)
    this.#timer = setTimeout(() => this.#open(), delay)
  }
}
