// readRepoRecords as `@rsky/repo` exports it: the reader of read-records-core.ts with this
// package's signature check filled in, so a `key` option verifies without anything more.
import type { CarSource } from '@rsky/car'
import { verifyCommitSignature } from './commit.ts'
import {
  iterateRepoRecords as iterateRecords,
  type ReadRepoRecordsOptions,
  type RepoRecordEntry,
  readRepoRecords as readRecords,
} from './read-records-core.ts'

export type { ReadRepoRecordsOptions, RepoRecordEntry }

/**
 * Verifies a repository CAR and yields its records in key order as `{ collection, rkey, cid, record }`.
 * Before the first record: every block's hash, the commit's shape, its DID (`did`) and signature
 * (`key`; without it the signature is not checked). During the walk: every tree node's structure,
 * layer and key order, every node and record block present, every record a strict DAG-CBOR map.
 * A problem found mid-walk raises from the iteration after the records before it were yielded:
 * treat the records as verified only once the loop ends without an error. In a browser bundle
 * that never passes a key, `@rsky/repo/read` does the same without the signature code.
 * @throws CarError subclasses (damaged CAR, with the byte offset); InvalidCarRootError,
 *   DidMismatchError, InvalidSignatureError, MissingBlockError, InvalidRecordError, RepoError BAD_TREE
 * @example
 * for await (const { collection, rkey, record } of readRepoRecords(car, { did, key })) console.log(collection, rkey, record)
 */
export function readRepoRecords(
  car: Uint8Array | CarSource,
  opts: ReadRepoRecordsOptions = {},
): AsyncGenerator<RepoRecordEntry, void, undefined> {
  return readRecords(car, {
    ...opts,
    verifyCommitSignature: opts.verifyCommitSignature ?? verifyCommitSignature,
  })
}

/**
 * {@link readRepoRecords} for a CAR already in memory, as a plain (synchronous) iterator: the same
 * checks (the signature too when `key` is given), in the same order, with the same errors.
 * @throws the errors of {@link readRepoRecords}
 * @example
 * for (const { collection, rkey, record } of iterateRepoRecords(carBytes, { did, key })) console.log(collection, rkey, record)
 */
export function iterateRepoRecords(
  car: Uint8Array,
  opts: ReadRepoRecordsOptions = {},
): Generator<RepoRecordEntry, void, undefined> {
  return iterateRecords(car, {
    ...opts,
    verifyCommitSignature: opts.verifyCommitSignature ?? verifyCommitSignature,
  })
}
