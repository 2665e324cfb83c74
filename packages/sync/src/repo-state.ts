import type { Cid } from '@rsky/dag-cbor'

/** What a consumer remembers per repository to check the chain of commits. */
export interface RepoState {
  /** Last verified revision. */
  rev: string
  /** MST root (`data`) of the last verified commit. */
  data: Cid
  /** `synchronized`, or `desynchronized` after a chain break until a resync completes. */
  status: 'synchronized' | 'desynchronized'
  /**
   * Stream seq of the event that wrote this state, when known: an event at or below it was already
   * delivered and committed, so a replay after a restart is skipped as a duplicate.
   */
  seq?: number | undefined
  /**
   * True when the chain up to this state was accepted without proof (lenient mode: a commit
   * without `prevData`, or a `since: null` that is not a first commit). Signatures were checked.
   */
  unproven?: boolean | undefined
}

/**
 * Pluggable per-DID repository state (memory by default; a database in production). A
 * {@link Firehose} calls `delete` when an `#account` event says the account was deleted, so a
 * repository created again later under the same DID starts a new chain.
 */
export interface RepoStateStore {
  get(did: string): Promise<RepoState | undefined> | RepoState | undefined
  set(did: string, state: RepoState): Promise<void> | void
  /** Forgets the DID's state (nothing happens when there is none). */
  delete(did: string): Promise<void> | void
}

/** In-memory {@link RepoStateStore}. */
export class MemoryRepoStateStore implements RepoStateStore {
  readonly #map = new Map<string, RepoState>()
  get(did: string): RepoState | undefined {
    return this.#map.get(did)
  }
  set(did: string, state: RepoState): void {
    this.#map.set(did, state)
  }
  /** Forgets a DID's state. */
  delete(did: string): void {
    this.#map.delete(did)
  }
  /** Number of repositories tracked. */
  get size(): number {
    return this.#map.size
  }
}
