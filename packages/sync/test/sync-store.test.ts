import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MemorySyncStore } from '../src/index.ts'
import { describeSyncStoreContract } from '../src/testing.ts'
import { JsonFileSyncStore } from './file-sync-store.ts'

describeSyncStoreContract('memory', () => new MemorySyncStore())

// the test-only durable store the crash test uses: it must keep the same contract
describeSyncStoreContract('json file (test)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rsky-store-'))
  const path = join(dir, 'store.json')
  return {
    store: new JsonFileSyncStore(path),
    reopen: () => new JsonFileSyncStore(path),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
})

describe('MemorySyncStore', () => {
  it('counts commits and tracked repositories', () => {
    const store = new MemorySyncStore()
    store.commit({ cursor: { stream: 's', seq: 1 } })
    expect(store.commits).toBe(1)
    expect(store.size).toBe(0)
  })
})
