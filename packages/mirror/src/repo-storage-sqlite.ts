// A durable RepoStorage (@rsky/repo) in SQLite through node:sqlite. The interface is asynchronous;
// node:sqlite is synchronous, so each method does its work at once and returns a settled promise.
// One database holds many repositories (rows keyed by DID); it may be the mirror's own file.
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import { BlockMap, type BlocksAndMissing, type CidSet } from '@rsky/car'
import { type Cid, parseCid } from '@rsky/dag-cbor'
import type { RepoStorage } from '@rsky/repo'
import { isValidDid } from '@rsky/syntax'
import { MirrorError } from './errors.ts'
import { SQLITE_REPO_STORAGE_SCHEMA } from './repo-storage-schema.ts'

/** Options of {@link SqliteRepoStorage.open}. */
export interface SqliteRepoStorageOptions {
  /** The repository this handle reads and writes. */
  did: string
}

/**
 * The blocks and head commit of one repository in a SQLite database (tables `repo_storage_root`
 * and `repo_storage_block`, created when absent). `applyCommit` is one transaction (a savepoint
 * when the connection is already inside one, so it can join a caller's transaction).
 * @throws MirrorError `BAD_DATABASE` from `open` when the file cannot be opened or used
 * @example
 * const storage = SqliteRepoStorage.open('repos.db', { did })
 * const repo = await Repo.create({ storage, did, keypair })
 */
export class SqliteRepoStorage implements RepoStorage {
  readonly did: string
  readonly db: DatabaseSync
  readonly #owned: boolean
  readonly #s: Record<'root' | 'setRoot' | 'get' | 'has' | 'put' | 'del', StatementSync>

  private constructor(db: DatabaseSync, did: string, owned: boolean) {
    this.db = db
    this.did = did
    this.#owned = owned
    const p = (sql: string): StatementSync => db.prepare(sql)
    this.#s = {
      root: p('SELECT cid, rev FROM repo_storage_root WHERE did = ?'),
      setRoot: p(
        'INSERT INTO repo_storage_root (did, cid, rev) VALUES (?, ?, ?) ON CONFLICT (did) DO UPDATE SET cid = excluded.cid, rev = excluded.rev',
      ),
      get: p('SELECT bytes FROM repo_storage_block WHERE did = ? AND cid = ?'),
      has: p('SELECT 1 AS x FROM repo_storage_block WHERE did = ? AND cid = ?'),
      put: p('INSERT INTO repo_storage_block (did, cid, bytes) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      del: p('DELETE FROM repo_storage_block WHERE did = ? AND cid = ?'),
    }
  }

  /**
   * Opens one repository's storage in a database file (created when absent), or on an open
   * connection such as a `SqliteMirrorStore`'s `db` (then `close` leaves the connection open).
   * @throws TypeError for a malformed DID; MirrorError `BAD_DATABASE`
   */
  static open(db: string | DatabaseSync, opts: SqliteRepoStorageOptions): SqliteRepoStorage {
    if (typeof opts?.did !== 'string' || !isValidDid(opts.did))
      throw new TypeError(`SqliteRepoStorage.open: did must be a DID; did=${String(opts?.did)}`)
    if (typeof db !== 'string' && !(db instanceof DatabaseSync))
      throw new TypeError('SqliteRepoStorage.open: db must be a path or a DatabaseSync')
    let conn: DatabaseSync | undefined
    try {
      conn = typeof db === 'string' ? openFile(db) : db
      conn.exec(SQLITE_REPO_STORAGE_SCHEMA)
      return new SqliteRepoStorage(conn, opts.did, typeof db === 'string')
    } catch (err) {
      if (typeof db === 'string')
        try {
          conn?.close()
        } catch {}
      throw new MirrorError(
        'BAD_DATABASE',
        `cannot open the repository storage: ${(err as Error).message}; path=${typeof db === 'string' ? db : '(connection)'}`,
        { cause: err, did: opts.did },
      )
    }
  }

  /** Revision of the head commit, or null for an empty storage. */
  async getRev(): Promise<string | null> {
    const r = this.#s.root.get(this.did) as { rev: string } | undefined
    return r?.rev ?? null
  }

  async getRoot(): Promise<Cid | null> {
    const r = this.#s.root.get(this.did) as { cid: string } | undefined
    return r === undefined ? null : parseCid(r.cid)
  }

  async getBytes(cid: Cid): Promise<Uint8Array | null> {
    const r = this.#s.get.get(this.did, cid.bytes) as { bytes: Uint8Array } | undefined
    return r?.bytes ?? null
  }

  async getBlocks(cids: Cid[]): Promise<BlocksAndMissing> {
    const blocks = new BlockMap()
    const missing: Cid[] = []
    for (const cid of cids) {
      const r = this.#s.get.get(this.did, cid.bytes) as { bytes: Uint8Array } | undefined
      if (r === undefined) missing.push(cid)
      else blocks.set(cid, r.bytes)
    }
    return { blocks, missing }
  }

  async has(cid: Cid): Promise<boolean> {
    return this.#s.has.get(this.did, cid.bytes) !== undefined
  }

  async putMany(blocks: BlockMap): Promise<void> {
    this.#tx(() => {
      for (const [cid, bytes] of blocks) this.#s.put.run(this.did, cid.bytes, bytes)
    })
  }

  async applyCommit(commit: {
    cid: Cid
    rev: string
    newBlocks: BlockMap
    removedCids: CidSet
  }): Promise<void> {
    this.#tx(() => {
      // removals first: a CID both removed and new stays, as in MemoryRepoStorage
      for (const cid of commit.removedCids) this.#s.del.run(this.did, cid.bytes)
      for (const [cid, bytes] of commit.newBlocks) this.#s.put.run(this.did, cid.bytes, bytes)
      this.#s.setRoot.run(this.did, commit.cid.toString(), commit.rev)
    })
  }

  #tx(fn: () => void): void {
    if (this.db.isTransaction) {
      this.db.exec('SAVEPOINT repo_storage')
      try {
        fn()
        this.db.exec('RELEASE repo_storage')
      } catch (err) {
        this.db.exec('ROLLBACK TO repo_storage')
        this.db.exec('RELEASE repo_storage')
        throw err
      }
      return
    }
    this.db.exec('BEGIN IMMEDIATE')
    try {
      fn()
      this.db.exec('COMMIT')
    } catch (err) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK')
      throw err
    }
  }

  /** Closes the file when `open` opened it; a connection passed in is left open. */
  close(): void {
    if (this.#owned && this.db.isOpen) this.db.close()
  }
}

function openFile(path: string): DatabaseSync {
  if (path === '') throw new TypeError('SqliteRepoStorage.open: path must not be empty')
  const db = new DatabaseSync(path, { timeout: 10_000 } as ConstructorParameters<typeof DatabaseSync>[1])
  db.exec('PRAGMA journal_mode = WAL')
  db.exec('PRAGMA synchronous = NORMAL')
  return db
}
