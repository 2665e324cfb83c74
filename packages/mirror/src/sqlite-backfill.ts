// The bulk half of a SQLite backfill: a repository's records inserted with one statement per
// ROWS_PER_INSERT records rather than one per record. node:sqlite pays a fixed cost per `run`
// (argument checks, binding, the result object) that is larger than inserting one small row, so
// multi-row statements roughly halve the time in the insert loop. Records are taken from any
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
  readonly #one: StatementSync
  readonly #many: StatementSync
  readonly #args: (string | Uint8Array)[] = new Array(ROWS_PER_INSERT * 5)

  constructor(db: DatabaseSync) {
    this.#one = db.prepare(`${COLUMNS}(?, ?, ?, ?, ?)`)
    this.#many = db.prepare(COLUMNS + new Array(ROWS_PER_INSERT).fill('(?, ?, ?, ?, ?)').join(', '))
  }

  /** Inserts every record of `records` for `did`; returns how many. */
  insertAll(did: string, records: Iterable<RecordRow>): number {
    const args = this.#args
    let k = 0
    let count = 0
    for (const r of records) {
      args[k] = did
      args[k + 1] = r.collection
      args[k + 2] = r.rkey
      args[k + 3] = r.cid.toString()
      args[k + 4] = r.record
      k += 5
      count++
      if (k === args.length) {
        this.#many.run(...args)
        k = 0
      }
    }
    for (let i = 0; i < k; i += 5)
      this.#one.run(
        args[i] as string,
        args[i + 1] as string,
        args[i + 2] as string,
        args[i + 3] as string,
        args[i + 4] as Uint8Array,
      )
    return count
  }
}
