import { type Keypair, verifySignature } from '@rsky/crypto'
import { type Cid, cidForCbor, encode, type LexValue } from '@rsky/dag-cbor'
import type { Commit, UnsignedCommit, VersionedCommit } from './commit-types.ts'

export { decodeCommit, parseCommit } from './commit-parse.ts'
export type { Commit, LegacyV2Commit, UnsignedCommit, VersionedCommit } from './commit-types.ts'

/** DAG-CBOR bytes of the unsigned part of a commit: what is signed. */
export function encodeUnsignedCommit(commit: UnsignedCommit | VersionedCommit): Uint8Array {
  const { sig: _sig, ...rest } = commit as UnsignedCommit & { sig?: Uint8Array }
  return encode(rest as unknown as LexValue)
}

/** DAG-CBOR bytes of a signed commit, and its CID. */
export function encodeCommit(commit: VersionedCommit): { bytes: Uint8Array; cid: Cid } {
  const bytes = encode(commit as unknown as LexValue)
  return { bytes, cid: cidForCbor(bytes) }
}

/**
 * Signs a commit with either curve.
 * @example const commit = await signCommit({ did, version: 3, data, rev: Tid.nextStr(), prev: null }, keypair)
 */
export async function signCommit(unsigned: UnsignedCommit, keypair: Keypair): Promise<Commit> {
  const sig = await keypair.sign(encodeUnsignedCommit(unsigned))
  return { ...unsigned, sig }
}

/**
 * Whether `commit.sig` verifies with `didKey` over the unsigned commit. The data is hashed once
 * inside verifySignature, the same way on secp256k1 and P-256 (rsky double-hashes P-256 here).
 */
export function verifyCommitSignature(commit: VersionedCommit, didKey: string): boolean {
  return verifySignature(didKey, encodeUnsignedCommit(commit), commit.sig)
}
