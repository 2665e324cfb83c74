/**
 * Tracks in-flight sequence numbers and yields the highest seq below which every event has been
 * handled. Events finish out of order (different DIDs run in parallel), so the cursor only moves
 * over a run of finished events and never passes one still being handled.
 */
export class SafeCursor {
  #seqs: number[] = []
  #done: boolean[] = []
  #head = 0
  #safe: number | undefined
  constructor(start?: number) {
    this.#safe = start
  }

  /** The safe cursor: every event up to and including it was handled. */
  get value(): number | undefined {
    return this.#safe
  }

  /** Events started but not yet covered by the cursor. */
  get inFlight(): number {
    return this.#seqs.length - this.#head
  }

  /** Records that the event `seq` was received (in stream order). */
  start(seq: number): void {
    const last = this.#seqs[this.#seqs.length - 1]
    if (last !== undefined && seq <= last) throw new RangeError(`seq must increase; seq=${seq} last=${last}`)
    this.#seqs.push(seq)
    this.#done.push(false)
  }

  /** Marks `seq` handled; returns the new cursor if it moved, else undefined. */
  finish(seq: number): number | undefined {
    const i = this.#find(seq)
    if (i < 0) throw new RangeError(`seq was not started; seq=${seq}`)
    this.#done[i] = true
    let moved = false
    while (this.#head < this.#seqs.length && this.#done[this.#head]) {
      this.#safe = this.#seqs[this.#head]
      this.#head++
      moved = true
    }
    if (this.#head > 1024 && this.#head * 2 > this.#seqs.length) {
      this.#seqs = this.#seqs.slice(this.#head)
      this.#done = this.#done.slice(this.#head)
      this.#head = 0
    }
    return moved ? this.#safe : undefined
  }

  #find(seq: number): number {
    // seqs are increasing: binary search over the live part
    let lo = this.#head
    let hi = this.#seqs.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const v = this.#seqs[mid] as number
      if (v === seq) return mid
      if (v < seq) lo = mid + 1
      else hi = mid - 1
    }
    return -1
  }
}

/** Where a stream client keeps its cursor between runs. */
export interface CursorStore {
  load(): Promise<number | undefined> | number | undefined
  save(cursor: number): Promise<void> | void
}

/** In-memory {@link CursorStore}. */
export class MemoryCursorStore implements CursorStore {
  cursor: number | undefined
  constructor(cursor?: number) {
    this.cursor = cursor
  }
  load(): number | undefined {
    return this.cursor
  }
  save(cursor: number): void {
    this.cursor = cursor
  }
}

/**
 * Saves a cursor through a store, coalescing saves: at most one write in flight, the latest
 * value written next. Store errors go to `onError`.
 */
export class CursorSaver {
  readonly #store: CursorStore
  readonly #onError: (err: unknown) => void
  #pending: number | undefined
  #running: Promise<void> | undefined
  constructor(store: CursorStore, onError: (err: unknown) => void) {
    this.#store = store
    this.#onError = onError
  }
  /** Queues `cursor` to be saved. */
  save(cursor: number): void {
    this.#pending = cursor
    this.#running ??= this.#loop()
  }
  /** Resolves once every queued cursor is written. */
  async flush(): Promise<void> {
    while (this.#running) await this.#running
  }
  async #loop(): Promise<void> {
    try {
      while (this.#pending !== undefined) {
        const c = this.#pending
        this.#pending = undefined
        try {
          await this.#store.save(c)
        } catch (err) {
          this.#onError(err)
        }
      }
    } finally {
      this.#running = undefined
    }
  }
}

/** Where a stream client resumes from, and the saver that persists its progress. */
export interface ResumePoint {
  cursor: number | undefined
  saver: CursorSaver | undefined
}

/**
 * The cursor a client starts from: the one it was given, else the store's saved one; plus a
 * {@link CursorSaver} over the store, when there is one. Labels and Jetstream resume the same way.
 */
export async function resumeCursor(opts: {
  cursor?: number | undefined
  cursorStore?: CursorStore | undefined
  onError?: ((err: unknown) => void) | undefined
}): Promise<ResumePoint> {
  let cursor = opts.cursor
  if (!opts.cursorStore) return { cursor, saver: undefined }
  const saver = new CursorSaver(opts.cursorStore, (e) => opts.onError?.(e))
  cursor ??= (await opts.cursorStore.load()) ?? undefined
  return { cursor, saver }
}
