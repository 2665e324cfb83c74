import { BlockMap, type BlocksAndMissing } from '@rsky/car'
import type { Cid } from '@rsky/dag-cbor'

/**
 * Where an MST reads its nodes from. `getBlocks` is the batched path the tree uses; `getBytes`
 * serves single reads. Implementations may be local (memory, disk) or remote.
 */
export interface ReadableBlockstore {
  /** Bytes of one block, or null when absent. */
  getBytes(cid: Cid): Promise<Uint8Array | null>
  /** The blocks of `cids` that are present, and the CIDs that are not. */
  getBlocks(cids: Cid[]): Promise<BlocksAndMissing>
}

/**
 * A block source over an in-memory {@link BlockMap}.
 * @example
 * const store = new MemoryBlockstore(readCar(bytes).blocks)
 * const tree = MST.load(store, root)
 */
export class MemoryBlockstore implements ReadableBlockstore {
  readonly blocks: BlockMap
  constructor(blocks?: BlockMap) {
    this.blocks = blocks ?? new BlockMap()
  }
  /** Bytes of one block, or null. */
  async getBytes(cid: Cid): Promise<Uint8Array | null> {
    return this.blocks.get(cid) ?? null
  }
  /** The present blocks of `cids` and the missing CIDs. */
  async getBlocks(cids: Cid[]): Promise<BlocksAndMissing> {
    return this.blocks.getMany(cids)
  }
  /** Stores one block (the caller vouches that `bytes` hash to `cid`). */
  putBlock(cid: Cid, bytes: Uint8Array): void {
    this.blocks.set(cid, bytes)
  }
  /** Stores every block of `blocks`. */
  putMany(blocks: BlockMap): void {
    this.blocks.addMap(blocks)
  }
}
