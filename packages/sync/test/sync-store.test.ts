import { describe, expect, it } from 'vitest'
import { MemorySyncStore } from '../src/index.ts'
import { describeSyncStoreContract } from '../src/testing.ts'

describeSyncStoreContract('memory', () => new MemorySyncStore())

describe('MemorySyncStore', () => {
  it('counts commits and tracked repositories', () => {
    const store = new MemorySyncStore()
    store.commit({ cursor: { stream: 's', seq: 1 } })
    expect(store.commits).toBe(1)
    expect(store.size).toBe(0)
  })
})
