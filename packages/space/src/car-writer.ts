import { writeCarStream } from '@rsky/car'
import { type Cid, encode, encodeWithCid, type LexValue } from '@rsky/dag-cbor'
import { formatRecordPath } from './address.ts'
import { type RecordOrder, sortPaths } from './car-order.ts'
import { type SignedCommit, signedCommitToLex } from './commit.ts'

/** One record to serialize: its place, CID and DAG-CBOR bytes. */
export interface SpaceCarRecord {
  readonly collection: string
  readonly rkey: string
  readonly cid: Cid
  readonly bytes: Uint8Array
}

/** Options for {@link writeSpaceCar}. */
export interface WriteSpaceCarOptions {
  /** The signed commit (root 1). */
  commit: SignedCommit
  /** Every record of the repo; the index (root 2) is built from them. */
  records: Iterable<SpaceCarRecord> | AsyncIterable<SpaceCarRecord>
  /** Write only the two roots (an index-only CAR). Default false. */
  excludeValues?: boolean
  /**
   * Record block order. Default `canonical` (what the reference and the proposal require);
   * `lexicographic` writes what rsky-space expects, for peers that have not moved.
   */
  order?: RecordOrder
}

/** Encodes a record and computes its CID, ready for {@link writeSpaceCar}. */
export function serializeSpaceRecord(collection: string, rkey: string, value: LexValue): SpaceCarRecord {
  const { bytes, cid } = encodeWithCid(value)
  return { collection, rkey, cid, bytes }
}

/**
 * Writes a space repo CAR as a stream of chunks: header with two roots (commit, index), the
 * commit block, the index block (`collection/rkey` -> CID), then one block per index entry in
 * the chosen order. Records are collected first because the index precedes them.
 * @throws {RangeError} when two records share a path
 * @example
 * ```ts
 * const commit = await RepoCommit.fromRecords(records).sign(ctx, keypair)
 * for await (const chunk of writeSpaceCarStream({ commit, records })) res.write(chunk)
 * ```
 */
export async function* writeSpaceCarStream(opts: WriteSpaceCarOptions): AsyncGenerator<Uint8Array> {
  const byPath = new Map<string, SpaceCarRecord>()
  for await (const r of opts.records as AsyncIterable<SpaceCarRecord>) {
    const path = formatRecordPath(r.collection, r.rkey)
    if (byPath.has(path)) throw new RangeError(`two records share one path; path=${path}`)
    byPath.set(path, r)
  }
  const paths = sortPaths(byPath.keys(), opts.order ?? 'canonical')
  // The index block is canonical DAG-CBOR whatever the block order: encode sorts map keys.
  const index: { [k: string]: LexValue } = {}
  for (const p of sortPaths(byPath.keys(), 'canonical')) index[p] = byPath.get(p)!.cid
  const commitBlock = encodeWithCid(signedCommitToLex(opts.commit))
  const indexBlock = encodeWithCid(index)
  const blocks = function* (): Generator<{ cid: Cid; bytes: Uint8Array }> {
    yield commitBlock
    yield indexBlock
    if (opts.excludeValues) return
    // One block per entry, even when two records share a CID: the reader walks entries by position.
    for (const p of paths) {
      const r = byPath.get(p)!
      yield { cid: r.cid, bytes: r.bytes }
    }
  }
  yield* writeCarStream([commitBlock.cid, indexBlock.cid], blocks())
}

/**
 * {@link writeSpaceCarStream} collected into one buffer.
 * @throws {RangeError} when two records share a path
 */
export async function writeSpaceCar(opts: WriteSpaceCarOptions): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const c of writeSpaceCarStream(opts)) {
    chunks.push(c)
    size += c.length
  }
  const out = new Uint8Array(size)
  let o = 0
  for (const c of chunks) {
    out.set(c, o)
    o += c.length
  }
  return out
}

/** The DAG-CBOR bytes of an index built from records (canonical key order). @internal */
export function encodeSpaceIndex(entries: Iterable<readonly [string, Cid]>): Uint8Array {
  const index: { [k: string]: LexValue } = {}
  for (const [p, c] of entries) index[p] = c
  return encode(index)
}
