import * as ipldCbor from '@ipld/dag-cbor'
import { sha256 } from '@noble/hashes/sha2.js'
import { readCar, writeCar } from '@rsky/car'
import { type Cid, encode, encodeWithCid } from '@rsky/dag-cbor'
import { toMultiformatsCid } from '@rsky/dag-cbor/multiformats'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  openSpaceCar,
  RepoCommit,
  type SignedCommit,
  SpaceCarError,
  type SpaceCarRecord,
  serializeSpaceRecord,
  signedCommitToLex,
  verifySpaceCar,
  verifySpaceCarFull,
  writeSpaceCar,
} from '../src/index.ts'
import { RSKY_AUTHOR, RSKY_SPACE, rskyAuthorKey, rskyCommit, rskyCtx, rskyRecords } from './fixtures.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const params = () => ({ space: RSKY_SPACE, author: RSKY_AUTHOR, didKey: rskyAuthorKey().did() })

/** Builds a CAR block by block, for inputs the writer would never produce. */
function rawCar(roots: Cid[], blocks: { cid: Cid; bytes: Uint8Array }[]): Uint8Array {
  return writeCar(roots, blocks)
}

function parts(commit: SignedCommit, records: SpaceCarRecord[], index?: Record<string, unknown>) {
  const commitBlock = encodeWithCid(signedCommitToLex(commit))
  const idx: Record<string, Cid> = {}
  for (const r of records) idx[`${r.collection}/${r.rkey}`] = r.cid
  const indexBlock = encodeWithCid((index ?? idx) as never)
  return { commitBlock, indexBlock, recordBlocks: records.map((r) => ({ cid: r.cid, bytes: r.bytes })) }
}

async function expectCarError(p: Promise<unknown>, code: string): Promise<SpaceCarError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(SpaceCarError)
  expect((err as SpaceCarError).code).toBe(code)
  return err as SpaceCarError
}

describe('space CAR round trips', () => {
  it("reproduces rsky-space's golden CAR byte for byte", async () => {
    const records = rskyRecords()
    const car = await writeSpaceCar({ commit: await rskyCommit(records), records })
    expect(hex(sha256(car))).toBe('b1e702230790c5bcad45e910f74891a76def02764ddb6d434e18e517e5d68a60')
  })

  it('verifies what it writes: roots, commit, index, records and values', async () => {
    const records = rskyRecords()
    const commit = await rskyCommit(records)
    const car = await writeSpaceCar({ commit, records })
    const { roots, blocks } = readCar(car)
    expect(roots).toHaveLength(2)
    expect(blocks.size).toBe(5)
    const out = await verifySpaceCarFull(car, params())
    expect(out.order).toBe('canonical')
    expect(out.commit).toEqual(commit)
    expect(out.index.size).toBe(3)
    expect(out.repo.matches(commit)).toBe(true)
    expect(out.records.map((r) => `${r.collection}/${r.rkey}`)).toEqual([...out.index.keys()])
    expect(out.records[1]!.record).toEqual({ text: 'post one' })
    expect(out.records.every((r, i) => r.cid.equals(records[i]!.cid))).toBe(true)
  })

  it('writes an empty repo and an index-only CAR', async () => {
    const empty = await writeSpaceCar({ commit: await rskyCommit([]), records: [] })
    const e = await verifySpaceCarFull(empty, params())
    expect(e.records).toHaveLength(0)
    expect(e.repo.setHash.isEmpty()).toBe(true)

    const records = rskyRecords()
    const commit = await rskyCommit(records)
    const indexOnly = await writeSpaceCar({ commit, records, excludeValues: true })
    const v = await verifySpaceCarFull(indexOnly, { ...params(), expectValues: false })
    expect(v.records).toHaveLength(0)
    expect(v.index.size).toBe(3)
    await expectCarError(verifySpaceCarFull(indexOnly, params()), 'MissingRecord')
    // Index-only mode still checks records that are present.
    const full = await writeSpaceCar({ commit, records })
    expect((await verifySpaceCarFull(full, { ...params(), expectValues: false })).records).toHaveLength(3)
  })

  it('reads a CAR delivered one byte at a time', async () => {
    const records = rskyRecords()
    const car = await writeSpaceCar({ commit: await rskyCommit(records), records })
    const chunks = Array.from(car, (b) => new Uint8Array([b]))
    expect((await verifySpaceCarFull(chunks, params())).records).toHaveLength(3)
  })

  it('writes the index block as canonical DAG-CBOR (differential: @ipld/dag-cbor)', async () => {
    const records = [
      serializeSpaceRecord('app.bsky.feed.post', '3kbcq3p7ad401', { text: 'hello' }),
      serializeSpaceRecord('app.bsky.feed.like', '3kbcq3p7ad403', { subject: 'at://x' }),
      serializeSpaceRecord('app.bsky.graph.follow', 'a', { n: 1 }),
      serializeSpaceRecord('app.bsky.feed.post', 'z', { text: 'world' }),
    ]
    const car = await writeSpaceCar({ commit: await rskyCommit(records), records })
    const { blocks } = readCar(car)
    const ours = [...blocks][1]![1]
    const map: Record<string, unknown> = {}
    for (const r of records) map[`${r.collection}/${r.rkey}`] = toMultiformatsCid(r.cid)
    expect(hex(ours)).toBe(hex(ipldCbor.encode(map)))
  })

  it('refuses two records at one path', async () => {
    const r = rskyRecords()
    await expect(writeSpaceCar({ commit: await rskyCommit(r), records: [...r, r[0]!] })).rejects.toThrow(
      RangeError,
    )
  })
})

describe("rsky's lexicographic record order", () => {
  // Paths of different lengths, so the two orders disagree.
  const mixed = (): SpaceCarRecord[] => [
    serializeSpaceRecord('app.bsky.feed.post', '3kbcq3p7ad401', { text: 'a' }),
    serializeSpaceRecord('app.bsky.feed.like', 'b', { text: 'b' }),
    serializeSpaceRecord('app.bsky.actor.profile', 'self', { text: 'c' }),
    serializeSpaceRecord('app.bsky.feed.post', '3kbcq3p7ad402', { text: 'd' }),
  ]

  it('reads both orders and flags the lexicographic one', async () => {
    const records = mixed()
    const commit = await rskyCommit(records)
    const canonical = await verifySpaceCarFull(await writeSpaceCar({ commit, records }), params())
    const lex = await verifySpaceCarFull(
      await writeSpaceCar({ commit, records, order: 'lexicographic' }),
      params(),
    )
    expect(canonical.order).toBe('canonical')
    expect(lex.order).toBe('lexicographic')
    const paths = (rs: typeof lex.records) => rs.map((r) => `${r.collection}/${r.rkey}`)
    expect(paths(canonical.records)).toEqual([
      'app.bsky.feed.like/b',
      'app.bsky.actor.profile/self',
      'app.bsky.feed.post/3kbcq3p7ad401',
      'app.bsky.feed.post/3kbcq3p7ad402',
    ])
    expect(paths(lex.records)).toEqual([
      'app.bsky.actor.profile/self',
      'app.bsky.feed.like/b',
      'app.bsky.feed.post/3kbcq3p7ad401',
      'app.bsky.feed.post/3kbcq3p7ad402',
    ])
    expect(new Set(paths(lex.records))).toEqual(new Set(paths(canonical.records)))
  })

  it('the documented ambiguity: duplicate CIDs at the point where the orders diverge', async () => {
    // canonical: b, c, aa (CIDs X, Y, X); lexicographic: aa, b, c (X, X, Y).
    const records = [
      serializeSpaceRecord('a.b.c', 'aa', { v: 'X' }),
      serializeSpaceRecord('a.b.c', 'b', { v: 'X' }),
      serializeSpaceRecord('a.b.c', 'c', { v: 'Y' }),
    ]
    const commit = await rskyCommit(records)
    expect((await verifySpaceCarFull(await writeSpaceCar({ commit, records }), params())).order).toBe(
      'canonical',
    )
    // The rsky-ordered CAR is read as canonical at the first block, then refused: never accepted wrongly.
    const lex = await writeSpaceCar({ commit, records, order: 'lexicographic' })
    await expectCarError(verifySpaceCarFull(lex, params()), 'RecordOrder')
  })

  it('rejects a mix of the two orders', async () => {
    const records = mixed()
    const commit = await rskyCommit(records)
    const { commitBlock, indexBlock } = parts(commit, records)
    const byPath = new Map(records.map((r) => [`${r.collection}/${r.rkey}`, r]))
    // Starts lexicographic, then continues in an order neither writer uses.
    const order = [
      'app.bsky.actor.profile/self',
      'app.bsky.feed.like/b',
      'app.bsky.feed.post/3kbcq3p7ad402',
      'app.bsky.feed.post/3kbcq3p7ad401',
    ]
    const car = rawCar(
      [commitBlock.cid, indexBlock.cid],
      [commitBlock, indexBlock, ...order.map((p) => byPath.get(p)!)],
    )
    const err = await expectCarError(verifySpaceCarFull(car, params()), 'RecordOrder')
    expect(err.path).toBe('app.bsky.feed.post/3kbcq3p7ad401')
  })
})

describe('hostile space CARs', () => {
  const setup = async () => {
    const records = rskyRecords()
    const commit = await rskyCommit(records)
    return { records, commit, ...parts(commit, records) }
  }

  it('wrong root counts', async () => {
    const { commitBlock, indexBlock, recordBlocks } = await setup()
    for (const roots of [[commitBlock.cid], [commitBlock.cid, indexBlock.cid, commitBlock.cid], []]) {
      await expectCarError(
        openSpaceCar(rawCar(roots, [commitBlock, indexBlock, ...recordBlocks])),
        'RootCount',
      )
    }
  })

  it('commit block missing, misplaced or not a commit', async () => {
    const { commitBlock, indexBlock } = await setup()
    await expectCarError(openSpaceCar(rawCar([commitBlock.cid, indexBlock.cid], [])), 'MissingCommit')
    await expectCarError(
      openSpaceCar(rawCar([commitBlock.cid, indexBlock.cid], [indexBlock])),
      'CommitMismatch',
    )
    const notCommit = encodeWithCid('not a commit')
    await expectCarError(openSpaceCar(rawCar([notCommit.cid, indexBlock.cid], [notCommit])), 'InvalidCommit')
    const badFields = encodeWithCid({ ver: 1, hash: new Uint8Array(3), ikm: 'x', sig: 1, mac: null, rev: 2 })
    await expectCarError(openSpaceCar(rawCar([badFields.cid, indexBlock.cid], [badFields])), 'InvalidCommit')
  })

  it('commit that fails verification (wrong space, author, key, version)', async () => {
    const records = rskyRecords()
    const car = await writeSpaceCar({ commit: await rskyCommit(records), records })
    await expectCarError(verifySpaceCar(car, { ...params(), space: `${RSKY_SPACE}x` }), 'CommitVerification')
    await expectCarError(verifySpaceCar(car, { ...params(), author: 'did:plc:other' }), 'CommitVerification')
    const other = (await import('@rsky/crypto')).Secp256k1Keypair.import(new Uint8Array(32).fill(0x33))
    await expectCarError(verifySpaceCar(car, { ...params(), didKey: other.did() }), 'CommitVerification')
    const v2 = await writeSpaceCar({ commit: { ...(await rskyCommit(records)), ver: 2 }, records })
    await expectCarError(verifySpaceCar(v2, params()), 'CommitVerification')
  })

  it('index block missing, misplaced, malformed or not matching the hash', async () => {
    const { commit, commitBlock, indexBlock, records, recordBlocks } = await setup()
    const open = async (car: Uint8Array) => {
      const c = await openSpaceCar(car)
      return c.readIndex(commit.hash)
    }
    await expectCarError(open(rawCar([commitBlock.cid, indexBlock.cid], [commitBlock])), 'MissingIndex')
    await expectCarError(
      open(rawCar([commitBlock.cid, indexBlock.cid], [commitBlock, commitBlock])),
      'IndexMismatch',
    )
    for (const bad of [
      'not an index',
      [1, 2],
      { 'app.bsky.feed.post/1': 'not-a-cid' },
      { noslash: records[0]!.cid },
      { 'a/b/c': records[0]!.cid },
    ]) {
      const b = encodeWithCid(bad as never)
      await expectCarError(open(rawCar([commitBlock.cid, b.cid], [commitBlock, b])), 'InvalidIndex')
    }
    // An index over two of the three records the commit covers.
    const short = parts(commit, records.slice(0, 2))
    await expectCarError(
      open(rawCar([commitBlock.cid, short.indexBlock.cid], [commitBlock, short.indexBlock, ...recordBlocks])),
      'IndexHashMismatch',
    )
    // A tampered index block under the honest index CID.
    const forged = encode({ 'x.y.z/1': records[0]!.cid })
    await expectCarError(
      open(rawCar([commitBlock.cid, indexBlock.cid], [commitBlock, { cid: indexBlock.cid, bytes: forged }])),
      'IndexMismatch',
    )
  })

  it('caps the number of index entries', async () => {
    const { commitBlock, indexBlock, recordBlocks, commit } = await setup()
    const car = await openSpaceCar(
      rawCar([commitBlock.cid, indexBlock.cid], [commitBlock, indexBlock, ...recordBlocks]),
      {
        maxRecords: 2,
      },
    )
    await expectCarError(car.readIndex(commit.hash), 'InvalidIndex')
  })

  it('records flipped, reordered, missing, trailing, undecodable', async () => {
    const { commitBlock, indexBlock, recordBlocks, records } = await setup()
    const roots = [commitBlock.cid, indexBlock.cid]
    const run = (blocks: { cid: Cid; bytes: Uint8Array }[]) =>
      verifySpaceCarFull(rawCar(roots, [commitBlock, indexBlock, ...blocks]), params())
    const flipped = recordBlocks.map((b, i) =>
      i === 1 ? { cid: b.cid, bytes: Uint8Array.from(b.bytes, (x, j) => (j === 0 ? x ^ 0xff : x)) } : b,
    )
    const e1 = await expectCarError(run(flipped), 'RecordHashMismatch')
    expect(e1.path).toBe(`${records[1]!.collection}/${records[1]!.rkey}`)
    expect(e1.blockIndex).toBe(3)
    await expectCarError(run([recordBlocks[1]!, recordBlocks[0]!, recordBlocks[2]!]), 'RecordOrder')
    const e3 = await expectCarError(run(recordBlocks.slice(0, 2)), 'MissingRecord')
    expect(e3.path).toBe(`${records[2]!.collection}/${records[2]!.rkey}`)
    const stowaway = serializeSpaceRecord('x.y.z', 'a', { text: 'stowaway' })
    await expectCarError(run([...recordBlocks, stowaway]), 'TrailingBlock')
    await expectCarError(run([recordBlocks[0]!, stowaway, recordBlocks[2]!]), 'RecordHashMismatch')
    // Bytes that hash to their CID but are not DAG-CBOR (a raw CID in the index).
    const junk = new Uint8Array([0xff, 0x00])
    const raw = (await import('@rsky/dag-cbor')).cidForRaw(junk)
    const junkRecords = [{ collection: 'x.y.z', rkey: 'a', cid: raw, bytes: junk }]
    const junkCommit = await rskyCommit(junkRecords)
    await expectCarError(
      verifySpaceCarFull(await writeSpaceCar({ commit: junkCommit, records: junkRecords }), params()),
      'InvalidRecord',
    )
    const noDecode = await verifySpaceCar(await writeSpaceCar({ commit: junkCommit, records: junkRecords }), {
      ...params(),
      decodeRecords: false,
    })
    for await (const r of noDecode.records) expect(r.record).toBeUndefined()
  })

  it('truncated CARs raise, never end quietly', async () => {
    const records = rskyRecords()
    const car = await writeSpaceCar({ commit: await rskyCommit(records), records })
    for (const cut of [3, 60, car.length - 200, car.length - 1]) {
      const err = await verifySpaceCarFull(car.subarray(0, cut), params()).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err, `cut=${cut}`).toBeInstanceOf(SpaceCarError)
    }
  })

  it('releases the source when it fails or is abandoned', async () => {
    const records = rskyRecords()
    const car = await writeSpaceCar({ commit: await rskyCommit(records), records })
    const tracked = () => {
      const state = { closed: false }
      async function* chunks() {
        try {
          for (let i = 0; i < car.length; i += 64) yield car.subarray(i, i + 64)
        } finally {
          state.closed = true
        }
      }
      return { state, source: chunks() }
    }
    const a = tracked()
    await expectCarError(
      verifySpaceCar(a.source, { ...params(), author: 'did:plc:other' }),
      'CommitVerification',
    )
    expect(a.state.closed).toBe(true)
    const b = tracked()
    const v = await verifySpaceCar(b.source, params())
    for await (const _ of v.records) break
    expect(b.state.closed).toBe(true)
    const c = tracked()
    const opened = await openSpaceCar(c.source)
    await expectCarError(opened.readIndex(new Uint8Array(32)), 'IndexHashMismatch')
    expect(c.state.closed).toBe(true)
  })

  it('enforces the stage order', async () => {
    const { commitBlock, indexBlock, recordBlocks, commit } = await setup()
    const car = await openSpaceCar(
      rawCar([commitBlock.cid, indexBlock.cid], [commitBlock, indexBlock, ...recordBlocks]),
    )
    await expectCarError(car.records().next(), 'StageOrder')
    await car.readIndex(commit.hash)
    await expectCarError(car.readIndex(commit.hash), 'StageOrder')
  })
})

describe('space CAR properties', () => {
  const repoArb = fc.uniqueArray(
    fc.record({
      collection: fc.constantFrom('app.bsky.feed.post', 'app.bsky.feed.like', 'com.example.x', 'a.b.c'),
      rkey: fc.stringMatching(/^[a-z0-9]{1,14}$/),
    }),
    { minLength: 2, maxLength: 8, selector: (r) => `${r.collection}/${r.rkey}` },
  )
  const build = async (paths: { collection: string; rkey: string }[]) => {
    const records = paths.map((p, i) => serializeSpaceRecord(p.collection, p.rkey, { i }))
    const commit = await rskyCommit(records)
    return { records, commit, ...parts(commit, records) }
  }

  it('round-trips any repo, in either order', async () => {
    await fc.assert(
      fc.asyncProperty(
        repoArb,
        fc.constantFrom('canonical' as const, 'lexicographic' as const),
        async (paths, order) => {
          const { records, commit } = await build(paths)
          const out = await verifySpaceCarFull(await writeSpaceCar({ commit, records, order }), params())
          expect(out.records).toHaveLength(records.length)
          expect(RepoCommit.fromRecords(out.records).matches(commit)).toBe(true)
        },
      ),
      { seed: 42, numRuns: 60 },
    )
  })

  it('rejects a CAR with one flipped, reordered, missing or trailing record', async () => {
    await fc.assert(
      fc.asyncProperty(
        repoArb,
        fc.constantFrom('flip', 'swap', 'drop', 'trail'),
        fc.nat(),
        fc.nat(),
        async (paths, kind, a, b) => {
          const { records, commitBlock, indexBlock } = await build(paths)
          const written = readCar(await writeSpaceCar({ commit: await rskyCommit(records), records }))
          const blocks = [...written.blocks].slice(2).map(([cid, bytes]) => ({ cid, bytes }))
          // BlockMap dedupes, but every record here has distinct content.
          expect(blocks).toHaveLength(records.length)
          const i = a % blocks.length
          let j = b % blocks.length
          if (kind === 'flip') {
            const bytes = blocks[i]!.bytes.slice()
            const at = b % bytes.length
            bytes[at] = bytes[at]! ^ (1 << (a % 8))
            blocks[i] = { cid: blocks[i]!.cid, bytes }
          } else if (kind === 'swap') {
            if (j === i) j = (i + 1) % blocks.length
            ;[blocks[i], blocks[j]] = [blocks[j]!, blocks[i]!]
          } else if (kind === 'drop') {
            blocks.splice(i, 1)
          } else {
            blocks.push(serializeSpaceRecord('z.z.z', 'trailing', { a }))
          }
          const car = rawCar([commitBlock.cid, indexBlock.cid], [commitBlock, indexBlock, ...blocks])
          const result: Awaited<ReturnType<typeof verifySpaceCarFull>> | Error = await verifySpaceCarFull(
            car,
            params(),
          ).then(
            (v) => v,
            (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
          )
          if (kind === 'swap' && !(result instanceof Error)) {
            // A swap that happens to produce rsky's order is a valid CAR, flagged as such.
            expect(result.order).toBe('lexicographic')
            return
          }
          expect(result).toBeInstanceOf(SpaceCarError)
        },
      ),
      { seed: 42, numRuns: 200 },
    )
  })
})

describe('RepoCommit with a CAR', () => {
  it('index folds to the same hash as the records, and sign() round-trips', async () => {
    const records = rskyRecords()
    const repo = RepoCommit.fromRecords(records)
    const commit = await repo.sign(rskyCtx, rskyAuthorKey())
    const out = await verifySpaceCarFull(await writeSpaceCar({ commit, records }), params())
    expect(out.repo.setHash.equals(repo.setHash)).toBe(true)
    expect(RepoCommit.fromIndex(Object.fromEntries(out.index)).setHash.equals(repo.setHash)).toBe(true)
  })
})
