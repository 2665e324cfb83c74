import type { Cid } from '@rsky/dag-cbor'

/**
 * Where a repository stands in the mirror:
 * - `pending`: known, waiting for (another) backfill; live events are buffered
 * - `active`: backfilled and followed live
 * - `parked`: failed too often; kept out of the retry loop with its reason
 * - `deleted`: the account was deleted; its records are gone
 */
export type RepoPhase = 'pending' | 'active' | 'parked' | 'deleted'

/** The phase transitions the engine makes; anything else is a bug. */
export const PHASE_TRANSITIONS: Readonly<Record<RepoPhase, readonly RepoPhase[]>> = Object.freeze({
  pending: ['pending', 'active', 'parked', 'deleted'],
  active: ['active', 'pending', 'deleted'],
  parked: ['pending', 'deleted'],
  deleted: ['pending'],
})

/** One repository row. */
export interface MirrorRepo {
  did: string
  phase: RepoPhase
  /** Last verified revision, when backfilled. */
  rev: string | undefined
  /** MST root of that revision. */
  data: Cid | undefined
  /** Backfill attempts since the last success. */
  attempts: number
  /** Why the last attempt failed (or why it is parked). */
  reason: string | undefined
  /** Earliest time (ms) of the next backfill attempt. */
  retryAt: number
}

/** One record the mirror holds. */
export interface MirrorRecord {
  did: string
  collection: string
  rkey: string
  cid: string
}

/** One record change inside a commit, applied in order. */
export interface RecordChange {
  action: 'create' | 'update' | 'delete'
  collection: string
  rkey: string
  /** CID of the new record (null for deletes). */
  cid: Cid | null
  /** Record block (null for deletes). */
  record: Uint8Array | null
}

/** A verified commit, checked in itself; whether it follows the stored chain is decided at apply time. */
export interface PreparedCommit {
  seq: number
  did: string
  rev: string
  since: string | null
  data: Cid
  prevData: Cid
  changes: RecordChange[]
}

/** A verified repository, ready to replace what the mirror holds of it. */
export interface BackfilledRepo {
  did: string
  rev: string
  data: Cid
  /** Records in key order. */
  records: Iterable<{ collection: string; rkey: string; cid: Cid; record: Uint8Array }>
}

/** What applying buffered commits after a backfill found. */
export interface DrainResult {
  applied: number
  skipped: number
  /** Set when a buffered commit did not follow the backfilled state: the repository goes back to pending. */
  chainBreak: boolean
}

/** Counts and cursor, for `status`. */
export interface MirrorStatus {
  /** Cursor of the stream asked for (or, without one, the only or highest one held). */
  cursor: number | undefined
  /** Every stream's cursor. */
  cursors: Record<string, number>
  repos: Record<RepoPhase, number>
  records: number
  buffered: number
}
