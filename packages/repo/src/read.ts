// @rsky/repo/read: reading the records of a repository CAR (every block hash-checked, the tree's
// structure checked) without the signature code, for browser bundles. To check a signature too,
// pass `key` with `verifyCommitSignature` (from `@rsky/repo`), or use `@rsky/repo` itself. An app
// that has the bytes in memory uses `iterateRepoRecords`, which leaves the CAR stream reader out.

export type { CommitSignatureCheck } from './check-commit.ts'
export type { Commit, LegacyV2Commit, VersionedCommit } from './commit-types.ts'
export {
  DidMismatchError,
  InvalidCarRootError,
  InvalidCommitError,
  InvalidRecordError,
  InvalidSignatureError,
  MissingBlockError,
  RepoError,
  type RepoErrorCode,
} from './errors.ts'
export {
  iterateRepoRecords,
  type ReadRepoRecordsOptions,
  type RepoRecordEntry,
  readRepoRecords,
} from './read-records-core.ts'
export { type TreeEntry, type WalkRecordTreeOptions, walkRecordTree } from './tree-walk.ts'
