import {
  BlockMap,
  type BlocksAndMissing,
  type CarReadOptions,
  type CarSource,
  CidSet,
  readCarStream,
  readCarWithRoot,
} from '@rsky/car'
import { type Cid, decode, isCid, type LexValue } from '@rsky/dag-cbor'
import { MemoryBlockstore, MissingBlocksError, MST, mstDiff, type ReadableBlockstore } from '@rsky/mst'
import { asRepoError } from './as-repo-error.ts'
import { checkCommitWith } from './check-commit.ts'
import { type VersionedCommit, verifyCommitSignature } from './commit.ts'
import { InvalidCarRootError, InvalidRecordError, MissingBlockError, RepoError } from './errors.ts'
import type { CommitOp, Repo } from './repo.ts'
import { addRemovedRecordBlocks } from './shared-blocks.ts'

export { asRepoError }

/** What the caller already knows about the repository. */
export interface VerifyOptions {
  /** The DID the commit must be for. */
  did?: string
  /** The did:key the commit must be signed with; without it the signature is not checked. */
  key?: string
  /** Limits for reading the CAR (block size, total size). */
  car?: CarReadOptions
}

/** A repository CAR that passed every check. */
export interface VerifiedRepo {
  did: string
  rev: string
  version: 2 | 3
  /** CID of the commit block (the CAR's root). */
  commit: Cid
  /** Root of the record tree. */
  data: Cid
  /** 'valid' when a key was given and the signature verified; 'unchecked' when no key was given. */
  signature: 'valid' | 'unchecked'
  records: number
  /** Record count per collection, in key order. */
  collections: Record<string, number>
  blocks: number
}

/** A repository loaded from a CAR after its blocks, commit and signature were checked. */
export interface LoadedRepoCar {
  root: Cid
  commit: VersionedCommit
  blocks: BlockMap
  tree: MST
  signature: 'valid' | 'unchecked'
}

async function collectStream(
  source: CarSource,
  opts?: CarReadOptions,
): Promise<{ root: Cid; blocks: BlockMap }> {
  const car = readCarStream(source, opts)
  const { roots } = await car.header
  const blocks = new BlockMap()
  for await (const block of car) blocks.set(block.cid, block.bytes)
  const root = roots[0]
  if (!root) throw new InvalidCarRootError('no root')
  return { root, blocks }
}

/** Decodes the root block as a commit and checks DID and signature. @internal */
export function checkCommit(
  root: Cid,
  bytes: Uint8Array | undefined,
  opts: VerifyOptions,
): { commit: VersionedCommit; signature: 'valid' | 'unchecked' } {
  return checkCommitWith(root, bytes, opts, verifyCommitSignature)
}

/**
 * Reads a repository CAR (every block hash-checked), decodes its commit and checks DID and
 * signature. The tree is not walked: see {@link verifyRepoCar}.
 * @throws CarError subclasses, InvalidCarRootError, DidMismatchError, InvalidSignatureError
 */
export async function loadRepoCar(
  car: Uint8Array | CarSource,
  opts: VerifyOptions = {},
): Promise<LoadedRepoCar> {
  const { root, blocks } =
    car instanceof Uint8Array ? readCarWithRoot(car, opts.car) : await collectStream(car, opts.car)
  const { commit, signature } = checkCommit(root, blocks.get(root), opts)
  return { root, commit, blocks, tree: MST.load(new MemoryBlockstore(blocks), commit.data), signature }
}

function isMap(value: LexValue): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    !isCid(value)
  )
}

/** Decodes a record block and checks it is a map. @throws MissingBlockError, InvalidRecordError */
export function readRecordBlock(blocks: BlockMap, path: string, cid: Cid): LexValue {
  const bytes = blocks.get(cid)
  if (!bytes) throw new MissingBlockError(cid, `record ${path}`)
  let value: LexValue
  try {
    value = decode(bytes)
  } catch (err) {
    throw new InvalidRecordError(path, 'not DAG-CBOR', { cid, cause: err })
  }
  if (!isMap(value)) throw new InvalidRecordError(path, 'not a map', { cid })
  return value
}

/** A claim about one record: present with `cid`, or absent when `cid` is null. */
export interface RecordClaim {
  collection: string
  rkey: string
  cid: Cid | null
}

/**
 * Checks existence and non-existence claims against a proof CAR (commit, tree paths, records).
 * Claims the CAR proves are `verified`; claims it contradicts or cannot prove are `unverified`.
 * @throws CarError subclasses, InvalidCarRootError, DidMismatchError, InvalidSignatureError
 */
export async function verifyRecordProofs(
  car: Uint8Array | CarSource,
  claims: RecordClaim[],
  opts: VerifyOptions & { did: string; key: string },
): Promise<{ verified: RecordClaim[]; unverified: RecordClaim[] }> {
  const loaded = await loadRepoCar(car, opts)
  const verified: RecordClaim[] = []
  const unverified: RecordClaim[] = []
  for (const claim of claims) {
    const path = `${claim.collection}/${claim.rkey}`
    let found: Cid | null
    try {
      found = await loaded.tree.get(path)
    } catch (err) {
      if (err instanceof MissingBlocksError) {
        unverified.push(claim)
        continue
      }
      throw asRepoError(err)
    }
    const ok = claim.cid === null ? found === null : found?.equals(claim.cid) && loaded.blocks.has(found)
    ;(ok ? verified : unverified).push(claim)
  }
  return { verified, unverified }
}

/** Blocks of a CAR first, then a repository's storage. */
class OverlayStore implements ReadableBlockstore {
  readonly #top: BlockMap
  readonly #base: ReadableBlockstore | null
  constructor(top: BlockMap, base: ReadableBlockstore | null) {
    this.#top = top
    this.#base = base
  }
  async getBytes(cid: Cid): Promise<Uint8Array | null> {
    return this.#top.get(cid) ?? (this.#base ? this.#base.getBytes(cid) : null)
  }
  async getBlocks(cids: Cid[]): Promise<BlocksAndMissing> {
    const r = this.#top.getMany(cids)
    if (r.missing.length === 0 || !this.#base) return r
    const more = await this.#base.getBlocks(r.missing)
    r.blocks.addMap(more.blocks)
    return { blocks: r.blocks, missing: more.missing }
  }
}

/** A verified step from one commit to the next. */
export interface VerifiedDiff {
  commit: VersionedCommit
  cid: Cid
  rev: string
  /** Record operations in key order, each with the CID it replaced. */
  ops: CommitOp[]
  /** Blocks the reader should store: new tree nodes, new records, the commit. */
  newBlocks: BlockMap
  /** Blocks no longer referenced. */
  removedCids: CidSet
}

/**
 * Verifies a diff CAR (as `getRepo?since=` or a firehose event carries it) against the
 * repository the reader holds (null for a first sync): signature, DID, revision order, and every
 * new node and record present.
 * @throws RepoError subclasses (STALE_REV when the revision does not move forward), CarError subclasses
 */
export async function verifyDiff(
  repo: Repo | null,
  car: Uint8Array | CarSource,
  opts: VerifyOptions & { did: string; key: string },
): Promise<VerifiedDiff> {
  const loaded = await loadRepoCar(car, opts)
  const rev = loaded.commit.rev ?? ''
  if (repo && rev <= repo.rev) {
    throw new RepoError('STALE_REV', `revision does not move forward; rev=${rev} current=${repo.rev}`)
  }
  const store = new OverlayStore(loaded.blocks, repo ? repo.storage : null)
  const after = MST.load(store, loaded.commit.data)
  try {
    const diff = await mstDiff(repo ? repo.data : null, after)
    const newBlocks = new BlockMap()
    newBlocks.addMap(diff.newBlocks)
    newBlocks.set(loaded.root, loaded.blocks.get(loaded.root)!)
    const removedCids = new CidSet(diff.deletedNodes)
    const ops: CommitOp[] = []
    for (const op of diff.ops) {
      if (op.cid) {
        const bytes = await store.getBytes(op.cid)
        if (!bytes) throw new MissingBlockError(op.cid, `record ${op.key}`)
        newBlocks.set(op.cid, bytes)
      }
      ops.push({ action: op.action, path: op.key, cid: op.cid, prev: op.prev })
    }
    // A record block still used by another key, or written again, must stay.
    await addRemovedRecordBlocks(removedCids, diff.ops, after)
    if (repo && !repo.cid.equals(loaded.root)) removedCids.add(repo.cid)
    return { commit: loaded.commit, cid: loaded.root, rev, ops, newBlocks, removedCids }
  } catch (err) {
    throw asRepoError(err)
  }
}
