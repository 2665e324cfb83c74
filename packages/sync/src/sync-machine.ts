/**
 * A repository's sync status as a consumer sees it (the sync spec's account/repository states):
 * - `unknown`: nothing stored yet; the first authentic commit or `#sync` becomes the base.
 * - `synchronized`: the stored rev and tree follow every event delivered.
 * - `desynchronized`: an authentic event did not follow the stored state (a chain break, or a
 *   `#sync` announcing another tree); its events are not delivered until a resync completes.
 * - `resyncing`: a resync is being fetched and verified (held in memory only; after a crash the
 *   stored `desynchronized` status makes it start again).
 * - `inactive`: the account's hosting status is not active; its `#commit` and `#sync` are ignored.
 */
export type RepoSyncStatus = 'unknown' | 'synchronized' | 'desynchronized' | 'resyncing' | 'inactive'

/** What happened to a repository, as the client classifies an event or a resync. */
export type SyncInput =
  /** An authentic `#commit` that follows the stored state (or the first one seen). */
  | 'commit-valid'
  /** An authentic `#commit` whose `since`/`prevData` do not follow the stored state. */
  | 'commit-chain-break'
  /** A `#commit` at or below the stored rev and seq: delivered and committed before a restart. */
  | 'commit-replayed'
  /** A `#commit` that failed authentication (bad signature, proof, CAR, stale rev, ...). */
  | 'commit-invalid'
  /** An authentic `#sync` whose tree equals the stored one, under a newer rev. */
  | 'sync-same-tree'
  /** A `#sync` at the rev already held (the official PDS sends one after creating an account). */
  | 'sync-at-held-rev'
  /** An authentic `#sync` announcing a tree other than the stored one. */
  | 'sync-new-tree'
  /** A `#sync` that failed authentication. */
  | 'sync-invalid'
  /** A resync began (the fetch of the repository). */
  | 'resync-started'
  /** The fetched repository verified and `onResync` returned. */
  | 'resync-succeeded'
  /** The fetch or the verification failed (it is tried again later, with backoff). */
  | 'resync-failed'
  /** `#account` with `active: false` (takendown, suspended, deactivated, ...). */
  | 'account-inactive'
  /** `#account` with `active: true`. */
  | 'account-active'
  /** `#account` with status `deleted`: the repository's state is forgotten. */
  | 'account-deleted'

/**
 * What the client does with the event that caused a transition:
 * `deliver` to `onEvent`, `reject` to `onReject`, `ignore` (normal traffic, reported nowhere),
 * `resync` (fetch the repository, then deliver or reject per the resync's outcome), `none`.
 */
export type SyncAction = 'deliver' | 'reject' | 'ignore' | 'resync' | 'none'

/** One row of the table: the status after the input and what is done with the event. */
export interface SyncTransition {
  /** A stable name for logs and tests. */
  name: string
  next: RepoSyncStatus
  action: SyncAction
}

type Row = Partial<Record<SyncInput, SyncTransition>>

const t = (name: string, next: RepoSyncStatus, action: SyncAction): SyncTransition => ({ name, next, action })

// Account events apply in every status: the account's status is stored apart from the chain.
const ACCOUNT: Row = {
  'account-inactive': t('account-deactivated', 'inactive', 'deliver'),
  'account-deleted': t('account-deleted', 'unknown', 'deliver'),
}

/**
 * Every transition of a repository's sync status, in one place. A pair missing from the table is
 * a pair that cannot happen (the client never looks it up); {@link syncTransition} throws for it.
 */
export const SYNC_TRANSITIONS: Readonly<Record<RepoSyncStatus, Row>> = {
  unknown: {
    'commit-valid': t('first-commit', 'synchronized', 'deliver'),
    'commit-invalid': t('reject-commit', 'unknown', 'reject'),
    // a #sync of a repository never seen: its records are fetched (when a fetcher is set)
    'sync-new-tree': t('first-sync-resyncs', 'resyncing', 'resync'),
    'sync-invalid': t('reject-sync', 'unknown', 'reject'),
    'account-active': t('account-active', 'unknown', 'deliver'),
    ...ACCOUNT,
  },
  synchronized: {
    'commit-valid': t('commit', 'synchronized', 'deliver'),
    'commit-chain-break': t('chain-break', 'desynchronized', 'resync'),
    'commit-replayed': t('replayed-commit', 'synchronized', 'ignore'),
    'commit-invalid': t('reject-commit', 'synchronized', 'reject'),
    'sync-same-tree': t('sync-moves-rev', 'synchronized', 'deliver'),
    'sync-at-held-rev': t('sync-at-held-rev', 'synchronized', 'ignore'),
    'sync-new-tree': t('sync-new-tree', 'desynchronized', 'resync'),
    'sync-invalid': t('reject-sync', 'synchronized', 'reject'),
    'account-active': t('account-active', 'synchronized', 'deliver'),
    ...ACCOUNT,
  },
  desynchronized: {
    // nothing is delivered until a resync completes (sync spec); each event may start one
    'commit-valid': t('desync-commit-waits', 'resyncing', 'resync'),
    'commit-chain-break': t('desync-commit-waits', 'resyncing', 'resync'),
    'commit-replayed': t('replayed-commit', 'desynchronized', 'ignore'),
    'commit-invalid': t('reject-commit', 'desynchronized', 'reject'),
    // the same tree under a newer rev does not bring back the commits that were missed
    'sync-same-tree': t('desync-sync-same-tree-resyncs', 'resyncing', 'resync'),
    'sync-at-held-rev': t('sync-at-held-rev', 'desynchronized', 'ignore'),
    'sync-new-tree': t('desync-sync-resyncs', 'resyncing', 'resync'),
    'sync-invalid': t('reject-sync', 'desynchronized', 'reject'),
    'resync-started': t('resync-started', 'resyncing', 'none'),
    'account-active': t('account-active', 'desynchronized', 'deliver'),
    ...ACCOUNT,
  },
  resyncing: {
    'resync-succeeded': t('resync-succeeded', 'synchronized', 'deliver'),
    'resync-failed': t('resync-failed', 'desynchronized', 'reject'),
  },
  inactive: {
    'commit-valid': t('inactive-commit', 'inactive', 'reject'),
    'commit-chain-break': t('inactive-commit', 'inactive', 'reject'),
    'commit-replayed': t('inactive-commit', 'inactive', 'reject'),
    'commit-invalid': t('inactive-commit', 'inactive', 'reject'),
    'sync-same-tree': t('inactive-sync', 'inactive', 'reject'),
    'sync-at-held-rev': t('inactive-sync', 'inactive', 'reject'),
    'sync-new-tree': t('inactive-sync', 'inactive', 'reject'),
    'sync-invalid': t('inactive-sync', 'inactive', 'reject'),
    // back to the chain status the store holds (the client re-reads it)
    'account-active': t('account-reactivated', 'unknown', 'deliver'),
    ...ACCOUNT,
  },
}

/** Raised by {@link syncTransition} for a status/input pair the table does not allow. */
export class SyncTransitionError extends Error {
  override name = 'SyncTransitionError'
  readonly code = 'NO_TRANSITION'
  readonly status: RepoSyncStatus
  readonly input: SyncInput
  constructor(status: RepoSyncStatus, input: SyncInput) {
    super(`no sync transition; status=${status} input=${input}`)
    this.status = status
    this.input = input
  }
}

/**
 * Looks up the transition for `input` in `status`.
 * @throws {SyncTransitionError} for a pair the table does not allow
 * @example syncTransition('desynchronized', 'sync-same-tree').action // 'resync'
 */
export function syncTransition(status: RepoSyncStatus, input: SyncInput): SyncTransition {
  const row = SYNC_TRANSITIONS[status]?.[input]
  if (row === undefined) throw new SyncTransitionError(status, input)
  return row
}
