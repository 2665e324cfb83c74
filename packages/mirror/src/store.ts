import type { Cid } from '@rsky/dag-cbor'
import type { AccountStatus, SyncStore } from '@rsky/sync'
import type { LiveBatch } from './live-batch.ts'
import type { Shard } from './shard.ts'
import type {
  BackfilledRepo,
  DrainResult,
  MirrorRecord,
  MirrorRepo,
  MirrorStatus,
  PreparedCommit,
} from './types.ts'

type Maybe<T> = Promise<T> | T

/** What {@link MirrorStore.applyCommit} did with a live commit. */
export type ApplyOutcome =
  /** written: record changes, repository state and cursor in one transaction */
  | 'applied'
  /** the repository is still backfilling: kept in the buffer (with the cursor) */
  | 'buffered'
  /** already held (a replay after a restart): only the cursor moved */
  | 'stale'
  /** did not follow the stored chain: buffered, repository back to pending for a new backfill */
  | 'chain-break'
  /** the repository is parked, deleted or not followed: only the cursor moved */
  | 'ignored'

/** One change of the change feed (written with the records, in the same transaction). */
export interface MirrorChange {
  id: number
  did: string
  collection: string
  rkey: string
  action: 'create' | 'update' | 'delete' | 'reset'
  cid: string | null
  rev: string
}

/**
 * Where a mirror keeps everything: records, per-repository progress and chain state, account
 * status, buffered live events, the cursor and the change feed. Every method that writes runs one
 * transaction: after a crash each write happened entirely or not at all.
 *
 * It also keeps the `SyncStore` contract of `@rsky/sync` (`getRepo`, `getAccount`, `getCursor`,
 * `commit`), so a `Firehose` can run on it directly.
 */
export interface MirrorStore extends SyncStore {
  readonly kind: 'sqlite' | 'postgres'
  // --- scope and progress
  /** Adds repositories as `pending` (those already known are left as they are); returns how many were new. */
  addRepos(dids: readonly string[]): Maybe<number>
  /** One repository's row. */
  mirrorRepo(did: string): Maybe<MirrorRepo | undefined>
  /** Pending repositories due for a backfill at `now`, oldest first, skipping `exclude`. */
  duePending(opts: {
    limit: number
    now: number
    exclude?: ReadonlySet<string>
    /** Only this engine's share (see {@link Shard}). */
    shard?: Shard
    /** Only DIDs of these partitions (`didHash % count` in `held`: the leases an engine holds). */
    partitions?: { count: number; held: readonly number[] }
  }): Maybe<MirrorRepo[]>
  /**
   * Sends every active repository (of a shard) back to pending, returning how many: an engine
   * that starts with no cursor cannot know where the stream stood after their backfill, so they
   * are fetched again (the events it then sees are buffered and applied after).
   */
  resyncActive(opts: { shard?: Shard }): Maybe<number>
  /** Earliest retry time among pending repositories (undefined when none is pending). */
  nextRetryAt(): Maybe<number | undefined>
  // --- writes, one transaction each
  /** A live commit: applied, buffered or skipped, with the cursor (see {@link ApplyOutcome}). */
  applyCommit(commit: PreparedCommit, stream: string): Maybe<ApplyOutcome>
  /**
   * A run of live commits and the cursors after it in one transaction (group commit): each commit
   * decided as `applyCommit` would in order, all or nothing; outcomes in commit order.
   */
  applyLive(batch: LiveBatch): Maybe<ApplyOutcome[]>
  /**
   * A verified repository replaces what is held of it, then the commits buffered meanwhile are
   * applied in order; all in one transaction.
   */
  completeBackfill(repo: BackfilledRepo): Maybe<DrainResult>
  /**
   * `completeBackfill` in a group commit, where a store has one (SQLite): the backfills that
   * complete at about the same time share one transaction (when one fails, the others are written
   * again and commit; its promise rejects with its own error). Settles only after the transaction
   * holding it has committed; the records are read until then, perhaps twice. Optional: the
   * engine calls `completeBackfill` on a store without it.
   */
  completeBackfillGrouped?(repo: BackfilledRepo): Promise<DrainResult>
  /** A failed backfill: the reason, the attempt count, and either a retry time or parked. */
  failBackfill(did: string, opts: { reason: string; retryAt: number; park: boolean }): Maybe<void>
  /** Sends a repository back to pending (a `#sync` that moved the tree), with the cursor. */
  requestResync(did: string, stream: string, seq: number): Maybe<void>
  /** A `#sync` whose tree equals the stored one: the rev moves, with the cursor. */
  advanceRev(did: string, opts: { rev: string; data: Cid; stream: string; seq: number }): Maybe<void>
  /** An `#account` event: the status, and for a deleted account its records and buffer go; with the cursor. */
  setAccountStatus(did: string, status: AccountStatus, stream: string, seq: number): Maybe<void>
  /** Moves the cursor alone (events that change nothing held). */
  saveCursor(stream: string, seq: number): Maybe<void>
  // --- reads
  /** Counts per phase, records, buffered commits and cursors (`stream` picks `cursor`). */
  status(stream?: string): Maybe<MirrorStatus>
  /** Every record held (of one DID when given), ordered by did, collection, rkey. */
  records(opts?: { did?: string }): AsyncIterable<MirrorRecord>
  /** The record block held at a path, if any. */
  getRecord(
    did: string,
    collection: string,
    rkey: string,
  ): Maybe<{ cid: string; value: Uint8Array } | undefined>
  /** Changes after `after` (the change feed), at most `limit`. */
  readChanges(after: number, limit: number): Maybe<MirrorChange[]>
  /** Drops the changes up to `id` (the application has them). */
  ackChanges(id: number): Maybe<void>
  close(): Promise<void> | void
}
