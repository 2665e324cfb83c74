// A durable RepoStorage (@rsky/repo) in Postgres through `pg`. RepoStorage is asynchronous, so a
// network database fits it as is: each read is one query, `applyCommit` one transaction.
import { BlockMap, type BlocksAndMissing, type CidSet } from '@rsky/car'
import { type Cid, decodeCid, parseCid } from '@rsky/dag-cbor'
import type { RepoStorage } from '@rsky/repo'
import { isValidDid } from '@rsky/syntax'
import pg from 'pg'
import { MirrorError } from './errors.ts'
import { POSTGRES_REPO_STORAGE_SCHEMA } from './repo-storage-schema.ts'

/** Options of {@link PostgresRepoStorage.connect}. */
export interface PostgresRepoStorageOptions {
  /** The repository this handle reads and writes. */
  did: string
  /** Pool size when `connect` makes the pool (default 4). */
  maxConnections?: number
  /**
   * Blocks kept in memory after they are read or written (default 4,096; 0 turns it off). Blocks
   * are content-addressed, so a cached one is always right; a commit's removals drop theirs. It
   * assumes this handle is the repository's only writer, as a repository has one.
   */
  cacheBlocks?: number
}

const SCHEMA_LOCK = 7_270_014
/** Most CIDs per `getBlocks` query. */
const BATCH = 1000

function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length)
}

function buf(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.length)
}

/**
 * The blocks and head commit of one repository in a Postgres database (tables
 * `repo_storage_root` and `repo_storage_block`, created when absent).
 * @throws MirrorError `BAD_DATABASE` from `connect` when the server cannot be reached or used
 * @example
 * const storage = await PostgresRepoStorage.connect('postgres://postgres@127.0.0.1/app', { did })
 * const repo = await Repo.create({ storage, did, keypair })
 */
export class PostgresRepoStorage implements RepoStorage {
  readonly did: string
  readonly pool: pg.Pool
  readonly #owned: boolean
  readonly #cache = new BlockMap()
  readonly #cacheMax: number

  private constructor(pool: pg.Pool, did: string, owned: boolean, cacheBlocks: number) {
    this.pool = pool
    this.did = did
    this.#owned = owned
    this.#cacheMax = cacheBlocks
  }

  #remember(cid: Cid, bytes: Uint8Array): void {
    if (this.#cacheMax === 0) return
    this.#cache.delete(cid) // most recent last
    this.#cache.set(cid, bytes)
    if (this.#cache.size > this.#cacheMax)
      for (const [oldest] of this.#cache) {
        this.#cache.delete(oldest)
        break
      }
  }

  /**
   * One repository's storage in the database at `url`, or on an existing pool such as a
   * `PostgresMirrorStore`'s `pool` (then `close` leaves the pool open). Creates the tables when absent.
   * @throws TypeError for a malformed DID; MirrorError `BAD_DATABASE`
   */
  static async connect(
    url: string | pg.Pool,
    opts: PostgresRepoStorageOptions,
  ): Promise<PostgresRepoStorage> {
    if (typeof opts?.did !== 'string' || !isValidDid(opts.did))
      throw new TypeError(`PostgresRepoStorage.connect: did must be a DID; did=${String(opts?.did)}`)
    const cacheBlocks = opts.cacheBlocks ?? 4096
    if (!Number.isSafeInteger(cacheBlocks) || cacheBlocks < 0)
      throw new RangeError(
        `PostgresRepoStorage.connect: cacheBlocks must be an integer >= 0; cacheBlocks=${cacheBlocks}`,
      )
    const owned = typeof url === 'string'
    const pool = owned
      ? new pg.Pool({ connectionString: url, max: opts.maxConnections ?? 4, connectionTimeoutMillis: 10_000 })
      : url
    if (owned) pool.on('error', () => {})
    try {
      const c = await pool.connect()
      try {
        await c.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK])
        await c.query(POSTGRES_REPO_STORAGE_SCHEMA)
      } finally {
        await c.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK]).catch(() => {})
        c.release()
      }
    } catch (err) {
      if (owned) await pool.end().catch(() => {})
      throw new MirrorError('BAD_DATABASE', `cannot use the database: ${(err as Error).message}`, {
        cause: err,
        did: opts.did,
      })
    }
    return new PostgresRepoStorage(pool, opts.did, owned, cacheBlocks)
  }

  /** Revision of the head commit, or null for an empty storage. */
  async getRev(): Promise<string | null> {
    const r = await this.pool.query<{ rev: string }>('SELECT rev FROM repo_storage_root WHERE did = $1', [
      this.did,
    ])
    return r.rows[0]?.rev ?? null
  }

  async getRoot(): Promise<Cid | null> {
    const r = await this.pool.query<{ cid: string }>('SELECT cid FROM repo_storage_root WHERE did = $1', [
      this.did,
    ])
    const row = r.rows[0]
    return row === undefined ? null : parseCid(row.cid)
  }

  async getBytes(cid: Cid): Promise<Uint8Array | null> {
    const hit = this.#cache.get(cid)
    if (hit !== undefined) return hit
    const r = await this.pool.query<{ bytes: Buffer }>(
      'SELECT bytes FROM repo_storage_block WHERE did = $1 AND cid = $2',
      [this.did, buf(cid.bytes)],
    )
    const row = r.rows[0]
    if (row === undefined) return null
    const bytes = view(row.bytes)
    this.#remember(cid, bytes)
    return bytes
  }

  async getBlocks(cids: Cid[]): Promise<BlocksAndMissing> {
    const found = new BlockMap()
    const ask: Cid[] = []
    for (const cid of cids) {
      const hit = this.#cache.get(cid)
      if (hit === undefined) ask.push(cid)
      else found.set(cid, hit)
    }
    for (let i = 0; i < ask.length; i += BATCH) {
      const part = ask.slice(i, i + BATCH)
      const r = await this.pool.query<{ cid: Buffer; bytes: Buffer }>(
        'SELECT cid, bytes FROM repo_storage_block WHERE did = $1 AND cid = ANY($2::bytea[])',
        [this.did, part.map((c) => buf(c.bytes))],
      )
      for (const row of r.rows) {
        const cid = decodeCid(view(row.cid))
        const bytes = view(row.bytes)
        found.set(cid, bytes)
        this.#remember(cid, bytes)
      }
    }
    // in the order asked, with the caller's Cid objects
    const blocks = new BlockMap()
    const missing: Cid[] = []
    for (const cid of cids) {
      const bytes = found.get(cid)
      if (bytes === undefined) missing.push(cid)
      else blocks.set(cid, bytes)
    }
    return { blocks, missing }
  }

  async has(cid: Cid): Promise<boolean> {
    if (this.#cache.has(cid)) return true
    const r = await this.pool.query('SELECT 1 FROM repo_storage_block WHERE did = $1 AND cid = $2', [
      this.did,
      buf(cid.bytes),
    ])
    return (r.rowCount ?? 0) > 0
  }

  async putMany(blocks: BlockMap): Promise<void> {
    if (blocks.size === 0) return
    await this.#tx(async (c) => this.#put(c, blocks))
    for (const [cid, bytes] of blocks) this.#remember(cid, bytes)
  }

  async applyCommit(commit: {
    cid: Cid
    rev: string
    newBlocks: BlockMap
    removedCids: CidSet
  }): Promise<void> {
    await this.#tx(async (c) => {
      // removals first: a CID both removed and new stays, as in MemoryRepoStorage
      const removed = [...commit.removedCids].map((cid) => buf(cid.bytes))
      if (removed.length > 0)
        await c.query('DELETE FROM repo_storage_block WHERE did = $1 AND cid = ANY($2::bytea[])', [
          this.did,
          removed,
        ])
      await this.#put(c, commit.newBlocks)
      await c.query(
        'INSERT INTO repo_storage_root (did, cid, rev) VALUES ($1, $2, $3) ON CONFLICT (did) DO UPDATE SET cid = excluded.cid, rev = excluded.rev',
        [this.did, commit.cid.toString(), commit.rev],
      )
    })
    // after the commit only: a rolled-back one leaves the cache as the database
    for (const cid of commit.removedCids) this.#cache.delete(cid)
    for (const [cid, bytes] of commit.newBlocks) this.#remember(cid, bytes)
  }

  async #put(c: pg.PoolClient, blocks: BlockMap): Promise<void> {
    const cids: Buffer[] = []
    const bytes: Buffer[] = []
    for (const [cid, b] of blocks) {
      cids.push(buf(cid.bytes))
      bytes.push(buf(b))
      if (cids.length >= BATCH) await this.#insert(c, cids.splice(0), bytes.splice(0))
    }
    if (cids.length > 0) await this.#insert(c, cids, bytes)
  }

  async #insert(c: pg.PoolClient, cids: Buffer[], bytes: Buffer[]): Promise<void> {
    await c.query(
      `INSERT INTO repo_storage_block (did, cid, bytes)
       SELECT $1, c, b FROM unnest($2::bytea[], $3::bytea[]) AS t (c, b)
       ON CONFLICT DO NOTHING`,
      [this.did, cids, bytes],
    )
  }

  async #tx(fn: (c: pg.PoolClient) => Promise<void>): Promise<void> {
    const c = await this.pool.connect()
    let broken = false
    try {
      await c.query('BEGIN')
      await fn(c)
      await c.query('COMMIT')
    } catch (err) {
      try {
        await c.query('ROLLBACK')
      } catch {
        broken = true
      }
      throw err
    } finally {
      c.release(broken)
    }
  }

  /** Ends the pool when `connect` made it; a pool passed in is left open. */
  async close(): Promise<void> {
    if (this.#owned && !this.pool.ended) await this.pool.end()
  }
}
