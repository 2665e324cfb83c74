import { Cid } from '@rsky/dag-cbor'
import type { AccountStatus, RepoState } from '@rsky/sync'

/** The writes of one `commit` of the SyncStore contract (same shape as `@rsky/sync`'s `SyncStoreBatch`). */
export interface StoreBatch {
  repos?: readonly { did: string; state: RepoState | null }[]
  accounts?: readonly { did: string; status: AccountStatus | null }[]
  cursor?: { stream: string; seq: number | null }
}

function fail(message: string): never {
  throw new TypeError(`MirrorStore.commit: ${message}`)
}

/**
 * Checks a batch before anything is written (a bad value writes nothing).
 * @throws TypeError or RangeError naming the field
 */
export function checkBatch(batch: StoreBatch): void {
  if (batch === null || typeof batch !== 'object') fail('batch must be an object')
  const repos = batch.repos ?? []
  if (!Array.isArray(repos)) fail('repos must be an array')
  repos.forEach((w, i) => {
    if (typeof w?.did !== 'string' || w.did === '') fail(`repos[${i}].did must be a non-empty string`)
    if (w.state === null) return
    const s = w.state
    if (s === null || typeof s !== 'object') fail(`repos[${i}].state must be an object or null`)
    if (typeof s.rev !== 'string' || s.rev === '') fail(`repos[${i}].state.rev must be a non-empty string`)
    if (!(s.data instanceof Cid)) fail(`repos[${i}].state.data must be a Cid`)
    if (s.status !== 'synchronized' && s.status !== 'desynchronized')
      fail(`repos[${i}].state.status is not a sync status`)
    const seq = (s as { seq?: unknown }).seq
    if (seq !== undefined && !(Number.isSafeInteger(seq) && (seq as number) >= 0))
      throw new RangeError(`MirrorStore.commit: repos[${i}].state.seq must be a non-negative integer`)
  })
  const accounts = batch.accounts ?? []
  if (!Array.isArray(accounts)) fail('accounts must be an array')
  accounts.forEach((w, i) => {
    if (typeof w?.did !== 'string' || w.did === '') fail(`accounts[${i}].did must be a non-empty string`)
    if (w.status === null) return
    if (typeof w.status !== 'object' || typeof w.status.active !== 'boolean')
      fail(`accounts[${i}].status.active must be a boolean`)
    if (w.status.status !== undefined && typeof w.status.status !== 'string')
      fail(`accounts[${i}].status.status must be a string`)
  })
  const c = batch.cursor
  if (c !== undefined) {
    if (c === null || typeof c !== 'object') fail('cursor must be an object')
    if (typeof c.stream !== 'string' || c.stream === '') fail('cursor.stream must be a non-empty string')
    if (c.seq !== null && !(Number.isSafeInteger(c.seq) && c.seq >= 0))
      throw new RangeError(
        `MirrorStore.commit: cursor.seq must be a non-negative integer or null; seq=${c.seq}`,
      )
  }
}
