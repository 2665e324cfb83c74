// @rsky/repo/testing: test helpers for code built on @rsky/repo (needs vitest).
export { describeRepoStorageContract, type RepoStorageFixture } from './storage.contract.ts'
