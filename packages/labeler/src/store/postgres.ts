// The server store: Postgres through `pg`. Appends take a transaction-scoped advisory lock so seqs
// commit in the order they are handed out and a reader paging by seq never skips one still in flight.
import type { SignedLabel } from '@rsky/label'
import pg from 'pg'
import { expAt, type LabelRow, labelColumns, rowToEvent } from './rows.ts'
import type { LabelQuery, LabelQueryPage, LabelStore, StoredLabelEvent } from './types.ts'

const SCHEMA = `
create table if not exists label_event (
  seq bigserial primary key,
  src text not null, uri text not null, cid text, val text not null,
  neg boolean not null, cts text not null, exp text, exp_at bigint, sig bytea not null
);
create table if not exists label_current (
  src text not null, uri text not null, val text not null, seq bigint not null,
  primary key (src, uri, val)
);
create index if not exists label_current_seq on label_current (seq);
create index if not exists label_current_uri on label_current (uri text_pattern_ops);
create table if not exists labeler_meta (key text primary key, value bigint not null);
`
// An arbitrary constant naming this table set's append lock.
const APPEND_LOCK = 0x6c61626c

/** Options of {@link PostgresLabelStore.open}. */
export interface PostgresLabelStoreOptions {
  /** Connection string. */
  readonly url: string
  /** Pool size. Default 4. */
  readonly max?: number
}

/**
 * A {@link LabelStore} on Postgres.
 * @example const store = await PostgresLabelStore.open({ url: 'postgres://localhost/labels' })
 */
export class PostgresLabelStore implements LabelStore {
  readonly #pool: pg.Pool

  private constructor(pool: pg.Pool) {
    this.#pool = pool
  }

  /** Connects and creates the tables when missing. */
  static async open(opts: PostgresLabelStoreOptions): Promise<PostgresLabelStore> {
    const pool = new pg.Pool({ connectionString: opts.url, max: opts.max ?? 4 })
    try {
      await pool.query(SCHEMA)
    } catch (err) {
      await pool.end()
      throw err
    }
    return new PostgresLabelStore(pool)
  }

  async append(labels: readonly SignedLabel[]): Promise<StoredLabelEvent[]> {
    const client = await this.#pool.connect()
    try {
      await client.query('begin')
      await client.query('select pg_advisory_xact_lock($1)', [APPEND_LOCK])
      const out: StoredLabelEvent[] = []
      for (const label of labels) {
        const c = labelColumns(label)
        const r = await client.query<{ seq: string }>(
          'insert into label_event (src, uri, cid, val, neg, cts, exp, exp_at, sig) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning seq',
          [c[0], c[1], c[2], c[3], c[4], c[5], c[6], expAt(label), c[7]],
        )
        const seq = Number(r.rows[0]?.seq)
        await client.query(
          'insert into label_current (src, uri, val, seq) values ($1, $2, $3, $4) on conflict (src, uri, val) do update set seq = excluded.seq',
          [label.src, label.uri, label.val, seq],
        )
        out.push({ seq, label })
      }
      await client.query('commit')
      return out
    } catch (err) {
      await client.query('rollback').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  }

  async since(after: number, limit: number): Promise<StoredLabelEvent[]> {
    const r = await this.#pool.query<LabelRow>(
      'select * from label_event where seq > $1 order by seq limit $2',
      [after, limit],
    )
    return r.rows.map(rowToEvent)
  }

  async latestSeq(): Promise<number> {
    const r = await this.#pool.query<{ seq: string | null }>('select max(seq) as seq from label_event')
    const fromEvents = Number(r.rows[0]?.seq ?? 0)
    // pruning can remove the newest rows only when they were superseded, so keep the meta high mark too
    const m = await this.#pool.query<{ value: string }>(
      "select value from labeler_meta where key = 'latest_seq'",
    )
    return Math.max(fromEvents, Number(m.rows[0]?.value ?? 0))
  }

  async prunedBefore(): Promise<number> {
    const r = await this.#pool.query<{ value: string }>(
      "select value from labeler_meta where key = 'pruned_before'",
    )
    return Number(r.rows[0]?.value ?? 0)
  }

  async prune(seq: number): Promise<void> {
    const client = await this.#pool.connect()
    try {
      await client.query('begin')
      await client.query('select pg_advisory_xact_lock($1)', [APPEND_LOCK])
      await client.query(
        "insert into labeler_meta (key, value) select 'latest_seq', coalesce(max(seq), 0) from label_event on conflict (key) do update set value = greatest(labeler_meta.value, excluded.value)",
      )
      await client.query(
        'delete from label_event e where e.seq < $1 and not exists (select 1 from label_current c where c.seq = e.seq)',
        [seq],
      )
      await client.query(
        "insert into labeler_meta (key, value) values ('pruned_before', $1) on conflict (key) do update set value = greatest(labeler_meta.value, excluded.value)",
        [seq],
      )
      await client.query('commit')
    } catch (err) {
      await client.query('rollback').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  }

  async query(q: LabelQuery): Promise<LabelQueryPage> {
    const args: unknown[] = [q.after]
    const where: string[] = ['e.seq > $1']
    const subject: string[] = []
    for (const u of q.exact) {
      args.push(u)
      subject.push(`e.uri = $${args.length}`)
    }
    for (const p of q.prefixes) {
      args.push(p)
      subject.push(`starts_with(e.uri, $${args.length})`)
    }
    // No pattern matches nothing (the prefix '' matches everything).
    if (subject.length === 0) return { labels: [], cursor: undefined }
    where.push(`(${subject.join(' or ')})`)
    if (q.sources.length > 0) {
      args.push(q.sources)
      where.push(`e.src = any($${args.length}::text[])`)
    }
    args.push(q.now)
    where.push(`(e.exp_at is null or e.exp_at > $${args.length})`)
    args.push(q.limit)
    const sql = `select e.* from label_current c join label_event e on e.seq = c.seq where ${where.join(' and ')} order by e.seq limit $${args.length}`
    const r = await this.#pool.query<LabelRow>(sql, args)
    const rows = r.rows.map(rowToEvent)
    const last = rows[rows.length - 1]
    return { labels: rows, cursor: rows.length === q.limit && last ? last.seq : undefined }
  }

  async close(): Promise<void> {
    await this.#pool.end()
  }
}
