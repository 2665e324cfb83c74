// The shapes of a repository commit (v3, and v2 as old repositories hold it).
import type { Cid } from '@rsky/dag-cbor'

/** A v3 commit before signing: what the signature covers. */
export interface UnsignedCommit {
  did: string
  version: 3
  /** Root of the MST holding the records. */
  data: Cid
  /** TID of this revision; strictly increasing per repository. */
  rev: string
  /** Previous commit; v3 repos leave it null. */
  prev: Cid | null
}

/** A signed v3 commit: the root block of a repository. */
export interface Commit extends UnsignedCommit {
  /** 64-byte compact low-S signature over the DAG-CBOR of the unsigned commit. */
  sig: Uint8Array
}

/** A v2 commit, still found in old repositories: `rev` may be absent. Read only. */
export interface LegacyV2Commit {
  did: string
  version: 2
  data: Cid
  rev?: string
  prev: Cid | null
  sig: Uint8Array
}

export type VersionedCommit = Commit | LegacyV2Commit
