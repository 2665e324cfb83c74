import { CarError, type CarReadOptions, readCarStream } from '@rsky/car'
import { type Cid, decode, isCid, type LexValue } from '@rsky/dag-cbor'
import { parseRecordPath } from './address.ts'
import { bytesEqual } from './bytes.ts'
import { type RecordOrder, sortPaths } from './car-order.ts'
import { parseSignedCommit, type SignedCommit } from './commit.ts'
import { SpaceCarError } from './errors.ts'
import { RepoCommit, type RepoIndex } from './repo-commit.ts'

const DEFAULT_MAX_BLOCK_BYTES = 32 * 1024 * 1024

/** Bytes of a space CAR, whole or in chunks. */
export type CarSource =
  | Uint8Array
  | Iterable<Uint8Array>
  | AsyncIterable<Uint8Array>
  | ReadableStream<Uint8Array>

/** Caps for reading a space CAR. */
export interface SpaceCarReadOptions {
  /** Most index entries accepted (default 1,000,000). */
  maxRecords?: number
  /** Decode each record's DAG-CBOR into `record` (default true); false yields bytes only. */
  decodeRecords?: boolean
  /**
   * Caps passed to the CAR reader (block size, total size, block count). `maxBlockBytes`
   * defaults to 32 MiB here, room for an index of about 350,000 records.
   */
  car?: CarReadOptions
}

/** A record block checked against the authenticated index. */
export interface VerifiedRecord {
  readonly collection: string
  readonly rkey: string
  readonly cid: Cid
  /** The block bytes (their sha256 matches `cid`). */
  readonly bytes: Uint8Array
  /** The decoded record, unless `decodeRecords: false`. */
  readonly record: LexValue | undefined
}

interface BlockCursor {
  next(): Promise<{ cid: Cid; bytes: Uint8Array } | undefined>
  /** Stops reading and releases the source (cancels a network stream). */
  close(): Promise<void>
  count: number
}

function wrapCarError(err: unknown, blockIndex: number, path?: string): SpaceCarError {
  if (err instanceof SpaceCarError) return err
  const message = err instanceof Error ? err.message : String(err)
  if (err instanceof CarError && err.code === 'CAR_HASH_MISMATCH') {
    const code =
      blockIndex === 0 ? 'CommitMismatch' : blockIndex === 1 ? 'IndexMismatch' : 'RecordHashMismatch'
    return new SpaceCarError(
      code,
      `block bytes do not match their CID; blockIndex=${blockIndex}${path ? ` path=${path}` : ''}`,
      { blockIndex, ...(path ? { path } : {}), cause: err },
    )
  }
  return new SpaceCarError('Car', `bad CAR; blockIndex=${blockIndex} cause=${message}`, {
    blockIndex,
    cause: err,
  })
}

async function openBlocks(
  source: CarSource,
  carOpts: CarReadOptions | undefined,
): Promise<{ roots: Cid[]; cursor: BlockCursor }> {
  let roots: Cid[]
  let iterator: AsyncIterator<{ cid: Cid; bytes: Uint8Array }>
  try {
    const car = readCarStream(source, carOpts)
    roots = (await car.header).roots
    iterator = car.blocks[Symbol.asyncIterator]()
  } catch (err) {
    throw wrapCarError(err, 0)
  }
  const cursor: BlockCursor = {
    count: 0,
    async close() {
      try {
        await iterator.return?.()
      } catch {
        // The source is being abandoned; a failure to close it changes nothing for the caller.
      }
    },
    async next() {
      let r: IteratorResult<{ cid: Cid; bytes: Uint8Array }>
      try {
        r = await iterator.next()
      } catch (err) {
        throw wrapCarError(err, cursor.count)
      }
      if (r.done) return undefined
      cursor.count++
      return r.value
    },
  }
  return { roots, cursor }
}

/**
 * A space CAR opened for staged validation. Stage 1 (done by {@link openSpaceCar}): two roots,
 * first block is the commit root and parses as a signed commit. Stage 2 ({@link readIndex}):
 * the index block matches root 2 and folds to the trusted hash. Stage 3 ({@link records}):
 * each record block matches its index entry, in canonical or rsky's lexicographic order, and
 * nothing trails.
 */
export interface SpaceCarReader {
  readonly roots: readonly [Cid, Cid]
  /** The decoded commit. Not yet verified: see `checkCommit`. */
  readonly commit: SignedCommit
  /**
   * Reads the index block and checks its LtHash against `trustedHash` (the `hash` of a commit
   * you verified).
   * @throws {SpaceCarError} `MissingIndex`, `IndexMismatch`, `InvalidIndex`, `IndexHashMismatch`
   */
  readIndex(trustedHash: Uint8Array): Promise<RepoIndex>
  /**
   * Streams the record blocks. With `expectValues: false` a CAR that ends after the index
   * (index-only) is accepted; any record block that is present is still checked.
   * @throws {SpaceCarError} `RecordOrder`, `RecordHashMismatch`, `MissingRecord`, `TrailingBlock`, `InvalidRecord`
   */
  records(opts?: { expectValues?: boolean }): AsyncGenerator<VerifiedRecord>
  /** Stops reading and releases the source, for a caller that abandons the CAR midway. */
  close(): Promise<void>
  /**
   * The order the record blocks came in, once {@link records} has finished: `lexicographic`
   * flags a CAR in rsky's order. Undefined before.
   */
  readonly order: RecordOrder | undefined
  /** The index folded into an LtHash, once {@link readIndex} has run (a copy is cheap: `clone()`). */
  readonly repo: RepoCommit | undefined
  /** True when the CAR carried no record blocks (index-only), once {@link records} has finished. */
  readonly indexOnly: boolean | undefined
}

/**
 * Opens a space CAR and runs stage 1 (header and commit block).
 * @throws {SpaceCarError} `Car`, `RootCount`, `MissingCommit`, `CommitMismatch`, `InvalidCommit`
 * @example
 * ```ts
 * const car = await openSpaceCar(bytes)
 * if (!verifyCommit(car.commit, { space, author, rev: car.commit.rev }, didKey)) throw ...
 * const index = await car.readIndex(car.commit.hash)
 * for await (const rec of car.records()) store(rec)
 * ```
 */
export async function openSpaceCar(
  source: CarSource,
  opts: SpaceCarReadOptions = {},
): Promise<SpaceCarReader> {
  const maxRecords = opts.maxRecords ?? 1_000_000
  const decodeRecords = opts.decodeRecords !== false
  // The index block grows with the repo (about 90 bytes an entry), so the per-block cap is
  // raised from the CAR reader's 2 MiB default unless the caller set one.
  const carOpts: CarReadOptions = { maxBlockBytes: DEFAULT_MAX_BLOCK_BYTES, ...opts.car }
  const { roots, cursor } = await openBlocks(source, carOpts)
  const failClosed = async (err: unknown): Promise<never> => {
    await cursor.close()
    throw err
  }
  const stage1 = await readCommit(roots, cursor).catch(failClosed)
  const { commit, indexRoot } = stage1

  let stage: 'index' | 'records' | 'done' = 'index'
  let index: Map<string, Cid> | undefined
  let repo: RepoCommit | undefined
  let order: RecordOrder | undefined
  let indexOnly: boolean | undefined

  function readIndex(trustedHash: Uint8Array): Promise<RepoIndex> {
    if (stage !== 'index')
      return Promise.reject(new SpaceCarError('StageOrder', 'the index has already been read'))
    stage = 'records'
    return readIndexStage(trustedHash).catch(failClosed)
  }

  async function readIndexStage(trustedHash: Uint8Array): Promise<RepoIndex> {
    const block = await cursor.next()
    if (!block) throw new SpaceCarError('MissingIndex', 'CAR ends after the commit; expected the index block')
    if (!block.cid.equals(indexRoot)) {
      throw new SpaceCarError('IndexMismatch', `second block is not the index root; cid=${block.cid}`, {
        blockIndex: 1,
      })
    }
    index = decodeIndex(block.bytes, maxRecords)
    repo = RepoCommit.fromIndex(index)
    if (!bytesEqual(repo.digest(), trustedHash)) {
      throw new SpaceCarError('IndexHashMismatch', 'index does not fold to the trusted commit hash', {
        blockIndex: 1,
      })
    }
    return index
  }

  async function* records(ropts: { expectValues?: boolean } = {}): AsyncGenerator<VerifiedRecord> {
    if (stage !== 'records' || !index) {
      throw new SpaceCarError('StageOrder', 'records() needs readIndex() first, and runs once')
    }
    stage = 'done'
    const idx = index
    try {
      yield* checkRecords(idx, ropts)
    } finally {
      // Done, failed or abandoned by the consumer: release the source either way.
      await cursor.close()
    }
  }

  async function* checkRecords(
    index: Map<string, Cid>,
    ropts: { expectValues?: boolean },
  ): AsyncGenerator<VerifiedRecord> {
    const expectValues = ropts.expectValues !== false
    const canon = sortPaths(index.keys(), 'canonical')
    const lex = sortPaths(index.keys(), 'lexicographic')
    // The decoder enforces canonical key order, so `index` iterates canonically already; the
    // two sorted arrays let a CAR in rsky's order be read too. The order is fixed at the first
    // position where the two orders name different paths, preferring canonical.
    let mode: RecordOrder | undefined
    let cidKeys: Set<string> | undefined
    for (let i = 0; i < canon.length; i++) {
      let block: { cid: Cid; bytes: Uint8Array } | undefined
      try {
        block = await cursor.next()
      } catch (err) {
        const at = (mode === 'lexicographic' ? lex : canon)[i]!
        if (err instanceof SpaceCarError && err.code === 'RecordHashMismatch') {
          throw wrapCarError(err.cause, err.blockIndex ?? cursor.count, at)
        }
        throw err
      }
      if (!block) {
        if (i === 0 && !expectValues) {
          indexOnly = true
          order = 'canonical'
          return
        }
        const missing = (mode === 'lexicographic' ? lex : canon)[i]!
        throw new SpaceCarError(
          'MissingRecord',
          `CAR is missing ${canon.length - i} record(s) named in the index; path=${missing}`,
          { path: missing, blockIndex: cursor.count },
        )
      }
      let path: string
      if (mode === undefined && canon[i] !== lex[i]) {
        if (block.cid.equals(index.get(canon[i]!)!)) mode = 'canonical'
        else if (block.cid.equals(index.get(lex[i]!)!)) mode = 'lexicographic'
        path = mode === 'lexicographic' ? lex[i]! : canon[i]!
      } else {
        path = mode === 'lexicographic' ? lex[i]! : canon[i]!
      }
      const expected = index.get(path)!
      if (!block.cid.equals(expected)) {
        cidKeys ??= new Set([...index.values()].map((c) => c.toString()))
        const elsewhere = cidKeys.has(block.cid.toString())
        throw new SpaceCarError(
          elsewhere ? 'RecordOrder' : 'RecordHashMismatch',
          `${elsewhere ? 'record block out of index order' : 'record block does not match its index CID'}; path=${path} expected=${expected} cid=${block.cid}`,
          { path, blockIndex: cursor.count - 1 },
        )
      }
      let record: LexValue | undefined
      if (decodeRecords) {
        try {
          record = decode(block.bytes)
        } catch (err) {
          throw new SpaceCarError('InvalidRecord', `record is not valid DAG-CBOR; path=${path}`, {
            path,
            blockIndex: cursor.count - 1,
            cause: err,
          })
        }
      }
      const { collection, rkey } = parseRecordPath(path)
      yield { collection, rkey, cid: expected, bytes: block.bytes, record }
    }
    const extra = await cursor.next()
    if (extra) {
      throw new SpaceCarError(
        'TrailingBlock',
        `CAR has a block after the last index entry; cid=${extra.cid}`,
        {
          blockIndex: cursor.count - 1,
        },
      )
    }
    indexOnly = canon.length === 0 ? !expectValues : false
    order = mode ?? 'canonical'
  }

  return {
    roots: [stage1.commitRoot, indexRoot],
    close: () => cursor.close(),
    commit,
    readIndex,
    records,
    get order() {
      return order
    },
    get repo() {
      return repo
    },
    get indexOnly() {
      return indexOnly
    },
  }
}

async function readCommit(
  roots: Cid[],
  cursor: BlockCursor,
): Promise<{ commit: SignedCommit; commitRoot: Cid; indexRoot: Cid }> {
  if (roots.length !== 2) {
    throw new SpaceCarError('RootCount', `expected 2 CAR roots (commit, index); roots=${roots.length}`)
  }
  const commitRoot = roots[0]!
  const indexRoot = roots[1]!
  const commitBlock = await cursor.next()
  if (!commitBlock)
    throw new SpaceCarError('MissingCommit', 'CAR has no blocks; expected the commit block first')
  if (!commitBlock.cid.equals(commitRoot)) {
    throw new SpaceCarError('CommitMismatch', `first block is not the commit root; cid=${commitBlock.cid}`, {
      blockIndex: 0,
    })
  }
  let parsed: ReturnType<typeof parseSignedCommit>
  try {
    parsed = parseSignedCommit(decode(commitBlock.bytes))
  } catch (err) {
    throw new SpaceCarError(
      'InvalidCommit',
      `commit block is not valid DAG-CBOR; cause=${(err as Error).message}`,
      {
        blockIndex: 0,
        cause: err,
      },
    )
  }
  if (!parsed.success) {
    const issue = parsed.issues[0]!
    throw new SpaceCarError(
      'InvalidCommit',
      `invalid signed commit; field=${issue.path.join('.')} ${issue.message}`,
      {
        blockIndex: 0,
      },
    )
  }
  return { commit: parsed.value, commitRoot, indexRoot }
}

function decodeIndex(bytes: Uint8Array, maxRecords: number): Map<string, Cid> {
  let value: LexValue
  try {
    value = decode(bytes)
  } catch (err) {
    throw new SpaceCarError(
      'InvalidIndex',
      `index block is not valid DAG-CBOR; cause=${(err as Error).message}`,
      {
        blockIndex: 1,
        cause: err,
      },
    )
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    throw new SpaceCarError('InvalidIndex', 'index block must be a map of collection/rkey to CID', {
      blockIndex: 1,
    })
  }
  if (isCid(value))
    throw new SpaceCarError('InvalidIndex', 'index block is a CID, not a map', { blockIndex: 1 })
  const entries = Object.entries(value as { [k: string]: LexValue })
  if (entries.length > maxRecords) {
    throw new SpaceCarError(
      'InvalidIndex',
      `index has too many entries; entries=${entries.length} max=${maxRecords}`,
      {
        blockIndex: 1,
      },
    )
  }
  const index = new Map<string, Cid>()
  for (const [path, cid] of entries) {
    if (!isCid(cid)) {
      throw new SpaceCarError('InvalidIndex', `index value is not a CID; path=${path}`, {
        path,
        blockIndex: 1,
      })
    }
    try {
      parseRecordPath(path)
    } catch {
      throw new SpaceCarError('InvalidIndex', `index key is not collection/rkey; path=${path}`, {
        path,
        blockIndex: 1,
      })
    }
    index.set(path, cid as Cid)
  }
  return index
}
