import { BlockMap, type BlocksAndMissing, type CidSet } from '@rsky/car'
import type { Cid } from '@rsky/dag-cbor'
import type { ReadableBlockstore } from '@rsky/mst'

/**
 * Block storage for a repository: what Repo reads and writes. An in-memory store ships here;
 * SQLite or Postgres stores implement the same interface without touching Repo.
 */
export interface RepoStorage extends ReadableBlockstore {
  /** CID of the current commit, or null for an empty store. */
  getRoot(): Promise<Cid | null>
  has(cid: Cid): Promise<boolean>
  putMany(blocks: BlockMap): Promise<void>
  /** Stores a commit's new blocks, drops the ones it removed and moves the root, atomically. */
  applyCommit(commit: { cid: Cid; rev: string; newBlocks: BlockMap; removedCids: CidSet }): Promise<void>
}

/**
 * A RepoStorage over a BlockMap.
 * @example const storage = new MemoryRepoStorage(); const repo = await Repo.create({ storage, did, keypair })
 */
export class MemoryRepoStorage implements RepoStorage {
  readonly blocks: BlockMap
  #root: Cid | null = null
  #rev: string | null = null

  constructor(blocks?: BlockMap, root?: Cid) {
    this.blocks = blocks ?? new BlockMap()
    this.#root = root ?? null
  }

  async getRoot(): Promise<Cid | null> {
    return this.#root
  }

  /** Revision of the current commit, as last applied. */
  get rev(): string | null {
    return this.#rev
  }

  async getBytes(cid: Cid): Promise<Uint8Array | null> {
    return this.blocks.get(cid) ?? null
  }

  async getBlocks(cids: Cid[]): Promise<BlocksAndMissing> {
    return this.blocks.getMany(cids)
  }

  async has(cid: Cid): Promise<boolean> {
    return this.blocks.has(cid)
  }

  async putMany(blocks: BlockMap): Promise<void> {
    this.blocks.addMap(blocks)
  }

  async applyCommit(commit: {
    cid: Cid
    rev: string
    newBlocks: BlockMap
    removedCids: CidSet
  }): Promise<void> {
    for (const cid of commit.removedCids) this.blocks.delete(cid)
    this.blocks.addMap(commit.newBlocks)
    this.#root = commit.cid
    this.#rev = commit.rev
  }
}
