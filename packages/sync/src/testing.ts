// @rsky/sync/testing: test helpers for code built on @rsky/sync (needs vitest).
export { describeSyncStoreContract, type SyncStoreFixture } from './sync-store.contract.ts'
