import { describeRepoStorageContract } from './storage.contract.ts'
import { MemoryRepoStorage } from './storage.ts'

describeRepoStorageContract('MemoryRepoStorage', () => new MemoryRepoStorage())
