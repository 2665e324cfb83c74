// The records of an indexed repository CAR: the commit checks, then each record as the walk
// reaches it (decoded, and checked to be a map). iterateRepoRecords and Node's readRepoRecords
// (read-car.ts) use recordsOf; the browsers' readRepoRecords (read-car.browser.ts) its own walk
// with recordAt.
import { type Cid, DagCborDecodeError, decode, isLexMap, type LexMap } from '@rsky/dag-cbor'
import type { BytesIndex } from './bytes-index.ts'
import { checkCommitWith } from './check-commit.ts'
import { InvalidCarRootError, InvalidRecordError, MissingBlockError } from './errors.ts'
import type { ReadRepoRecordsOptions, RepoRecordEntry } from './read-records-core.ts'
import { walkRecordTree } from './tree-walk.ts'

/** The record `cid` at `key`, decoded. @throws MissingBlockError, InvalidRecordError */
export function recordAt(index: BytesIndex, key: string, cid: Cid): LexMap {
  const n = index.indexOf(cid)
  if (n < 0) throw new MissingBlockError(cid, `record ${key}`)
  let value: unknown
  try {
    value = decode(index.bytesAt(n))
  } catch (err) {
    if (!(err instanceof DagCborDecodeError)) throw err
    throw new InvalidRecordError(key, 'not valid DAG-CBOR', { cid, cause: err })
  }
  if (!isLexMap(value)) throw new InvalidRecordError(key, 'not a map', { cid })
  return value as LexMap
}

/** The tree root (`data`) of the CAR's commit, checked. @throws InvalidCarRootError and the commit checks' errors */
export function commitOf(index: BytesIndex, opts: ReadRepoRecordsOptions): Cid {
  const root = index.roots[0]
  if (root === undefined) throw new InvalidCarRootError('the CAR has no root')
  return checkCommitWith(root, index.get(root), opts, opts.verifyCommitSignature).commit.data
}

/** The commit checks, then each record as the walk reaches it. */
export function* recordsOf(
  index: BytesIndex,
  opts: ReadRepoRecordsOptions,
): Generator<RepoRecordEntry, void, undefined> {
  const data = commitOf(index, opts)
  const walk = { maxNodeEntries: opts.maxNodeEntries, collection: opts.collection }
  for (const entry of walkRecordTree(index, data, walk)) {
    yield {
      collection: entry.collection,
      rkey: entry.rkey,
      cid: entry.cid,
      record: recordAt(index, entry.key, entry.cid),
    }
  }
}
