// WAL checkpoints on a second thread. By default SQLite checkpoints inside the COMMIT that pushes
// the WAL past 1,000 pages: for a backfill of 100,000 records (about 40 MB) that COMMIT copies the
// whole WAL into the database file and fsyncs it, which measured about as long as inserting the
// rows. With automatic checkpoints off on the writing connection, a worker thread with its own
// connection runs PASSIVE checkpoints (they never block the writer) every `intervalMs`, so the copy
// and the fsync overlap the next repository's verification on the other core. The writer resets
// the WAL once a checkpoint has caught up; durability is the WAL's, as before.
import { Worker } from 'node:worker_threads'

// Slot 0: 1 asks the worker to stop. Slot 1: 1 once its connection is closed.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads')
const { DatabaseSync } = require('node:sqlite')
const flags = new Int32Array(workerData.flags)
let db
try {
  db = new DatabaseSync(workerData.path, { timeout: 10000 })
  while (Atomics.load(flags, 0) === 0) {
    try { db.exec('PRAGMA wal_checkpoint(PASSIVE)') } catch {}
    Atomics.wait(flags, 0, 0, workerData.intervalMs)
  }
} finally {
  try { db?.close() } catch {}
  Atomics.store(flags, 1, 1)
  Atomics.notify(flags, 1)
}
`

/** A worker thread that checkpoints a SQLite file's WAL every `intervalMs` (default 50). */
export class SqliteCheckpointer {
  readonly #worker: Worker
  readonly #flags = new Int32Array(new SharedArrayBuffer(8))
  #stopped = false

  constructor(path: string, opts: { intervalMs?: number } = {}) {
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, intervalMs: opts.intervalMs ?? 50, flags: this.#flags.buffer },
    })
    // It never keeps the process alive; a failure only means checkpoints wait for close().
    this.#worker.unref()
    this.#worker.on('error', () => {})
  }

  /** Stops the worker after its connection closes (waits at most 1 s); a second call does nothing. */
  stop(): void {
    if (this.#stopped) return
    this.#stopped = true
    Atomics.store(this.#flags, 0, 1)
    Atomics.notify(this.#flags, 0)
    Atomics.wait(this.#flags, 1, 0, 1_000)
    void this.#worker.terminate()
  }
}
