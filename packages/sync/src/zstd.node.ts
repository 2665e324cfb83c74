import * as zlib from 'node:zlib'

type ZstdSync = (buf: Uint8Array, opts?: { dictionary?: Uint8Array; maxOutputLength?: number }) => Uint8Array

/**
 * A decompressor for Jetstream's `compress=true` messages (zstd with Jetstream's dictionary),
 * built on Node's own zstd (Node 22.15+/23.8+). Pass the dictionary file's bytes.
 * @throws {Error} when this Node has no zstd support
 * @example new JetstreamClient({ ..., decompress: zstdDictionaryDecompressor(dict) })
 */
export function zstdDictionaryDecompressor(
  dictionary: Uint8Array,
  maxOutputLength: number = 4 * 1024 * 1024,
): (bytes: Uint8Array) => string {
  const fn = (zlib as unknown as { zstdDecompressSync?: ZstdSync }).zstdDecompressSync
  if (typeof fn !== 'function') throw new Error('this Node.js has no zstd support (needs 22.15+ or 23.8+)')
  const decoder = new TextDecoder()
  return (bytes) => decoder.decode(fn(bytes, { dictionary, maxOutputLength }))
}
