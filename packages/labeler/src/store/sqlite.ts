// The embedded store: one SQLite file (or `:memory:`) through node:sqlite. Writes are synchronous
// transactions, so seqs are handed out in commit order and readers never see a gap.
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import type { SignedLabel } from '@rsky/label'
import { expAt, type LabelRow, labelColumns, rowToEvent } from './rows.ts'
import type { LabelQuery, LabelQueryPage, LabelStore, StoredLabelEvent } from './types.ts'

const SCHEMA = `
create table if not exists label_event (
  seq integer primary key autoincrement,
  src text not null, uri text not null, cid text, val text not null,
  neg integer not null, cts text not null, exp text, exp_at integer, sig blob not null
);
create table if not exists label_current (
  src text not null, uri text not null, val text not null, seq integer not null,
  primary key (src, uri, val)
);
create index if not exists label_current_seq on label_current (seq);
create index if not exists label_current_uri on label_current (uri);
create table if not exists labeler_meta (key text primary key, value integer not null);
`

/**
 * A {@link LabelStore} on SQLite (`node:sqlite`, Node 22.13+).
 * @example const store = SqliteLabelStore.open('labels.sqlite')
 */
export class SqliteLabelStore implements LabelStore {
  readonly #db: DatabaseSync
  readonly #insert: StatementSync
  readonly #current: StatementSync
  readonly #since: StatementSync

  private constructor(db: DatabaseSync) {
    this.#db = db
    db.exec('pragma journal_mode = wal; pragma synchronous = normal;')
    db.exec(SCHEMA)
    this.#insert = db.prepare(
      'insert into label_event (src, uri, cid, val, neg, cts, exp, exp_at, sig) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    this.#current = db.prepare(
      'insert into label_current (src, uri, val, seq) values (?, ?, ?, ?) on conflict (src, uri, val) do update set seq = excluded.seq',
    )
    this.#since = db.prepare('select * from label_event where seq > ? order by seq limit ?')
  }

  /** Opens (creating when needed) the store at `path`; `:memory:` for a throwaway one. */
  static open(path: string): SqliteLabelStore {
    return new SqliteLabelStore(new DatabaseSync(path))
  }

  async append(labels: readonly SignedLabel[]): Promise<StoredLabelEvent[]> {
    const out: StoredLabelEvent[] = []
    this.#db.exec('begin immediate')
    try {
      for (const label of labels) {
        const cols = labelColumns(label)
        const r = this.#insert.run(
          cols[0],
          cols[1],
          cols[2],
          cols[3],
          cols[4] ? 1 : 0,
          cols[5],
          cols[6],
          expAt(label),
          cols[7],
        )
        const seq = Number(r.lastInsertRowid)
        this.#current.run(label.src, label.uri, label.val, seq)
        out.push({ seq, label })
      }
      this.#db.exec('commit')
    } catch (err) {
      this.#db.exec('rollback')
      throw err
    }
    return out
  }

  async since(after: number, limit: number): Promise<StoredLabelEvent[]> {
    return (this.#since.all(after, limit) as unknown as LabelRow[]).map(rowToEvent)
  }

  async latestSeq(): Promise<number> {
    const row = this.#db.prepare("select seq from sqlite_sequence where name = 'label_event'").get() as
      | { seq: number }
      | undefined
    return row === undefined ? 0 : Number(row.seq)
  }

  async prunedBefore(): Promise<number> {
    const row = this.#db.prepare("select value from labeler_meta where key = 'pruned_before'").get() as
      | { value: number }
      | undefined
    return row === undefined ? 0 : Number(row.value)
  }

  async prune(seq: number): Promise<void> {
    this.#db.exec('begin immediate')
    try {
      this.#db
        .prepare('delete from label_event where seq < ? and seq not in (select seq from label_current)')
        .run(seq)
      this.#db
        .prepare(
          "insert into labeler_meta (key, value) values ('pruned_before', ?) on conflict (key) do update set value = max(value, excluded.value)",
        )
        .run(seq)
      this.#db.exec('commit')
    } catch (err) {
      this.#db.exec('rollback')
      throw err
    }
  }

  async query(q: LabelQuery): Promise<LabelQueryPage> {
    const where: string[] = ['e.seq > ?']
    const args: (string | number)[] = [q.after]
    const subject: string[] = []
    for (const u of q.exact) {
      subject.push('e.uri = ?')
      args.push(u)
    }
    for (const p of q.prefixes) {
      subject.push('substr(e.uri, 1, ?) = ?')
      args.push(p.length, p)
    }
    // No pattern matches nothing (the prefix '' matches everything).
    if (subject.length === 0) return { labels: [], cursor: undefined }
    where.push(`(${subject.join(' or ')})`)
    if (q.sources.length > 0) {
      where.push(`e.src in (${q.sources.map(() => '?').join(', ')})`)
      args.push(...q.sources)
    }
    where.push('(e.exp_at is null or e.exp_at > ?)')
    args.push(q.now)
    args.push(q.limit)
    const sql = `select e.* from label_current c join label_event e on e.seq = c.seq where ${where.join(' and ')} order by e.seq limit ?`
    const rows = (this.#db.prepare(sql).all(...args) as unknown as LabelRow[]).map(rowToEvent)
    const last = rows[rows.length - 1]
    return { labels: rows, cursor: rows.length === q.limit && last ? last.seq : undefined }
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close()
  }
}
