import type { AccountStatusStore } from './account-status.ts'
import type { AuthRejectCode, CommitAuthenticator, VerifiedCommit, VerifiedSync } from './authenticate.ts'
import type { ReconnectOptions } from './connection.ts'
import type { CursorStore } from './cursor.ts'
import type {
  AccountEvent,
  CommitEvent,
  EventLimits,
  IdentityEvent,
  InfoEvent,
  SyncEvent,
  UnknownEvent,
} from './events.ts'
import type { PdsResolver } from './host-check.ts'
import type { SignatureVerifier } from './keys.ts'
import type { RepoStateStore } from './repo-state.ts'
import type { RepoFetcher, ResyncedRepo } from './resync.ts'
import type { SyncStore } from './sync-store.ts'
import type { SocketFactory } from './ws/types.ts'

/**
 * An event the firehose client hands to `onEvent`, after authentication where it applies.
 * `verified` is null only with `authenticate: false`.
 */
export type FirehoseEvent =
  | { type: 'commit'; seq: number; did: string; event: CommitEvent; verified: VerifiedCommit | null }
  | { type: 'sync'; seq: number; did: string; event: SyncEvent; verified: VerifiedSync | null }
  | { type: 'identity'; seq: number; did: string; event: IdentityEvent }
  | { type: 'account'; seq: number; did: string; event: AccountEvent }
  | { type: 'info'; event: InfoEvent }
  | { type: 'unknown'; event: UnknownEvent }

/** {@link FirehoseEvent} as delivered when `authenticate` is on (the default): `verified` is set. */
export type AuthenticatedFirehoseEvent =
  | { type: 'commit'; seq: number; did: string; event: CommitEvent; verified: VerifiedCommit }
  | { type: 'sync'; seq: number; did: string; event: SyncEvent; verified: VerifiedSync }
  | Exclude<FirehoseEvent, { type: 'commit' | 'sync' }>

/** Why the client did not deliver an event. */
export type FirehoseRejectCode =
  | AuthRejectCode
  | 'BAD_EVENT'
  | 'FRAME_TOO_LARGE'
  | 'DESYNCHRONIZED'
  | 'RESYNC_FAILED'
  | 'RESYNC_ROLLBACK'
  | 'RESYNC_FORK'
  | 'ACCOUNT_INACTIVE'
  | 'WRONG_HOST'
  | 'HOST_UNAVAILABLE'

/** An event (or frame) the client refused, with its reason. */
export interface FirehoseRejection {
  code: FirehoseRejectCode
  message: string
  seq?: number | undefined
  did?: string | undefined
  t?: string | undefined
  /** True when the repository was (or must be) resynchronised. */
  resync: boolean
  /** With `ACCOUNT_INACTIVE`: the account's `status` (`takendown`, `deactivated`, ...), if given. */
  accountStatus?: string | undefined
}

/**
 * Where the client is: `idle` (not started), `connecting`, `open` (reading), `reconnecting`
 * (waiting to connect again), `stopping` (finishing queued events), `stopped`, or `failed`
 * (it stopped by itself: see {@link FirehoseError}; `error` says why).
 */
export type FirehoseState =
  | 'idle'
  | 'connecting'
  | 'open'
  | 'reconnecting'
  | 'stopping'
  | 'stopped'
  | 'failed'

/** What `Firehose.status()` reports. */
export interface FirehoseStatus {
  state: FirehoseState
  /** The safe cursor: every event up to it was delivered and committed. */
  cursor: number | undefined
  /** Events queued or being handled. */
  pending: number
  /** Bytes of frames queued or being handled. */
  pendingBytes: number
  /** True while the socket is not read because the queue is full. */
  paused: boolean
  /** Why the client failed, when `state` is `failed`. */
  error: FirehoseError | undefined
}

/** Why the client gave up on an event or on the stream. */
export type FirehoseErrorCode =
  /** `onEvent` or `onResync` did not settle within `handlerTimeoutMs`. */
  | 'HANDLER_TIMEOUT'
  /** An event could not be delivered and committed after every retry: the client fails. */
  | 'DELIVERY_FAILED'
  /** The stream's seq went backwards (a relay reset): the client reconnects. */
  | 'SEQUENCE_RESET'
  /** The server says the cursor is in the future: the client fails (reconnecting will not help). */
  | 'FUTURE_CURSOR'
  /** The connection closed and `reconnect.maxAttempts` ran out: the client fails. */
  | 'RECONNECT_EXHAUSTED'

/** Errors of the firehose client (to `onError`, and as `status().error` when it failed). */
export class FirehoseError extends Error {
  override name = 'FirehoseError'
  readonly code: FirehoseErrorCode
  readonly seq: number | undefined
  readonly did: string | undefined
  constructor(
    code: FirehoseErrorCode,
    message: string,
    opts: { seq?: number | undefined; did?: string | undefined; cause?: unknown } = {},
  ) {
    super(`${message}; code=${code}`, opts.cause === undefined ? {} : { cause: opts.cause })
    this.code = code
    this.seq = opts.seq
    this.did = opts.did
  }
}

/** How failed deliveries and commits are retried before the client gives up. */
export interface RetryOptions {
  /** Tries per event (the first included). Default 5. */
  attempts?: number
  /** First delay. Default 100 ms. */
  minDelayMs?: number
  /** Largest delay. Default 5 s. */
  maxDelayMs?: number
}

/** Which events are handed over; the others are skipped before any work (counted in `stats.filtered`). */
export interface FirehoseFilter {
  /** Only these DIDs (all event types). */
  dids?: Iterable<string>
  /**
   * Only ops of these collections (`app.bsky.feed.post`, or a prefix ending in `.*` such as
   * `app.bsky.*`). Commits are still authenticated and their state kept; a commit with no matching
   * op is not delivered.
   */
  collections?: Iterable<string>
}

/** Options of `Firehose`. */
export interface FirehoseOptions {
  /** Service base URL, e.g. `wss://bsky.network` (the path `/xrpc/com.atproto.sync.subscribeRepos` is added). */
  service: string
  /**
   * Called for every accepted event; per DID in stream order, different DIDs in parallel. The
   * event's state and the cursor are committed after it returns; if it throws (or times out) the
   * event is delivered again (with backoff, up to `retry.attempts`), never skipped. To stop from
   * inside it, call `fh.stop()` without awaiting it.
   */
  onEvent: (event: FirehoseEvent) => Promise<void> | void
  /** Called for each rejected event or frame, once its outcome is committed. */
  onReject?: (rejection: FirehoseRejection) => void
  /** Connection, store and handler errors (the client keeps running unless it reports `failed`). */
  onError?: (err: unknown) => void
  /**
   * Called after a repository was fetched and verified again, before its state is committed: if
   * it throws, the repository stays desynchronized and the resync is tried again.
   */
  onResync?: (repo: ResyncedRepo) => Promise<void> | void
  /** Called on every change of {@link FirehoseState}. */
  onStateChange?: (state: FirehoseState, error?: FirehoseError) => void
  /** Signature checks (default: an @rsky/identity `IdResolver`). */
  keys?: SignatureVerifier
  /**
   * Check that each `#commit` and `#sync` comes from the host its DID document names as PDS.
   * Events of a DID hosted elsewhere are rejected as `WRONG_HOST` and those whose host cannot be
   * resolved as `HOST_UNAVAILABLE`. A DID found elsewhere is looked up again at most once a minute.
   * Default false: leave it off when reading a relay.
   */
  checkHost?: boolean
  /** Where `checkHost` finds each DID's PDS endpoint (default: the DID documents of `keys`). */
  hosts?: PdsResolver
  /**
   * Lenient mode for data that predates sync 1.1 (default false, as relays run it): commits
   * without `prevData`, or with `since: null` from bridge PDSes, are accepted on their signature
   * and marked unproven (`verified.unproven`, and `unproven` in the stored state) instead of rejected.
   */
  lenient?: boolean
  /** Authenticate `#commit` and `#sync` events (default true). */
  authenticate?: boolean
  /** Where commits are authenticated (default inline; a `CommitAuthPool` spreads them over threads). */
  authenticator?: CommitAuthenticator
  /**
   * Repository state, account status and cursor, committed together after each event (default
   * {@link MemorySyncStore}). Takes precedence over `repoState`, `accountStatus` and `cursorStore`.
   */
  store?: SyncStore
  /** Name of this stream's cursor in `store` (default: `service`). */
  stream?: string
  /** Per-repository state, when `store` is not given (not atomic with the cursor). */
  repoState?: RepoStateStore
  /**
   * Hosting status per DID, when `store` is not given. `null` tracks nothing and handles every
   * account (also with `store`).
   */
  accountStatus?: AccountStatusStore | null
  /** Cursor persistence, when `store` is not given. */
  cursorStore?: CursorStore
  /** Start cursor; overrides the store. */
  cursor?: number
  /** Repository fetcher for resyncs (default `getRepo` on the service's https URL); `null` disables resync. */
  fetchRepo?: RepoFetcher | null
  /**
   * Spacing of resync attempts of one repository after a failed one (exponential with jitter).
   * Events of the repository in between are rejected as `DESYNCHRONIZED`. Default 1 s to 10 min.
   */
  resyncBackoff?: { minDelayMs?: number; maxDelayMs?: number }
  /** Which events to hand over (default all). */
  filter?: FirehoseFilter
  /** Most events queued or being handled before the socket stops reading. Default 1,000. */
  maxQueue?: number
  /** Most bytes of frames queued or being handled before the socket stops reading. Default 64 MiB. */
  maxQueueBytes?: number
  /** Most DIDs handled at once. Default 32. */
  concurrency?: number
  /** Longest `onEvent`/`onResync` call before it counts as failed. Default 60 s. */
  handlerTimeoutMs?: number
  /** Retries of a failed delivery or commit. */
  retry?: RetryOptions
  /** Largest frame accepted (bigger ones are rejected as FRAME_TOO_LARGE). Default 5 MiB. */
  maxFrameSize?: number
  /** Hard cap on one WebSocket message; bigger ones drop the connection. Default 16 MiB. */
  maxMessageSize?: number
  reconnect?: ReconnectOptions
  /** Opens sockets (default: `ws` in Node, the global WebSocket elsewhere). */
  socketFactory?: SocketFactory
  limits?: EventLimits
}

/** Counters of a `Firehose`. */
export interface FirehoseStats {
  received: number
  delivered: number
  rejected: number
  /** Events already delivered (inclusive replays, or replays after a restart), skipped. */
  duplicates: number
  /** Normal traffic that needs nothing (a `#sync` at the rev already held). */
  ignored: number
  /** Events left out by `filter`. */
  filtered: number
  /** Deliveries or commits tried again after a failure. */
  retries: number
  connections: number
}
