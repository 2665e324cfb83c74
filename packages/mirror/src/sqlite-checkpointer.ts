// WAL checkpoints on a second thread. By default SQLite checkpoints inside the COMMIT that pushes
// the WAL past 1,000 pages: for a backfill of 100,000 records (about 40 MB) that COMMIT copies the
// whole WAL into the database file and fsyncs it, which measured about as long as inserting the
// rows. With automatic checkpoints off on the writing connection, a worker thread with its own
// connection runs PASSIVE checkpoints (they never block the writer) every `intervalMs`, so the copy
// and the fsync overlap the next repository's verification on the other core. The writer resets
// the WAL once a checkpoint has caught up; durability is the WAL's, as before. At the store's close
// the writing connection closes first (not the last connection, so it skips SQLite's closing
// checkpoint) and this thread's connection closes after it: that last close copies what is left of
// the WAL into the database file and fsyncs it here, off the caller's thread.
import { Worker } from 'node:worker_threads'

// Slot 0: 1 asks the worker to close its connection and end.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads')
const { DatabaseSync } = require('node:sqlite')
const flags = new Int32Array(workerData.flags)
let db
try {
  // not opened at all when the store closed first: the file may be gone, and opening would make it
  if (Atomics.load(flags, 0) === 0) db = new DatabaseSync(workerData.path, { timeout: 10000 })
  while (db !== undefined && Atomics.load(flags, 0) === 0) {
    try { db.exec('PRAGMA wal_checkpoint(PASSIVE)') } catch {}
    Atomics.wait(flags, 0, 0, workerData.intervalMs)
  }
} finally {
  try { db?.close() } catch {}
}
`

/** A worker thread that checkpoints a SQLite file's WAL every `intervalMs` (default 50). */
export class SqliteCheckpointer {
  readonly #worker: Worker
  readonly #flags = new Int32Array(new SharedArrayBuffer(4))
  #stopped = false

  constructor(path: string, opts: { intervalMs?: number } = {}) {
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, intervalMs: opts.intervalMs ?? 50, flags: this.#flags.buffer },
    })
    // It keeps the process alive only after finish(); a failure only means SQLite checkpoints at
    // the close of the last connection instead.
    this.#worker.unref()
    this.#worker.on('error', () => {})
  }

  /**
   * Asks the worker to close its connection and end, without waiting for it. The process stays up
   * until it has (the worker is held again), so a process that ends by itself leaves a checkpointed
   * file; one killed meanwhile leaves the WAL, which SQLite reads back at the next open. A second
   * call does nothing.
   */
  finish(): void {
    if (this.#stopped) return
    this.#stopped = true
    this.#worker.ref()
    Atomics.store(this.#flags, 0, 1)
    Atomics.notify(this.#flags, 0)
  }
}
