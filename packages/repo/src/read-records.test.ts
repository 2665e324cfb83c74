// readRepoRecords: one call from a repository CAR to its verified records in key order, checked
// against @atproto/repo's record listing on the sample repositories and on generated ones, over
// bytes and streams, with a table of hostile repositories. iterateRepoRecords (the synchronous
// reader of bytes) is run beside it everywhere bytes are read and must agree row for row and
// error for error.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as atCbor from '@atproto/lex-cbor'
import * as at from '@atproto/repo'
import { CarError, iterateCar, readCar, writeCar } from '@rsky/car'
import { Secp256k1Keypair } from '@rsky/crypto'
import { cidForCbor, encode, type LexValue } from '@rsky/dag-cbor'
import { heightForKey } from '@rsky/mst'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeCommit, signCommit } from './commit.ts'
import { exportRepoCarBytes } from './export.ts'
import { iterateRepoRecords, type RepoRecordEntry, readRepoRecords } from './read-records.ts'
import { Repo } from './repo.ts'
import { MemoryRepoStorage } from './storage.ts'

const reposDir = join(import.meta.dirname, '../../../test-vectors/repos')
interface SampleRepoSpec {
  file: string
  did: string
  key: string
  records: number
}
const SAMPLE_REPOS = JSON.parse(readFileSync(join(reposDir, 'samples.json'), 'utf8')) as SampleRepoSpec[]

interface Row {
  key: string
  cid: string
  bytes: string
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

const row = (e: RepoRecordEntry): Row => ({
  key: `${e.collection}/${e.rkey}`,
  cid: e.cid.toString(),
  bytes: hex(encode(e.record)),
})

/** readRepoRecords' rows; over bytes, checked to equal iterateRepoRecords' rows. */
async function ours(car: Uint8Array | ReadableStream<Uint8Array>, opts = {}): Promise<Row[]> {
  const rows: Row[] = []
  for await (const e of readRepoRecords(car, opts)) rows.push(row(e))
  if (car instanceof Uint8Array) expect(Array.from(iterateRepoRecords(car, opts), row)).toEqual(rows)
  return rows
}

/** The reference's listing: readCarWithRoot, Repo.load, walkRecords; records re-encoded to compare. */
async function reference(car: Uint8Array): Promise<Row[]> {
  const { root, blocks } = await at.readCarWithRoot(car)
  const repo = await at.Repo.load(new at.MemoryBlockstore(blocks), root)
  const rows: Row[] = []
  for await (const r of repo.walkRecords())
    rows.push({
      key: `${r.collection}/${r.rkey}`,
      cid: r.cid.toString(),
      bytes: hex(atCbor.encode(r.record as atCbor.LexValue)),
    })
  return rows
}

function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close()
      controller.enqueue(bytes.slice(at, at + size))
      at += size
    },
  })
}

const sample = (spec: SampleRepoSpec): Uint8Array => new Uint8Array(readFileSync(join(reposDir, spec.file)))

describe('readRepoRecords on the sample repositories', () => {
  it.each(SAMPLE_REPOS.map((s) => [s.file, s] as const))(
    '%s: the same records as @atproto/repo',
    async (_f, spec) => {
      const car = sample(spec)
      const got = await ours(car, { did: spec.did, key: spec.key })
      expect(got).toHaveLength(spec.records)
      expect(got).toEqual(await reference(car))
      // in key order, and each record's encoding hashes to its CID (checked by the reference's CIDs above)
      expect(got.map((r) => r.key)).toEqual(got.map((r) => r.key).sort())
    },
  )

  it('over a web ReadableStream in odd-sized chunks: the same answer', async () => {
    const spec = SAMPLE_REPOS[1]!
    const car = sample(spec)
    expect(await ours(chunked(car, 7919), { key: spec.key })).toEqual(await ours(car))
  })

  it('collection: only that collection, the same rows as filtering the full listing', async () => {
    const spec = SAMPLE_REPOS[0]!
    const car = sample(spec)
    const all = await ours(car)
    const collections = [...new Set(all.map((r) => r.key.slice(0, r.key.indexOf('/'))))]
    expect(collections.length).toBeGreaterThan(1)
    for (const collection of [...collections, 'a.a.a', 'zzz.zzz.zzz', 'app.bsky.feed']) {
      const want = all.filter((r) => r.key.startsWith(`${collection}/`))
      expect(await ours(car, { collection })).toEqual(want)
    }
  })

  it('yields { collection, rkey, cid, record } with the record decoded', async () => {
    const spec = SAMPLE_REPOS[0]!
    const first = (await readRepoRecords(sample(spec)).next()).value as RepoRecordEntry
    expect(Object.keys(first).sort()).toEqual(['cid', 'collection', 'record', 'rkey'])
    expect(first.collection).toMatch(/^[a-z]+(\.[a-z]+)+$/i)
    expect(typeof first.record['$type']).toBe('string')
  })
})

const keypair = Secp256k1Keypair.import('5c0e8a3b9d1f4e7a2c6b8d0f3e5a7c9b1d4f6a8c0e2b4d6f8a1c3e5b7d9f0a2c')
const other = Secp256k1Keypair.import('6d1f9b4c0e2a5f8b3d7c9e1a4f6b8d0c2e5a7f9b1d3c5e7a9f2b4d6c8e0a1f3b')
const did = 'did:plc:readrecordstestaaaaaaaaa'

async function smallCar(n = 60): Promise<Uint8Array> {
  const storage = new MemoryRepoStorage()
  const writes = Array.from({ length: n }, (_, i) => ({
    action: 'create' as const,
    collection: i % 3 === 0 ? 'app.bsky.feed.like' : 'app.bsky.feed.post',
    rkey: `k${String(i).padStart(5, '0')}`,
    record: { text: `t${i}`, createdAt: '2026-01-01T00:00:00.000Z' },
  }))
  await Repo.create({ storage, did, keypair, writes })
  return exportRepoCarBytes(storage)
}

function layer0Keys(count: number): string[] {
  const out: string[] = []
  for (let i = 0; out.length < count; i++) {
    const k = `app.bsky.feed.post/r${i}`
    if (heightForKey(k) === 0) out.push(k)
  }
  return out
}

/** A signed commit over one hand-built tree node whose keys are all on layer 0, as a forger would. */
async function forgedCar(entries: [string, Uint8Array][]): Promise<Uint8Array> {
  for (const [k] of entries) expect(heightForKey(k)).toBe(0)
  let prev = ''
  const records = entries.map(([, bytes]) => ({ cid: cidForCbor(bytes), bytes }))
  const e: LexValue[] = entries.map(([k], i) => {
    let p = 0
    while (p < prev.length && p < k.length && prev[p] === k[p]) p++
    prev = k
    return { p, k: new TextEncoder().encode(k.slice(p)), v: records[i]!.cid, t: null }
  })
  const nodeBytes = encode({ l: null, e })
  const node = cidForCbor(nodeBytes)
  const commit = encodeCommit(
    await signCommit({ did, version: 3, data: node, rev: '3kabcdefghijk', prev: null }, keypair),
  )
  return writeCar([commit.cid], [commit, { cid: node, bytes: nodeBytes }, ...records])
}

/** The same CAR with one block replaced (or dropped when `bytes` is null). */
function rewrite(
  car: Uint8Array,
  pick: (cid: string, i: number) => boolean,
  bytes: Uint8Array | null,
): Uint8Array {
  const iter = iterateCar(car)
  const roots = iter.header.roots
  const out: { cid: (typeof roots)[number]; bytes: Uint8Array }[] = []
  let i = 0
  for (const block of iter) {
    if (pick(block.cid.toString(), i++)) {
      if (bytes !== null) out.push({ cid: block.cid, bytes })
    } else out.push(block)
  }
  return writeCar(roots, out)
}

/** How far readRepoRecords gets and how it fails; iterateRepoRecords must get as far, failing alike. */
async function drain(car: Uint8Array, opts = {}): Promise<{ yielded: number; error: unknown }> {
  let yielded = 0
  let error: unknown = null
  try {
    for await (const _ of readRepoRecords(car, opts)) yielded++
  } catch (err) {
    error = err
  }
  let syncYielded = 0
  let syncError: unknown = null
  try {
    for (const _ of iterateRepoRecords(car, opts)) syncYielded++
  } catch (err) {
    syncError = err
  }
  const shape = (e: unknown) =>
    e === null ? null : { type: (e as Error).constructor.name, message: (e as Error).message }
  expect({ yielded: syncYielded, error: shape(syncError) }).toEqual({ yielded, error: shape(error) })
  return { yielded, error }
}

describe('readRepoRecords on hostile repositories', () => {
  it('a generated repository lists every record', async () => {
    const { yielded, error } = await drain(await smallCar(), { did, key: keypair.did() })
    expect(error).toBeNull()
    expect(yielded).toBe(60)
  })

  it.each([
    [
      'signed by another key',
      async () => ({ car: await smallCar(), opts: { key: other.did() } }),
      'BAD_SIGNATURE',
      0,
    ],
    [
      'for another DID',
      async () => ({ car: await smallCar(), opts: { did: 'did:plc:other' } }),
      'DID_MISMATCH',
      0,
    ],
    [
      'a forged record block',
      async () => {
        const car = (await smallCar()).slice()
        car[car.length - 5]! ^= 1
        return { car, opts: {} }
      },
      CarError,
      0,
    ],
    ['truncated', async () => ({ car: (await smallCar()).slice(0, -40), opts: {} }), CarError, 0],
    ['no blocks at all', async () => ({ car: writeCar([], []), opts: {} }), 'BAD_CAR_ROOT', 0],
    [
      'a record block missing (after the records before it)',
      async () => {
        const car = await smallCar()
        const all: string[] = []
        for await (const e of readRepoRecords(car)) all.push(e.cid.toString())
        const victim = all[30]!
        return { car: rewrite(car, (cid) => cid === victim, null), opts: {} }
      },
      'MISSING_BLOCK',
      30,
    ],
    [
      'the root is not a commit',
      async () => {
        const car = await smallCar()
        const root = readCar(car).roots[0]!.toString()
        return { car: rewrite(car, (cid) => cid === root, null), opts: {} }
      },
      'BAD_CAR_ROOT',
      0,
    ],
  ] as const)('%s: a named error, never a partial success', async (_name, make, expected, before) => {
    const { car, opts } = await make()
    const { yielded, error } = await drain(car, opts)
    expect(error).not.toBeNull()
    if (typeof expected === 'string') expect(error).toMatchObject({ code: expected })
    else expect(error).toBeInstanceOf(expected)
    expect(yielded).toBe(before)
  })

  it('a record that is not a map: InvalidRecordError after the records before it', async () => {
    const good = encode({ $type: 'app.bsky.feed.post', text: 'ok' })
    const list = encode([1, 2, 3])
    const [a, b] = layer0Keys(2)
    const car = await forgedCar([
      [a!, good],
      [b!, list],
    ])
    const { yielded, error } = await drain(car)
    expect(error).toMatchObject({ code: 'BAD_RECORD' })
    expect(yielded).toBe(1)
  })

  it('a subtree holding a key beyond its bounds: BAD_TREE, before the misplaced record', async () => {
    // A layer-1 root with one key; its left subtree (layer 0) holds a key below it and one above
    // it. Each node is well formed on its own: only the bounds the walk passes down catch it.
    const key = (i: number) => `app.bsky.feed.post/r${i}`
    let i = 0
    while (heightForKey(key(i)) !== 1) i++
    const top = key(i)
    let below = ''
    let above = ''
    for (let j = 0; below === '' || above === ''; j++) {
      const k = key(j)
      if (heightForKey(k) !== 0) continue
      if (k < top && below === '') below = k
      if (k > top && above === '') above = k
    }
    const record = encode({ $type: 'app.bsky.feed.post', text: 'x' })
    const rec = cidForCbor(record)
    const entry = (k: string, prev: string): LexValue => {
      let p = 0
      while (p < prev.length && p < k.length && prev[p] === k[p]) p++
      return { p, k: new TextEncoder().encode(k.slice(p)), v: rec, t: null }
    }
    const leafKeys = [below, above]
    const leafBytes = encode({
      l: null,
      e: [entry(leafKeys[0]!, ''), entry(leafKeys[1]!, leafKeys[0]!)],
    })
    const leaf = cidForCbor(leafBytes)
    const rootBytes = encode({ l: leaf, e: [entry(top, '')] })
    const root = cidForCbor(rootBytes)
    const commit = encodeCommit(
      await signCommit({ did, version: 3, data: root, rev: '3kabcdefghijk', prev: null }, keypair),
    )
    const car = writeCar(
      [commit.cid],
      [commit, { cid: root, bytes: rootBytes }, { cid: leaf, bytes: leafBytes }, { cid: rec, bytes: record }],
    )
    const { yielded, error } = await drain(car)
    expect(error).toMatchObject({ code: 'BAD_TREE' })
    expect(yielded).toBe(0)
  })

  it('bad arguments are caller errors', async () => {
    const car = await smallCar(3)
    await expect(drain(car, { maxNodeEntries: 0 })).resolves.toMatchObject({ error: expect.any(RangeError) })
    await expect(drain(car, { collection: 'a/b' })).resolves.toMatchObject({ error: expect.any(TypeError) })
    expect(() => iterateRepoRecords(chunked(car, 100) as never).next()).toThrow(TypeError)
  })
})

describe('readRepoRecords against @atproto/repo on generated repositories', () => {
  it('the same listing for random creates and deletes (fast-check)', async () => {
    const rkey = fc.stringMatching(/^[a-z0-9]{1,12}$/)
    const collection = fc.constantFrom(
      'app.bsky.feed.post',
      'app.bsky.feed.like',
      'app.bsky.graph.follow',
      'z.y.x',
    )
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(collection, rkey), { maxLength: 80, selector: ([c, k]) => `${c}/${k}` }),
        async (keys) => {
          const storage = new MemoryRepoStorage()
          const writes = keys.map(([c, k], i) => ({
            action: 'create' as const,
            collection: c,
            rkey: k,
            record: { $type: c, n: i, createdAt: '2026-01-01T00:00:00.000Z' },
          }))
          await Repo.create({ storage, did, keypair, writes })
          const car = await exportRepoCarBytes(storage)
          const got = await ours(car, { did, key: keypair.did() })
          expect(got).toEqual(await reference(car))
          expect(got).toHaveLength(keys.length)
        },
      ),
      { numRuns: 25, seed: 18 },
    )
  })
})
