import { describe, expect, it } from 'vitest'
import {
  type RepoSyncStatus,
  SYNC_TRANSITIONS,
  type SyncInput,
  SyncTransitionError,
  syncTransition,
} from '../src/sync-machine.ts'

const STATUSES = Object.keys(SYNC_TRANSITIONS) as RepoSyncStatus[]

describe('the repository sync state machine', () => {
  it('every row leads to a known status with a known action and a name', () => {
    for (const s of STATUSES)
      for (const [input, tr] of Object.entries(SYNC_TRANSITIONS[s])) {
        expect(STATUSES, `${s} ${input}`).toContain(tr.next)
        expect(['deliver', 'reject', 'ignore', 'resync', 'none']).toContain(tr.action)
        expect(tr.name.length).toBeGreaterThan(0)
      }
  })

  it('a desynchronized repository delivers nothing until a resync completes', () => {
    const inputs: SyncInput[] = ['commit-valid', 'commit-chain-break', 'sync-same-tree', 'sync-new-tree']
    for (const i of inputs) expect(syncTransition('desynchronized', i).action).toBe('resync')
    expect(syncTransition('resyncing', 'resync-succeeded')).toMatchObject({ next: 'synchronized' })
    expect(syncTransition('resyncing', 'resync-failed')).toMatchObject({
      next: 'desynchronized',
      action: 'reject',
    })
  })

  it('a #sync at the held rev is ignored, not rejected, in every chain status', () => {
    for (const s of ['synchronized', 'desynchronized'] as const)
      expect(syncTransition(s, 'sync-at-held-rev').action).toBe('ignore')
  })

  it('an inactive account rejects commits and syncs; reactivation and deletion are delivered', () => {
    for (const i of ['commit-valid', 'sync-new-tree'] as const)
      expect(syncTransition('inactive', i).action).toBe('reject')
    expect(syncTransition('inactive', 'account-active').action).toBe('deliver')
    expect(syncTransition('synchronized', 'account-deleted').next).toBe('unknown')
  })

  it('a pair outside the table is a named error', () => {
    const err = (() => {
      try {
        syncTransition('resyncing', 'commit-valid')
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(SyncTransitionError)
    expect(err).toMatchObject({ code: 'NO_TRANSITION', status: 'resyncing', input: 'commit-valid' })
  })
})
