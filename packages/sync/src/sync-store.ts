import { isCid } from '@rsky/dag-cbor'
import type { AccountStatus } from './account-status.ts'
import type { RepoState } from './repo-state.ts'

/**
 * # The SyncStore contract
 *
 * Everything a stream consumer must remember to resume exactly where it stopped: per repository
 * its verified chain state ({@link RepoState}), per account its hosting status
 * ({@link AccountStatus}), and per stream its cursor. The {@link Firehose} delivers an event
 * first and then writes what the event changed in ONE {@link SyncStore.commit} call, so after a
 * crash either every write of an event landed (it is not delivered again) or none did (it is
 * delivered again: at-least-once, with keyed effects made idempotent by the consumer).
 *
 * Rules every implementation keeps (checked by `describeSyncStoreContract` of
 * `@rsky/sync/testing`, which the memory, SQLite and Postgres stores all pass):
 * 1. `commit(batch)` is atomic: after it resolves every write of the batch is visible (and, for a
 *    durable store, survives a crash); if it throws or the process dies first, none is.
 * 2. Commits are applied in call order; a read issued after a commit resolved sees it.
 * 3. Within one batch, writes apply in array order (the last write of a DID wins); `null`
 *    deletes. Writes to different DIDs are independent.
 * 4. A batch is validated before anything is written: a bad value (a DID that is not a string, a
 *    `data` that is not a CID, a negative or fractional cursor) throws `TypeError`/`RangeError`
 *    and writes nothing.
 * 5. Reads return copies: mutating a returned value never changes the store.
 * 6. `getAccount` of a DID whose last status was active may return `undefined` (unknown and active
 *    are handled alike; the memory store keeps inactive accounts only).
 * 7. A cursor is a non-negative safe integer per stream name; `null` clears it (a sequence reset).
 *
 * The interface only grows: fields and methods added later are optional.
 */
export interface SyncStore {
  /** The repository's verified chain state, or `undefined` when none is stored. */
  getRepo(did: string): Promise<RepoState | undefined> | RepoState | undefined
  /** The account's hosting status, or `undefined` when unknown (treated as active). */
  getAccount(did: string): Promise<AccountStatus | undefined> | AccountStatus | undefined
  /** The saved cursor of a stream (see {@link SyncStoreBatch.cursor}), or `undefined`. */
  getCursor(stream: string): Promise<number | undefined> | number | undefined
  /** Writes every change of `batch` in one transaction (rules 1–4 above). */
  commit(batch: SyncStoreBatch): Promise<void> | void
  /** Releases the store's resources (optional). */
  close?(): Promise<void> | void
}

/** One repository write: the new state, or `null` to forget the DID's state (account deleted). */
export interface RepoWrite {
  did: string
  state: RepoState | null
}

/** One account write: the new status, or `null` to forget it. */
export interface AccountWrite {
  did: string
  status: AccountStatus | null
}

/** A stream's new cursor (`seq: null` clears it). */
export interface CursorWrite {
  /** The stream's name: by default the service URL the client subscribes to. */
  stream: string
  seq: number | null
}

/** The writes of one {@link SyncStore.commit}, applied all together or not at all. */
export interface SyncStoreBatch {
  repos?: readonly RepoWrite[]
  accounts?: readonly AccountWrite[]
  cursor?: CursorWrite
}

const STATUSES: ReadonlySet<string> = new Set(['synchronized', 'desynchronized'])

function fail(message: string): never {
  throw new TypeError(`SyncStore.commit: ${message}`)
}

function checkDid(v: unknown, where: string): void {
  if (typeof v !== 'string' || v === '') fail(`${where}.did must be a non-empty string`)
}

/**
 * Checks a batch against the contract (rule 4); stores call it before writing anything.
 * @throws TypeError or RangeError naming the bad field.
 */
export function validateSyncStoreBatch(batch: SyncStoreBatch): void {
  if (batch === null || typeof batch !== 'object') fail('batch must be an object')
  const repos = batch.repos ?? []
  if (!Array.isArray(repos)) fail('repos must be an array')
  for (let i = 0; i < repos.length; i++) {
    const w = repos[i] as RepoWrite
    checkDid(w?.did, `repos[${i}]`)
    if (w.state === null) continue
    const s = w.state
    if (s === null || typeof s !== 'object') fail(`repos[${i}].state must be an object or null`)
    if (typeof s.rev !== 'string' || s.rev === '') fail(`repos[${i}].state.rev must be a non-empty string`)
    if (!isCid(s.data)) fail(`repos[${i}].state.data must be a Cid`)
    if (!STATUSES.has(s.status)) fail(`repos[${i}].state.status is not a sync status; status=${s.status}`)
    if (s.seq !== undefined && !(Number.isSafeInteger(s.seq) && s.seq >= 0))
      throw new RangeError(`SyncStore.commit: repos[${i}].state.seq must be a non-negative integer`)
    if (s.unproven !== undefined && typeof s.unproven !== 'boolean')
      fail(`repos[${i}].state.unproven must be a boolean`)
  }
  const accounts = batch.accounts ?? []
  if (!Array.isArray(accounts)) fail('accounts must be an array')
  for (let i = 0; i < accounts.length; i++) {
    const w = accounts[i] as AccountWrite
    checkDid(w?.did, `accounts[${i}]`)
    if (w.status === null) continue
    if (typeof w.status !== 'object' || typeof w.status.active !== 'boolean')
      fail(`accounts[${i}].status.active must be a boolean`)
    if (w.status.status !== undefined && typeof w.status.status !== 'string')
      fail(`accounts[${i}].status.status must be a string`)
  }
  const c = batch.cursor
  if (c !== undefined) {
    if (c === null || typeof c !== 'object') fail('cursor must be an object')
    if (typeof c.stream !== 'string' || c.stream === '') fail('cursor.stream must be a non-empty string')
    if (c.seq !== null && !(Number.isSafeInteger(c.seq) && c.seq >= 0))
      throw new RangeError(
        `SyncStore.commit: cursor.seq must be a non-negative integer or null; seq=${c.seq}`,
      )
  }
}

function copyRepo(s: RepoState): RepoState {
  const out: RepoState = { rev: s.rev, data: s.data, status: s.status }
  if (s.seq !== undefined) out.seq = s.seq
  if (s.unproven === true) out.unproven = true
  return out
}

/**
 * In-memory {@link SyncStore}: atomic because a commit is validated first and then applied in
 * one synchronous step. It keeps inactive accounts only (an active status is forgotten).
 * @example
 * const store = new MemorySyncStore()
 * new Firehose({ service, store, onEvent })
 */
export class MemorySyncStore implements SyncStore {
  readonly #repos = new Map<string, RepoState>()
  readonly #accounts = new Map<string, AccountStatus>()
  readonly #cursors = new Map<string, number>()
  /** Number of commits applied (for tests and metrics). */
  commits = 0

  getRepo(did: string): RepoState | undefined {
    const s = this.#repos.get(did)
    return s === undefined ? undefined : copyRepo(s)
  }
  getAccount(did: string): AccountStatus | undefined {
    const a = this.#accounts.get(did)
    return a === undefined ? undefined : { ...a }
  }
  getCursor(stream: string): number | undefined {
    return this.#cursors.get(stream)
  }
  commit(batch: SyncStoreBatch): void {
    validateSyncStoreBatch(batch)
    for (const w of batch.repos ?? []) {
      if (w.state === null) this.#repos.delete(w.did)
      else this.#repos.set(w.did, copyRepo(w.state))
    }
    for (const w of batch.accounts ?? []) {
      if (w.status === null || w.status.active) this.#accounts.delete(w.did)
      else
        this.#accounts.set(
          w.did,
          w.status.status === undefined ? { active: false } : { active: false, status: w.status.status },
        )
    }
    const c = batch.cursor
    if (c !== undefined) {
      if (c.seq === null) this.#cursors.delete(c.stream)
      else this.#cursors.set(c.stream, c.seq)
    }
    this.commits++
  }
  /** Number of repositories tracked. */
  get size(): number {
    return this.#repos.size
  }
}
