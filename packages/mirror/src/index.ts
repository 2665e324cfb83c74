// @rsky/mirror: a durable sync engine. Backfills repositories and follows the firehose into SQLite
// or Postgres; each commit's records, the repository's state and the cursor land in one transaction.

export { APP_CHANGE_CHUNK, type AppChange } from './app-changes.ts'
export { DEFAULT_SPOOL, SpooledBlocks, type SpoolOptions } from './block-spool.ts'
export { type ChainStep, chainStep } from './chain.ts'
export { decodePreparedCommit, encodePreparedCommit } from './commit-codec.ts'
export { MirrorEngine, type MirrorOptions, type MirrorStats } from './engine.ts'
export { MirrorError, type MirrorErrorCode } from './errors.ts'
export { DEFAULT_FETCH_LIMITS, type FetchLimits, getRepoSource, type RepoSource } from './fetch-repo.ts'
export {
  LEASE_TRANSITIONS,
  type LeaseEvent,
  type LeaseState,
  LeaseTransitionError,
  leaseStep,
} from './lease-state.ts'
export {
  isLeaseStore,
  type LeaseChanges,
  type LeaseClaim,
  type LeaseInfo,
  LeaseKeeper,
  type LeaseOptions,
  type LeaseStore,
} from './leases.ts'
export { type LiveItem, prepareFrame } from './live.ts'
export { type Fence, type LiveBatch, partitionOf } from './live-batch.ts'
export { type OpenStoreOptions, openMirrorStore, storeKindOf } from './open-store.ts'
export { PostgresMirrorStore, type PostgresStoreOptions } from './postgres-store.ts'
export { type RateLimit, rateLimitedSource, TokenBucket } from './rate-limit.ts'
export {
  PostgresRepoStorage,
  type PostgresRepoStorageOptions,
} from './repo-storage-postgres.ts'
export { SqliteRepoStorage, type SqliteRepoStorageOptions } from './repo-storage-sqlite.ts'
export {
  openVerifiedRepo,
  type ReadRepoOptions,
  readVerifiedRepo,
  type SigningKeys,
  type VerifiedRepo,
  type WalkedRecord,
} from './repo-walk.ts'
export { type ListOptions, listRepos, listReposByCollection, probeHost } from './scope.ts'
export { checkShard, didHash, inShard, type Shard } from './shard.ts'
export { type SignatureChecker, SignatureThread } from './signature-thread.ts'
export { SqliteMirrorStore, type SqliteStoreOptions } from './sqlite-store.ts'
export type { ApplyOutcome, MirrorChange, MirrorStore } from './store.ts'
export {
  type BackfilledRepo,
  type DrainResult,
  type MirrorRecord,
  type MirrorRepo,
  type MirrorStatus,
  PHASE_TRANSITIONS,
  type PreparedCommit,
  type RecordChange,
  type RepoPhase,
} from './types.ts'
