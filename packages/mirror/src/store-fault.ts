// Which errors are the database's (a connection lost, a server restarting, a file locked by
// another process) rather than the repository's: those are retried as they are, without counting
// against the repository or parking it.

/** Postgres SQLSTATE classes and codes that say "try again later", not "this input is bad". */
const PG_RETRY_CLASSES = ['08', '53', '57'] // connection exception, insufficient resources, operator intervention
const PG_RETRY_CODES: ReadonlySet<string> = new Set(['40001', '40P01']) // serialization failure, deadlock

/** SQLite result codes (primary) for a database held by someone else. */
const SQLITE_BUSY = 5
const SQLITE_LOCKED = 6

/** Whether `err` is a transient fault of the store (retry the same write later) rather than bad input. */
export function isStoreFault(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false
  const e = err as { code?: unknown; errcode?: unknown; message?: unknown }
  const message = typeof e.message === 'string' ? e.message : ''
  if (typeof e.code === 'string') {
    // pg: a DatabaseError carries the SQLSTATE
    if (
      /^[0-9A-Z]{5}$/.test(e.code) &&
      (PG_RETRY_CODES.has(e.code) || PG_RETRY_CLASSES.includes(e.code.slice(0, 2)))
    )
      return true
    // node:sqlite
    if (e.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number')
      return (e.errcode & 0xff) === SQLITE_BUSY || (e.errcode & 0xff) === SQLITE_LOCKED
    // sockets
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(e.code)) return true
  }
  // pg's client-side messages for a connection that went away
  return /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed/i.test(
    message,
  )
}

/** SQLite primary result codes of a database that cannot be written now, whatever is written. */
const SQLITE_DATABASE_FAULTS: ReadonlySet<number> = new Set([
  SQLITE_BUSY,
  SQLITE_LOCKED,
  7, // NOMEM
  8, // READONLY
  10, // IOERR
  11, // CORRUPT
  13, // FULL
  14, // CANTOPEN
  15, // PROTOCOL
  26, // NOTADB
])

/**
 * Whether `err` is the SQLite database failing as a whole (busy past the timeout, read-only, I/O,
 * full, corrupt, closed) rather than one write's statement, a constraint or the application's
 * hook: writing something else would fail the same way. Wider than {@link isStoreFault}, which
 * says only what is worth retrying later.
 */
export function isSqliteDatabaseFault(err: unknown): boolean {
  const e = err as { code?: unknown; errcode?: unknown } | null
  if (e?.code === 'ERR_INVALID_STATE') return true // the database is closed
  return (
    e?.code === 'ERR_SQLITE_ERROR' &&
    typeof e.errcode === 'number' &&
    SQLITE_DATABASE_FAULTS.has(e.errcode & 0xff)
  )
}
