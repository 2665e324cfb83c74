// The bulk half of a SQLite backfill: a repository's records inserted with one statement per
// ROWS_PER_INSERT records rather than one per record. node:sqlite pays a fixed cost per `run`
// (argument checks, binding, the result object) that is larger than inserting one small row, so
// multi-row statements roughly halve the time in the insert loop; the last rows of a repository go
// in one statement of their count (prepared once per count). Records are taken from any
// iterable, one at a time, so a repository larger than memory streams through.
import type { DatabaseSync, StatementSync } from 'node:sqlite'
import type { Cid } from '@rsky/dag-cbor'

/** Records per multi-row INSERT (5 parameters each; SQLite allows 32,766 per statement). */
export const ROWS_PER_INSERT = 64

const COLUMNS = 'INSERT INTO mirror_record (did, collection, rkey, cid, value) VALUES '

/** One record to insert. */
export interface RecordRow {
  collection: string
  rkey: string
  cid: Cid
  record: Uint8Array
}

/** Inserts the records of one repository into `mirror_record` (inside the caller's transaction). */
export class SqliteRecordInserter {
  readonly #db: DatabaseSync
  /** Statements of n rows, prepared when first needed: a repository's last rows go in one more. */
  readonly #byRows: (StatementSync | undefined)[] = []
  readonly #args: (string | Uint8Array)[] = new Array(ROWS_PER_INSERT * 5)

  constructor(db: DatabaseSync) {
    this.#db = db
  }

  #rows(n: number): StatementSync {
    let s = this.#byRows[n]
    if (s === undefined) {
      s = this.#db.prepare(COLUMNS + new Array(n).fill('(?, ?, ?, ?, ?)').join(', '))
      this.#byRows[n] = s
    }
    return s
  }

  /** Inserts every record of `records` for `did`; returns how many, and their bytes. */
  insertAll(did: string, records: Iterable<RecordRow>): { count: number; bytes: number } {
    const args = this.#args
    let k = 0
    let count = 0
    let bytes = 0
    for (const r of records) {
      bytes += r.record.length
      args[k] = did
      args[k + 1] = r.collection
      args[k + 2] = r.rkey
      args[k + 3] = r.cid.toString()
      args[k + 4] = r.record
      k += 5
      count++
      if (k === args.length) {
        this.#rows(ROWS_PER_INSERT).run(...args)
        k = 0
      }
    }
    if (k > 0) this.#rows(k / 5).run(...args.slice(0, k))
    return { count, bytes }
  }
}
