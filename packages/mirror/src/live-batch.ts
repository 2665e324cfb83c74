// A run of live events written in one store transaction (group commit), and the fence that makes a
// write of a leased partition conditional on still holding its lease.
import { MirrorError } from './errors.ts'
import { didHash } from './shard.ts'
import type { PreparedCommit } from './types.ts'

/**
 * Consecutive live commits in stream order, written in one transaction: each commit applied,
 * buffered or skipped exactly as `applyCommit` would, and every cursor in `cursors` set, all or
 * nothing. A batch that fails leaves the store as it was, so the whole run is retried.
 */
export interface LiveBatch {
  commits: readonly PreparedCommit[]
  /** Cursors to set in the same transaction: the seq of the last event of the run, per stream. */
  cursors: readonly { stream: string; seq: number }[]
}

/**
 * The leases an engine holds: a write that touches partition `p` (a DID with `didHash % count = p`,
 * or a cursor of the partition) commits only when the lease row of `p` still names `owner` with
 * `token` (checked and share-locked inside the write transaction, so a takeover waits for it and a
 * paused engine that lost its lease can no longer write).
 */
export interface Fence {
  /** The lease group (one per service and partition count). */
  group: string
  owner: string
  /** Number of partitions. */
  count: number
  /** Held partition → fencing token of the claim. */
  tokens: ReadonlyMap<number, number>
}

/** The partition of a DID under a fence. */
export function partitionOf(did: string, count: number): number {
  return didHash(did) % count
}

/**
 * The partitions a write of these DIDs touches, each checked to be in the fence.
 * @throws MirrorError `LEASE_LOST` when one is not held (nothing was written)
 */
export function fencedPartitions(fence: Fence, dids: Iterable<string>): number[] {
  const out = new Set<number>()
  for (const did of dids) {
    const p = partitionOf(did, fence.count)
    if (!fence.tokens.has(p))
      throw new MirrorError('LEASE_LOST', `partition not held; partition=${p} owner=${fence.owner}`, { did })
    out.add(p)
  }
  return [...out]
}
