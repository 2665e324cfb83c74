// @rsky/sync/node: Node-only helpers.
export {
  AuthPoolError,
  CommitAuthPool,
  type CommitAuthPoolOptions,
  defaultAuthThreads,
} from './auth-pool.node.ts'
export { FileCursorStore } from './file-cursor-store.ts'
export { zstdDictionaryDecompressor } from './zstd.node.ts'
