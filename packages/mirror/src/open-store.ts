import { MirrorError } from './errors.ts'
import { PostgresMirrorStore, type PostgresStoreOptions } from './postgres-store.ts'
import { SqliteMirrorStore, type SqliteStoreOptions } from './sqlite-store.ts'
import type { MirrorStore } from './store.ts'

/**
 * Options of {@link openMirrorStore}. `changeFeed` applies to either store; `sqlite` and `postgres`
 * are passed to the store the `db` value names (the other is ignored), so one call site can give
 * each its own `onChanges` hook (a `DatabaseSync` or a `PoolClient` is what the hook writes through).
 */
export interface OpenStoreOptions {
  /** Write every record change to the change feed table (default false). */
  changeFeed?: boolean
  /** Options when `db` is a SQLite path. */
  sqlite?: Omit<SqliteStoreOptions, 'changeFeed'>
  /** Options when `db` is a `postgres://` URL. */
  postgres?: Omit<PostgresStoreOptions, 'changeFeed'>
}

const POSTGRES_URL = /^postgres(ql)?:\/\//i
const OTHER_URL = /^[a-z][a-z0-9+.-]*:\/\//i

/** Which store a `--db` value names, without opening it. */
export function storeKindOf(db: string): 'sqlite' | 'postgres' {
  if (POSTGRES_URL.test(db)) return 'postgres'
  if (OTHER_URL.test(db))
    throw new MirrorError('BAD_DATABASE', `not a database path or a postgres:// URL; db=${db}`)
  return 'sqlite'
}

/**
 * Opens the store a `--db` value names: a `postgres://` (or `postgresql://`) URL, else a SQLite file path.
 * @throws MirrorError `BAD_DATABASE` when it cannot be opened or reached
 * @example const store = await openMirrorStore('mirror.db', { sqlite: { onChanges: (db, changes) => {} } })
 */
export async function openMirrorStore(db: string, opts: OpenStoreOptions = {}): Promise<MirrorStore> {
  if (typeof db !== 'string' || db === '') throw new TypeError('openMirrorStore: db must be a path or URL')
  const changeFeed = opts.changeFeed === true
  if (storeKindOf(db) === 'postgres') return PostgresMirrorStore.connect(db, { ...opts.postgres, changeFeed })
  return SqliteMirrorStore.open(db, { ...opts.sqlite, changeFeed })
}
