import type { AccountStatusStore } from './account-status.ts'
import type { CursorStore } from './cursor.ts'
import type { RepoStateStore } from './repo-state.ts'
import { type SyncStore, type SyncStoreBatch, validateSyncStoreBatch } from './sync-store.ts'

/**
 * A {@link SyncStore} over the three separate stores of earlier releases (`repoState`,
 * `accountStatus`, `cursorStore`). It writes a batch in order, the cursor last, so the cursor
 * never passes state that was not written; but it is not atomic: a crash between two writes can
 * leave repository state newer than the cursor (the replay is then recognised by the stored
 * `seq`). Use a real {@link SyncStore} for one transaction.
 */
export function syncStoreOver(opts: {
  repoState: RepoStateStore
  accountStatus: AccountStatusStore | null
  cursorStore?: CursorStore | undefined
}): SyncStore {
  const { repoState, accountStatus, cursorStore } = opts
  return {
    getRepo: (did) => repoState.get(did),
    getAccount: (did) => accountStatus?.get(did),
    getCursor: () => cursorStore?.load(),
    async commit(batch: SyncStoreBatch) {
      validateSyncStoreBatch(batch)
      for (const w of batch.repos ?? []) {
        if (w.state === null) await repoState.delete(w.did)
        else await repoState.set(w.did, w.state)
      }
      if (accountStatus !== null)
        for (const w of batch.accounts ?? []) await accountStatus.set(w.did, w.status ?? { active: true })
      const c = batch.cursor
      if (c !== undefined && c.seq !== null) await cursorStore?.save(c.seq)
    },
  }
}
