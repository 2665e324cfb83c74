// @rsky/sync/node: Node-only helpers.
export { FileCursorStore } from './file-cursor-store.ts'
export { zstdDictionaryDecompressor } from './zstd.node.ts'
