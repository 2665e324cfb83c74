// Group commit of SQLite backfills. The engine runs several backfills at once; those that complete
// at about the same time (before the event loop next turns) are written in one transaction, each
// inside its own SAVEPOINT: a repository that fails (a bad record, the application's hook throwing)
// rolls back alone and its caller gets its error, while the others commit. BEGIN and COMMIT cost
// about as much as writing a hundred small records, so for small repositories one pair per group
// instead of one per repository is most of what grouping saves. Every caller's promise settles
// after the COMMIT that holds its repository (or after the rollback that drops it), never before.
import type { DatabaseSync } from 'node:sqlite'
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
  resolve: (r: DrainResult) => void
  reject: (err: unknown) => void
}

/** Each job's outcome, settled once its transaction has ended. */
type Outcome = { job: Job; ok: true; result: DrainResult } | { job: Job; ok: false; err: unknown }

const SAVEPOINT = 'mirror_backfill'

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
      this.#queue.push({ repo, resolve, reject })
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
    const outcomes: Outcome[] = []
    let bytes = 0
    // a repository alone needs no savepoint: the transaction is its own (as in completeBackfill)
    const alone = this.#queue.length === 1
    try {
      while (this.#queue.length > 0 && outcomes.length < GROUP_MAX_REPOS && bytes < GROUP_MAX_BYTES) {
        const job = this.#queue.shift() as Job
        try {
          if (!alone) db.exec(`SAVEPOINT ${SAVEPOINT}`)
          const w = this.#write(job.repo)
          if (!alone) db.exec(`RELEASE ${SAVEPOINT}`)
          outcomes.push({ job, ok: true, result: w.result })
          bytes += w.bytes
        } catch (err) {
          outcomes.push({ job, ok: false, err })
          // alone, the whole transaction rolls back below; SQLite also ends the whole transaction on
          // some errors (I/O, disk full), and the rest went with it
          if (alone || !db.isTransaction) throw err
          db.exec(`ROLLBACK TO ${SAVEPOINT}`)
          db.exec(`RELEASE ${SAVEPOINT}`)
        }
      }
      db.exec('COMMIT')
    } catch (err) {
      try {
        if (db.isTransaction) db.exec('ROLLBACK')
      } catch {}
      // nothing of this transaction is durable: every repository in it fails (with its own error
      // when it had one), and the engine tries them again
      for (const o of outcomes) o.job.reject(o.ok ? err : o.err)
      return
    }
    for (const o of outcomes) {
      if (o.ok) o.job.resolve(o.result)
      else o.job.reject(o.err)
    }
  }
}
