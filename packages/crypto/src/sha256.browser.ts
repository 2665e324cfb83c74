import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'

/** sha256 of `data`, synchronously (pure JS; the browser and reference path). */
export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data)
}
