// Backfill streaming: blocks past the memory budget go to a temporary file and records reach the
// store one at a time inside its transaction. Whatever the budget, the records are the same; a bad
// repository found mid-stream rolls the whole transaction back; the bulk paths (multi-row INSERT,
// binary COPY, the change feed written from the table, background checkpoints) hold the same rows.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readCar, writeCar } from '@rsky/car'
import { createTestDatabase, type TestDatabase } from '@rsky/test-vectors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SpooledBlocks } from '../src/block-spool.ts'
import {
  MirrorError,
  type MirrorStore,
  openVerifiedRepo,
  PostgresMirrorStore,
  readVerifiedRepo,
  SqliteMirrorStore,
} from '../src/index.ts'
import { carOf, keysOf, makeAccount, type TestAccount } from './fixtures.ts'

const DID = 'did:plc:spool000000000000000000'
let account: TestAccount
let car: Uint8Array
let dir: string

beforeAll(async () => {
  account = await makeAccount(DID, 300, '1f0e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0')
  car = await carOf(account)
  dir = mkdtempSync(join(tmpdir(), 'rsky-mirror-spool-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The CAR in chunks of 1 KiB, as a network would hand it over. */
async function* chunks(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += 1024) yield bytes.subarray(i, i + 1024)
}

function plain(r: { collection: string; rkey: string; cid: { toString(): string }; record: Uint8Array }) {
  return { collection: r.collection, rkey: r.rkey, cid: r.cid.toString(), record: [...r.record] }
}

describe('SpooledBlocks and openVerifiedRepo', () => {
  it('gives the same records with everything in memory, nothing in memory, or a budget between', async () => {
    const expected = (await readVerifiedRepo({ did: DID, car: chunks(car), keys: keysOf(account) })).records
    expect(expected).toHaveLength(300)
    for (const memoryBytes of [0, 4096, car.length / 2, Number.MAX_SAFE_INTEGER]) {
      const repo = await openVerifiedRepo({
        did: DID,
        car: chunks(car),
        keys: keysOf(account),
        memoryBytes,
        spoolDir: dir,
      })
      try {
        if (memoryBytes === 0) expect(repo.spooledBytes).toBeGreaterThan(car.length * 0.9)
        if (memoryBytes === Number.MAX_SAFE_INTEGER) expect(repo.spooledBytes).toBe(0)
        // iterable again until closed, and the same each time
        expect([...repo.records].map(plain)).toEqual(expected.map(plain))
        expect([...repo.records].length).toBe(300)
      } finally {
        repo.close()
      }
    }
    // the spool file was unlinked as soon as it was opened
    expect(readdirSync(dir)).toEqual([])
  })

  it('finds every block by CID and nothing else, from memory and from the file alike', async () => {
    const { blocks } = readCar(car)
    const spooled = await SpooledBlocks.fromStream(chunks(car), { memoryBytes: 2048, spoolDir: dir })
    try {
      expect(spooled.spooled).toBe(true)
      expect(spooled.size).toBe(blocks.size)
      for (const [cid, bytes] of blocks.entries()) expect(spooled.get(cid)).toEqual(bytes)
      const other = (await makeAccount('did:plc:other0000000000000000000', 1)).repo.cid
      expect(spooled.indexOf(other)).toBe(-1)
    } finally {
      spooled.close()
    }
  })

  it('keeps one copy of a block the CAR holds twice, in memory and in the file', async () => {
    const { roots, blocks } = readCar(car)
    const once = [...blocks.entries()].map(([cid, bytes]) => ({ cid, bytes }))
    // every block twice: the second half repeats the first, so each duplicate meets its first
    // copy both while the table is filling and (with a small budget) from the spool file
    const twice = writeCar(roots, [...once, ...once])
    const expected = (await readVerifiedRepo({ did: DID, car, keys: keysOf(account) })).records
    for (const memoryBytes of [0, 2048, Number.MAX_SAFE_INTEGER]) {
      const spooled = await SpooledBlocks.fromStream(chunks(twice), { memoryBytes, spoolDir: dir })
      try {
        expect(spooled.size).toBe(blocks.size)
        for (const [cid, bytes] of blocks.entries()) expect(spooled.get(cid)).toEqual(bytes)
      } finally {
        spooled.close()
      }
      const repo = await openVerifiedRepo({
        did: DID,
        car: chunks(twice),
        keys: keysOf(account),
        memoryBytes,
      })
      try {
        expect([...repo.records].map(plain)).toEqual(expected.map(plain))
      } finally {
        repo.close()
      }
    }
  })

  it('refuses a bad budget', async () => {
    await expect(SpooledBlocks.fromStream(chunks(car), { memoryBytes: -1 })).rejects.toThrow(RangeError)
  })
})

/** The CAR without one record block: the walk fails at that record, after writing the ones before. */
function missingRecordCar(): Uint8Array {
  const { roots, blocks } = readCar(car)
  const records = [...blocks.cids()].filter((c) => c.code === 0x71 && !c.equals(roots[0]))
  const drop = records[Math.floor(records.length / 2)]
  const kept = [...blocks.entries()].filter(([c]) => !c.equals(drop))
  return writeCar(
    roots,
    kept.map(([cid, bytes]) => ({ cid, bytes })),
  )
}

async function storeContract(name: string, open: () => Promise<MirrorStore>): Promise<void> {
  describe(`completeBackfill streaming: ${name}`, () => {
    it('writes every record with its bytes, and the change feed in key order', async () => {
      const store = await open()
      try {
        await store.addRepos([DID])
        const repo = await openVerifiedRepo({
          did: DID,
          car: chunks(car),
          keys: keysOf(account),
          memoryBytes: 0,
        })
        try {
          const out = await store.completeBackfill(repo)
          expect(out).toEqual({ applied: 0, skipped: 0, chainBreak: false })
        } finally {
          repo.close()
        }
        const expected = (await readVerifiedRepo({ did: DID, car, keys: keysOf(account) })).records
        const held = []
        for await (const r of store.records({ did: DID })) held.push(r)
        expect(held.map((r) => `${r.collection}/${r.rkey} ${r.cid}`)).toEqual(
          expected.map((r) => `${r.collection}/${r.rkey} ${r.cid}`),
        )
        for (const r of [expected[0], expected[137], expected[299]]) {
          const got = await store.getRecord(DID, r!.collection, r!.rkey)
          expect(got?.cid).toBe(r!.cid.toString())
          expect([...(got?.value ?? [])]).toEqual([...r!.record])
        }
        const changes = await store.readChanges(0, 1000)
        expect(changes[0]?.action).toBe('reset')
        expect(changes.slice(1).map((c) => `${c.action} ${c.collection}/${c.rkey} ${c.cid}`)).toEqual(
          expected.map((r) => `create ${r.collection}/${r.rkey} ${r.cid}`),
        )
        expect((await store.mirrorRepo(DID))?.phase).toBe('active')
      } finally {
        await store.close()
      }
    })

    it('a record missing mid-stream rolls everything back: the records held before stay, nothing new', async () => {
      const store = await open()
      try {
        await store.addRepos([DID])
        const first = await readVerifiedRepo({ did: DID, car, keys: keysOf(account) })
        await store.completeBackfill({ ...first, records: first.records.slice(0, 10) })
        const repo = await openVerifiedRepo({
          did: DID,
          car: chunks(missingRecordCar()),
          keys: keysOf(account),
          memoryBytes: 0,
        })
        let err: unknown
        try {
          await store.completeBackfill(repo)
        } catch (e) {
          err = e
        } finally {
          repo.close()
        }
        expect(err).toBeInstanceOf(MirrorError)
        expect((err as MirrorError).code).toBe('BAD_REPO')
        const held = []
        for await (const r of store.records({ did: DID })) held.push(r)
        expect(held).toHaveLength(10)
        expect((await store.status()).records).toBe(10)
      } finally {
        await store.close()
      }
    })

    it('commits buffered while pending are applied after the records, and the state follows them', async () => {
      const store = await open()
      try {
        await store.addRepos([DID])
        const repo = await readVerifiedRepo({ did: DID, car, keys: keysOf(account) })
        const gone = repo.records[5] as (typeof repo.records)[number]
        const next = {
          seq: 1,
          did: DID,
          rev: `${repo.rev}1`,
          since: repo.rev,
          data: gone.cid, // any CID: the store takes the verified commit's word for its tree
          prevData: repo.data,
          changes: [
            {
              action: 'delete' as const,
              collection: gone.collection,
              rkey: gone.rkey,
              cid: null,
              record: null,
            },
          ],
        }
        expect(await store.applyCommit(next, 's')).toBe('buffered')
        expect(await store.completeBackfill(repo)).toEqual({ applied: 1, skipped: 0, chainBreak: false })
        let row = await store.mirrorRepo(DID)
        expect([row?.phase, row?.rev, row?.data?.toString()]).toEqual([
          'active',
          next.rev,
          gone.cid.toString(),
        ])
        expect(await store.getRecord(DID, gone.collection, gone.rkey)).toBeUndefined()
        expect((await store.status()).records).toBe(299)

        // a buffered commit that does not follow: the records are written, the repository goes
        // back to pending at the backfilled state
        await store.requestResync(DID, 's', 2)
        const stray = { ...next, seq: 3, rev: `${repo.rev}2`, since: 'elsewhere' }
        expect(await store.applyCommit(stray, 's')).toBe('buffered')
        expect(await store.completeBackfill(repo)).toEqual({ applied: 0, skipped: 0, chainBreak: true })
        row = await store.mirrorRepo(DID)
        expect([row?.phase, row?.rev, row?.data?.toString()]).toEqual([
          'pending',
          repo.rev,
          repo.data.toString(),
        ])
        expect((await store.status()).records).toBe(300)
      } finally {
        await store.close()
      }
    })
  })
}

let n = 0
storeContract('SQLite (background checkpoints)', async () =>
  SqliteMirrorStore.open(join(dir, `s${n++}.db`), { changeFeed: true, backgroundCheckpoint: true }),
)
storeContract('SQLite', async () => SqliteMirrorStore.open(join(dir, `s${n++}.db`), { changeFeed: true }))

let pg: TestDatabase | undefined
afterAll(async () => pg?.drop())
storeContract('Postgres', async () => {
  pg ??= await createTestDatabase('rsky_mirror_spool')
  const c = await PostgresMirrorStore.connect(pg.url, { changeFeed: true })
  await c.pool.query('TRUNCATE mirror_record, mirror_change, mirror_repo, mirror_buffer')
  return c
})

describe('background checkpoints', () => {
  it('a store reopened after close holds what was written', async () => {
    const path = join(dir, 'ck.db')
    const a = SqliteMirrorStore.open(path, { backgroundCheckpoint: true })
    a.addRepos([DID])
    const repo = await readVerifiedRepo({ did: DID, car, keys: keysOf(account) })
    a.completeBackfill(repo)
    a.close()
    const b = SqliteMirrorStore.open(path)
    expect(b.status().records).toBe(300)
    b.close()
  })

  it('the closing checkpoint runs on the checkpoint thread, and a process ending by itself waits for it', () => {
    // close() leaves SQLite's closing checkpoint to the checkpoint thread's connection; the process
    // must not end before that thread has closed it, or the WAL would be left behind
    const path = join(dir, 'ck-exit.db')
    const index = fileURLToPath(new URL('../src/index.ts', import.meta.url))
    const script = `
      const { SqliteMirrorStore } = await import(${JSON.stringify(index)})
      const s = SqliteMirrorStore.open(process.argv[1], { backgroundCheckpoint: true })
      // written over about half a second, so the checkpoint thread has its connection open
      for (let k = 0; k < 20; k++) {
        s.addRepos(Array.from({ length: 1000 }, (_, i) => 'did:web:h' + k + '-' + i + '.example.com'))
        await new Promise((r) => setTimeout(r, 25))
      }
      s.close()`
    const r = spawnSync(
      process.execPath,
      ['--conditions=source', '--no-warnings', '--input-type=module', '-e', script, path],
      { encoding: 'utf8', timeout: 60_000 },
    )
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(existsSync(`${path}-wal`)).toBe(false)
    const b = SqliteMirrorStore.open(path)
    expect(b.status().repos.pending).toBe(20000)
    b.close()
  })
})
