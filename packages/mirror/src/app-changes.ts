// What an application's in-transaction hook receives: the record changes a store write makes, in
// stream order (so in order within each repository), each with an id that is the same whenever the
// same change is made again. The hook runs inside the store's write transaction, on its connection:
// the application's own tables commit or roll back with the mirror's records and cursor.
import type { ApplyOutcome } from './store.ts'
import type { PreparedCommit } from './types.ts'

/** One record change as an application hook sees it. */
export interface AppChange {
  /**
   * Stable id: `did/rev/n` for the n-th change of a live commit, `did/rev/reset` and
   * `did/rev/collection/rkey` for a repository written whole (a backfill), `did/account/seq` for a
   * deleted account. The same change always carries the same id.
   */
  id: string
  did: string
  /** `reset`: drop everything held of `did` (a backfill follows with `create`s, or the account is gone). */
  action: 'create' | 'update' | 'delete' | 'reset'
  /** Empty for `reset`. */
  collection: string
  /** Empty for `reset`. */
  rkey: string
  /** CID of the new record; null for `delete` and `reset`. */
  cid: string | null
  /** The record block (DAG-CBOR); null for `delete` and `reset`. */
  record: Uint8Array | null
  /** Revision the change belongs to (empty for a deleted account). */
  rev: string
}

/** Most changes handed to the hook in one call while a repository is written whole. */
export const APP_CHANGE_CHUNK = 1000

/** The changes of the live commits a batch applied (outcome `applied`), in stream order. */
export function appliedChanges(
  commits: readonly PreparedCommit[],
  outcomes: readonly ApplyOutcome[],
): AppChange[] {
  const out: AppChange[] = []
  for (let i = 0; i < commits.length; i++) {
    if (outcomes[i] !== 'applied') continue
    const c = commits[i] as PreparedCommit
    c.changes.forEach((ch, n) => {
      out.push({
        id: `${c.did}/${c.rev}/${n}`,
        did: c.did,
        action: ch.action,
        collection: ch.collection,
        rkey: ch.rkey,
        cid: ch.cid?.toString() ?? null,
        record: ch.record,
        rev: c.rev,
      })
    })
  }
  return out
}

/** The `reset` that opens a repository written whole at `rev`. */
export function resetChange(did: string, rev: string): AppChange {
  return {
    id: `${did}/${rev}/reset`,
    did,
    action: 'reset',
    collection: '',
    rkey: '',
    cid: null,
    record: null,
    rev,
  }
}

/** One record of a repository written whole at `rev`, as a `create`. */
export function snapshotChange(
  did: string,
  rev: string,
  r: { collection: string; rkey: string; cid: string; value: Uint8Array },
): AppChange {
  return {
    id: `${did}/${rev}/${r.collection}/${r.rkey}`,
    did,
    action: 'create',
    collection: r.collection,
    rkey: r.rkey,
    cid: r.cid,
    record: r.value,
    rev,
  }
}

/** The `reset` of a deleted account (its records are gone). */
export function accountDeletedChange(did: string, seq: number): AppChange {
  return {
    id: `${did}/account/${seq}`,
    did,
    action: 'reset',
    collection: '',
    rkey: '',
    cid: null,
    record: null,
    rev: '',
  }
}
