/**
 * Runs tasks so that tasks with the same key (a DID) run one at a time in arrival order, while
 * up to `concurrency` different keys run at once. Task errors go to `onError`; they never stop
 * the key's later tasks.
 */
export class KeyedScheduler {
  readonly #concurrency: number
  readonly #onError: (err: unknown) => void
  readonly #queues = new Map<string, (() => Promise<void>)[]>()
  readonly #ready: string[] = []
  #readyHead = 0
  #running = 0
  #pending = 0
  #idle: (() => void)[] = []

  constructor(opts: { concurrency: number; onError: (err: unknown) => void }) {
    if (!(Number.isSafeInteger(opts.concurrency) && opts.concurrency > 0)) {
      throw new RangeError('KeyedScheduler: concurrency must be a positive integer')
    }
    this.#concurrency = opts.concurrency
    this.#onError = opts.onError
  }

  /** Tasks queued or running. */
  get pending(): number {
    return this.#pending
  }

  /** Queues `task` after every earlier task of `key`. */
  push(key: string, task: () => Promise<void>): void {
    this.#pending++
    const q = this.#queues.get(key)
    if (q) {
      q.push(task)
      return
    }
    this.#queues.set(key, [task])
    this.#ready.push(key)
    this.#pump()
  }

  /** Resolves when no task is queued or running. */
  idle(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  #pump(): void {
    while (this.#running < this.#concurrency && this.#readyHead < this.#ready.length) {
      const key = this.#ready[this.#readyHead++] as string
      if (this.#readyHead > 1024 && this.#readyHead * 2 > this.#ready.length) {
        this.#ready.splice(0, this.#readyHead)
        this.#readyHead = 0
      }
      this.#running++
      void this.#runKey(key)
    }
  }

  async #runKey(key: string): Promise<void> {
    const q = this.#queues.get(key) as (() => Promise<void>)[]
    // Run a bounded batch of this key's tasks, then yield the slot so one busy key cannot starve others.
    for (let n = 0; n < 64 && q.length > 0; n++) {
      const task = q.shift() as () => Promise<void>
      try {
        await task()
      } catch (err) {
        this.#onError(err)
      }
      this.#pending--
    }
    this.#running--
    if (q.length > 0) this.#ready.push(key)
    else this.#queues.delete(key)
    if (this.#pending === 0) {
      const waiters = this.#idle
      this.#idle = []
      for (const w of waiters) w()
    }
    this.#pump()
  }
}
