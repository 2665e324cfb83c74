import { MirrorError } from './errors.ts'
import { PostgresMirrorStore } from './postgres-store.ts'
import { SqliteMirrorStore } from './sqlite-store.ts'
import type { MirrorStore } from './store.ts'

/** Options of {@link openMirrorStore}. */
export interface OpenStoreOptions {
  /** Write every record change to the change feed table (default false). */
  changeFeed?: boolean
}

/**
 * Opens the store a `--db` value names: a `postgres://` (or `postgresql://`) URL, else a SQLite file path.
 * @throws MirrorError `BAD_DATABASE` when it cannot be opened or reached
 * @example const store = await openMirrorStore('mirror.db')
 */
export async function openMirrorStore(db: string, opts: OpenStoreOptions = {}): Promise<MirrorStore> {
  if (typeof db !== 'string' || db === '') throw new TypeError('openMirrorStore: db must be a path or URL')
  if (/^postgres(ql)?:\/\//i.test(db)) {
    return PostgresMirrorStore.connect(db, opts)
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(db))
    throw new MirrorError('BAD_DATABASE', `not a database path or a postgres:// URL; db=${db}`)
  return SqliteMirrorStore.open(db, opts)
}
