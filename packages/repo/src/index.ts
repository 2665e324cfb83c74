// @rsky/repo: AT Protocol repositories: signed commits, block storage, CAR export and import, verification.

export { CarBlockIndex, indexCarStream } from './block-index.ts'
export { bucketOfWords, cidBucketHash, digestWord } from './cid-bucket.ts'
export {
  type Commit,
  decodeCommit,
  encodeCommit,
  encodeUnsignedCommit,
  type LegacyV2Commit,
  parseCommit,
  signCommit,
  type UnsignedCommit,
  type VersionedCommit,
  verifyCommitSignature,
} from './commit.ts'
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
export { exportRepoBlocks, exportRepoCar, exportRepoCarBytes, getRecordsProofCar } from './export.ts'
export {
  iterateRepoRecords,
  type ReadRepoRecordsOptions,
  type RepoRecordEntry,
  readRepoRecords,
} from './read-records.ts'
export { type CommitData, type CommitOp, type RecordWrite, Repo, type RepoRecord } from './repo.ts'
export { MemoryRepoStorage, type RepoStorage } from './storage.ts'
export { type TreeEntry, type WalkRecordTreeOptions, walkRecordTree } from './tree-walk.ts'
export {
  asRepoError,
  type LoadedRepoCar,
  loadRepoCar,
  type RecordClaim,
  readRecordBlock,
  type VerifiedDiff,
  type VerifiedRepo,
  type VerifyOptions,
  verifyDiff,
  verifyRecordProofs,
} from './verify.ts'
export { type VerifyRepoOptions, verifyRepoCar } from './verify-repo.ts'
