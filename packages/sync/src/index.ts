// @rsky/sync: AT Protocol sync: firehose frames and events, authenticated commits (sync 1.1),
// a firehose client with safe cursors and backpressure, and Jetstream.
export { type AccountStatus, type AccountStatusStore, MemoryAccountStatusStore } from './account-status.ts'
export {
  type AuthenticateOptions,
  type AuthRejectCode,
  type AuthRejection,
  authenticateCommit,
  authenticateSync,
  type CommitAuthenticator,
  type CommitAuthResult,
  emptyTreeRoot,
  type SignedCommitHead,
  type SyncAuthResult,
  type VerifiedCommit,
  type VerifiedOp,
  type VerifiedSync,
} from './authenticate.ts'
export {
  backoffDelay,
  type ConnectionHandlers,
  type ReconnectOptions,
  StreamConnection,
} from './connection.ts'
export { CursorSaver, type CursorStore, MemoryCursorStore, SafeCursor } from './cursor.ts'
export { FrameError, type FrameErrorCode, StreamClosedError } from './errors.ts'
export {
  type AccountEvent,
  type CommitEvent,
  EVENT_LIMITS,
  type EventIssue,
  type EventLimits,
  type EventResult,
  eventToBody,
  type IdentityEvent,
  type InfoEvent,
  type Label,
  type LabelEvent,
  type LabelsEvent,
  parseAccountEvent,
  parseCommitEvent,
  parseIdentityEvent,
  parseInfoEvent,
  parseLabelEvent,
  parseLabelsEvent,
  parseRepoEvent,
  parseSyncEvent,
  type RepoEvent,
  type RepoOp,
  type SyncEvent,
  type UnknownEvent,
} from './events.ts'
export {
  type AuthenticatedFirehoseEvent,
  Firehose,
  FirehoseError,
  type FirehoseErrorCode,
  type FirehoseEvent,
  type FirehoseFilter,
  type FirehoseOptions,
  type FirehoseRejectCode,
  type FirehoseRejection,
  type FirehoseState,
  type FirehoseStats,
  type FirehoseStatus,
  type PdsResolver,
  type RetryOptions,
} from './firehose.ts'
export {
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_MAX_HEADER_SIZE,
  decodeFrame,
  type ErrorFrame,
  encodeErrorFrame,
  encodeFrame,
  encodeMessageFrame,
  type Frame,
  type FrameDecodeOptions,
  frameBody,
  type MessageFrame,
  type UnknownFrame,
} from './frame.ts'
export { type HostCheck, HostChecker, hostOf, pdsResolverOf } from './host-check.ts'
export {
  type JetstreamAccountEvent,
  JetstreamClient,
  type JetstreamCommitEvent,
  type JetstreamEvent,
  type JetstreamIdentityEvent,
  type JetstreamOptions,
  type JetstreamResult,
  parseJetstreamEvent,
} from './jetstream.ts'
export {
  type InvalidatingKeys,
  invalidateKey,
  type KeyResolver,
  type SignatureVerifier,
  staticKeys,
} from './keys.ts'
export {
  type LabelKeyRetryOptions,
  LabelKeyUnavailableError,
  LabelSubscription,
  type LabelSubscriptionOptions,
} from './labels.ts'
export { syncStoreOver } from './legacy-store.ts'
export { MemoryRepoStateStore, type RepoState, type RepoStateStore } from './repo-state.ts'
export {
  getRepoFetcher,
  type RepoFetcher,
  ResyncError,
  type ResyncErrorCode,
  type ResyncedRepo,
  type ResyncFloor,
  resyncRepo,
} from './resync.ts'
export { KeyedScheduler } from './scheduler.ts'
export {
  type RepoSyncStatus,
  SYNC_TRANSITIONS,
  type SyncAction,
  type SyncInput,
  type SyncTransition,
  SyncTransitionError,
  syncTransition,
} from './sync-machine.ts'
export {
  type AccountWrite,
  type CursorWrite,
  MemorySyncStore,
  type RepoWrite,
  type SyncStore,
  type SyncStoreBatch,
  validateSyncStoreBatch,
} from './sync-store.ts'
export type { SocketFactory, SocketLike } from './ws/types.ts'
