// Group commit of SQLite backfills. The engine runs several backfills at once; those that complete
// at about the same time (before the event loop next turns) are written in one transaction. BEGIN
// and COMMIT cost about as much as writing a hundred small records, so for small repositories one
// pair per group instead of one per repository is most of what grouping saves. Nothing marks where
// one repository ends (a SAVEPOINT each cost about a tenth of the writing thread): a group almost
// always commits whole, and when any statement in it fails (a bad record found by the walk, the
// application's hook throwing, a COMMIT refused) the transaction rolls back and each repository of
// it is written again alone, in its own transaction, so each caller gets its own outcome. Records
// that can be read only once (an iterator, a generator's object) could not be written again: such
// a repository gets a transaction of its own, as `completeBackfill` gives it. Every
// caller's promise settles after the COMMIT that holds its repository (or after the rollback that
// drops it), never before.
import type { DatabaseSync } from 'node:sqlite'
import { isSqliteDatabaseFault } from './store-fault.ts'
import type { BackfilledRepo, DrainResult } from './types.ts'

/** Most repositories in one group transaction. */
export const GROUP_MAX_REPOS = 16
/** Record bytes after which a group transaction commits and the repositories left start another. */
export const GROUP_MAX_BYTES: number = 8 * 1024 * 1024

/** What writing one repository inside the group's transaction gave. */
export interface GroupWrite {
  result: DrainResult
  /** Record bytes it wrote (bounds the transaction). */
  bytes: number
}

interface Job {
  repo: BackfilledRepo
  /** Its records can be iterated once only: it is written alone, never again after a rollback. */
  once: boolean
  resolve: (r: DrainResult) => void
  reject: (err: unknown) => void
}

/**
 * Queues backfills and writes them in group transactions on the next turn of the event loop (or
 * at {@link flush}). `write` runs inside the transaction and may throw.
 */
export class SqliteBackfillGroup {
  readonly #db: DatabaseSync
  readonly #write: (repo: BackfilledRepo) => GroupWrite
  readonly #queue: Job[] = []
  #scheduled = false

  constructor(db: DatabaseSync, write: (repo: BackfilledRepo) => GroupWrite) {
    this.#db = db
    this.#write = write
  }

  /** Repositories waiting for their group. */
  get queued(): number {
    return this.#queue.length
  }

  /** Writes `repo` with the others that complete about now; settles after its transaction ends. */
  add(repo: BackfilledRepo): Promise<DrainResult> {
    return new Promise<DrainResult>((resolve, reject) => {
      this.#queue.push({ repo, once: readOnce(repo.records), resolve, reject })
      if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  /** Writes everything queued now, in as many group transactions as the bounds need. */
  flush(): void {
    this.#scheduled = false
    while (this.#queue.length > 0) this.#one()
  }

  /** One group transaction: repositories from the queue until it is empty or a bound is reached. */
  #one(): void {
    const db = this.#db
    try {
      db.exec('BEGIN IMMEDIATE')
    } catch (err) {
      // the database is not writable now (locked past the timeout, closed): nothing was written
      for (const job of this.#queue.splice(0)) job.reject(err)
      return
    }
    const jobs: Job[] = []
    const results: DrainResult[] = []
    let bytes = 0
    try {
      while (this.#queue.length > 0 && jobs.length < GROUP_MAX_REPOS && bytes < GROUP_MAX_BYTES) {
        // records read once go in a transaction of their own (the next one, when this has others)
        if ((this.#queue[0] as Job).once && jobs.length > 0) break
        const job = this.#queue.shift() as Job
        jobs.push(job)
        const w = this.#write(job.repo)
        results.push(w.result)
        bytes += w.bytes
        if (job.once) break
      }
      db.exec('COMMIT')
    } catch (err) {
      rollback(db)
      // nothing of this transaction is durable; a repository that was alone in it has its outcome,
      // and so has every one when the database itself failed (busy past the timeout, I/O, full,
      // closed: writing each again would only wait or fail again); otherwise they are written
      // again one at a time (the repositories after the one that failed are still queued)
      if (jobs.length === 1 || isSqliteDatabaseFault(err)) for (const job of jobs) job.reject(err)
      else for (const job of jobs) this.#alone(job)
      return
    }
    for (const [i, job] of jobs.entries()) job.resolve(results[i] as DrainResult)
  }

  /** `job` in a transaction of its own: its result after the COMMIT, or its own error. */
  #alone(job: Job): void {
    const db = this.#db
    let result: DrainResult
    try {
      db.exec('BEGIN IMMEDIATE')
      result = this.#write(job.repo).result
      db.exec('COMMIT')
    } catch (err) {
      rollback(db)
      job.reject(err)
      return
    }
    job.resolve(result)
  }
}

/** Whether `records` is an iterator (it gives itself to iterate): a second pass would find nothing. */
function readOnce(records: BackfilledRepo['records']): boolean {
  if (typeof (records as { next?: unknown }).next === 'function') return true
  return (records[Symbol.iterator]() as unknown) === records
}

/** Ends the open transaction, if SQLite has not already ended it (it does on some errors). */
function rollback(db: DatabaseSync): void {
  try {
    if (db.isTransaction) db.exec('ROLLBACK')
  } catch {}
}
