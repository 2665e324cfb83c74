// Block hash check, browser and reference path: @rsky/crypto's sha256 (pure JS on @noble/hashes).
// Node resolves `#digest` to digest.node.ts instead (see package.json "imports").
import { sha256 } from '@rsky/crypto/sha256'

/** Whether sha256(`data`) equals the 32 bytes of `expected` starting at `at`. */
export function sha256Matches(data: Uint8Array, expected: Uint8Array, at: number): boolean {
  const d = sha256(data)
  for (let i = 0; i < 32; i++) if (d[i] !== expected[at + i]) return false
  return true
}
