import type { Keypair } from '@rsky/crypto'
import type { Cid } from '@rsky/dag-cbor'
import { formatSetHashElement, type RecordPath } from './address.ts'
import { bytesEqual } from './bytes.ts'
import { type CommitCtx, type SignedCommit, signCommit } from './commit.ts'
import { LtHash } from './lthash.ts'

/**
 * One entry of a repo's operation log (`listRepoOps`): no `cid` is a delete, no `prev` is a
 * create, both is an update. Ops written atomically share a `rev`.
 */
export interface RepoOp extends RecordPath {
  readonly cid: Cid | null
  readonly prev: Cid | null
  readonly rev?: string
  /** The record's DAG-CBOR bytes, when the host inlined them. */
  readonly value?: Uint8Array
}

/** True for a delete (no `cid`). */
export function isDeleteOp(op: RepoOp): boolean {
  return op.cid == null
}

/** True for a create (no `prev`). */
export function isCreateOp(op: RepoOp): boolean {
  return op.prev == null
}

/** A writer-set member (`listRepos`): an account with records in the space, and its head. */
export interface RepoRef {
  readonly did: string
  readonly rev: string
  /** The current commit hash, hex, when the authority tracks it. */
  readonly hash?: string
}

/** A space repo index: `collection/rkey` to record CID, in the index block's order. */
export type RepoIndex = ReadonlyMap<string, Cid>

/**
 * Builds and checks the digest of a space repo: an LtHash over `collection/rkey/cid` of every
 * record. Mutating methods update it in place and return it (it is a builder).
 *
 * @example
 * ```ts
 * const repo = RepoCommit.fromRecords(records)
 * const commit = await repo.sign({ space, author, rev }, keypair)
 * repo.matches(commit) // true
 * ```
 */
export class RepoCommit {
  /** The running set hash. */
  readonly setHash: LtHash

  constructor(setHash: LtHash = new LtHash()) {
    this.setHash = setHash
  }

  /**
   * Resumes from a persisted 2048-byte LtHash state; nullish gives an empty repo.
   * @throws {RangeError} when the state is not 2048 bytes
   */
  static fromState(state: Uint8Array | null | undefined): RepoCommit {
    return new RepoCommit(new LtHash(state))
  }

  /** Folds every record in. */
  static fromRecords(records: Iterable<RecordPath & { readonly cid: Cid }>): RepoCommit {
    const repo = new RepoCommit()
    for (const r of records) repo.add(r.collection, r.rkey, r.cid)
    return repo
  }

  /** Folds every `path -> cid` entry of an index in (a Map, or a plain object as decoded). */
  static fromIndex(index: RepoIndex | Readonly<Record<string, Cid>>): RepoCommit {
    const repo = new RepoCommit()
    const entries = index instanceof Map ? index.entries() : Object.entries(index)
    for (const [path, cid] of entries) repo.setHash.add(`${path}/${cid.toString()}`)
    return repo
  }

  /** Adds a record. */
  add(collection: string, rkey: string, cid: Cid): this {
    this.setHash.add(formatSetHashElement(collection, rkey, cid))
    return this
  }

  /** Removes a record. */
  remove(collection: string, rkey: string, cid: Cid): this {
    this.setHash.remove(formatSetHashElement(collection, rkey, cid))
    return this
  }

  /** Applies one op: removes `prev` if present, adds `cid` if present. */
  applyOp(op: RepoOp): this {
    if (op.prev) this.remove(op.collection, op.rkey, op.prev)
    if (op.cid) this.add(op.collection, op.rkey, op.cid)
    return this
  }

  /** Applies ops in order (any order gives the same digest). */
  applyOps(ops: Iterable<RepoOp>): this {
    for (const op of ops) this.applyOp(op)
    return this
  }

  /** The commit hash of the current contents: sha256 of the LtHash state. */
  digest(): Uint8Array {
    return this.setHash.digest()
  }

  /**
   * True when the contents digest to `commit.hash`. Verify the commit first
   * ({@link verifyCommit}); on its own this says nothing about who wrote it.
   */
  matches(commit: Pick<SignedCommit, 'hash'>): boolean {
    return bytesEqual(this.setHash.digest(), commit.hash)
  }

  /** Signs a commit over the current contents, with a fresh `ikm` per call. */
  sign(ctx: CommitCtx, keypair: Keypair, opts: { ikm?: Uint8Array } = {}): Promise<SignedCommit> {
    return signCommit({ ctx, hash: this.setHash.digest(), keypair, ...(opts.ikm ? { ikm: opts.ikm } : {}) })
  }

  /** An independent copy (to stage changes). */
  clone(): RepoCommit {
    return new RepoCommit(this.setHash.clone())
  }
}
