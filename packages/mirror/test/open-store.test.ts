// openMirrorStore: the `--db` value picks the store, and each store gets its own options (the
// application's hook included), so a service can open either from one configuration value.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cidForCbor, encode } from '@rsky/dag-cbor'
import { createTestDatabase, type TestDatabase } from '@rsky/test-vectors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AppChange, MirrorError, type MirrorStore, openMirrorStore, storeKindOf } from '../src/index.ts'

let dir: string
let db: TestDatabase
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rsky-mirror-open-'))
  db = await createTestDatabase('rsky_mirror_open')
})
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await db?.drop()
})

const DID = 'did:plc:openopenopenopenopenopen'

async function backfillOne(store: MirrorStore): Promise<void> {
  const record = encode({ $type: 'app.bsky.feed.post', text: 'hi', createdAt: '2026-12-03T00:00:00.000Z' })
  const cid = cidForCbor(record)
  await store.addRepos([DID])
  await store.completeBackfill({
    did: DID,
    rev: '3kaaaaaaaaa22',
    data: cid,
    records: [{ collection: 'app.bsky.feed.post', rkey: '3kaaaaaaaaa22', cid, record }],
  })
}

describe('openMirrorStore', () => {
  it('names the store by the value: a postgres URL, else a SQLite path; other URLs are BAD_DATABASE', () => {
    expect(storeKindOf('postgres://u@h/db')).toBe('postgres')
    expect(storeKindOf('POSTGRESQL://u@h/db')).toBe('postgres')
    expect(storeKindOf('mirror.db')).toBe('sqlite')
    expect(storeKindOf('./a:b.db')).toBe('sqlite')
    expect(() => storeKindOf('mysql://u@h/db')).toThrow(MirrorError)
  })

  it('passes each store its own onChanges hook and the change feed flag', async () => {
    const seen: { kind: string; changes: AppChange[] }[] = []
    const opts = {
      changeFeed: true,
      sqlite: {
        onChanges: (_db: unknown, changes: readonly AppChange[]) =>
          void seen.push({ kind: 'sqlite', changes: [...changes] }),
      },
      postgres: {
        onChanges: async (_c: unknown, changes: readonly AppChange[]) => {
          seen.push({ kind: 'postgres', changes: [...changes] })
        },
        maxConnections: 2,
      },
    }
    for (const target of [join(dir, 'open.db'), db.url]) {
      const store = await openMirrorStore(target, opts)
      try {
        await backfillOne(store)
        expect((await store.readChanges(0, 10)).map((c) => c.action)).toEqual(['reset', 'create'])
      } finally {
        await store.close()
      }
    }
    // (a store may call the hook more than once per transaction: the reset, then records in chunks)
    const ids = (kind: string) =>
      seen.filter((s) => s.kind === kind).flatMap((s) => s.changes.map((c) => c.id))
    const expected = [`${DID}/3kaaaaaaaaa22/reset`, `${DID}/3kaaaaaaaaa22/app.bsky.feed.post/3kaaaaaaaaa22`]
    expect(ids('sqlite')).toEqual(expected)
    expect(ids('postgres')).toEqual(expected)
  })
})
