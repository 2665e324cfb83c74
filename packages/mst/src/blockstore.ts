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
  /**
   * True only when every block this store returns is known to hash to its CID (for example
   * blocks of a CAR read with every hash checked). The tree then decodes node blocks without
   * hashing them again. Absent or false: each node block is hash-checked as it is read.
   */
  readonly hashChecked?: boolean
}

/** Options of {@link MemoryBlockstore}. */
export interface MemoryBlockstoreOptions {
  /**
   * The caller vouches that every block of the map hashes to its CID (e.g. `readCar(bytes)`
   * with hash checks on, the default): node blocks are then not hashed again when read. Leave
   * it off for blocks of unknown origin. Default false.
   */
  hashChecked?: boolean
}

/**
 * A block source over an in-memory {@link BlockMap}.
 * @example
 * const store = new MemoryBlockstore(readCar(bytes).blocks, { hashChecked: true })
 * const tree = MST.load(store, root)
 */
export class MemoryBlockstore implements ReadableBlockstore {
  readonly blocks: BlockMap
  readonly hashChecked: boolean
  constructor(blocks?: BlockMap, opts: MemoryBlockstoreOptions = {}) {
    this.blocks = blocks ?? new BlockMap()
    this.hashChecked = opts.hashChecked === true
  }
  /** Bytes of one block, or null. */
  async getBytes(cid: Cid): Promise<Uint8Array | null> {
    return this.blocks.get(cid) ?? null
  }
  /** The present blocks of `cids` and the missing CIDs. */
  async getBlocks(cids: Cid[]): Promise<BlocksAndMissing> {
    return this.blocks.getMany(cids)
  }
  /** Stores one block (with `hashChecked` set, the caller vouches that `bytes` hash to `cid`). */
  putBlock(cid: Cid, bytes: Uint8Array): void {
    this.blocks.set(cid, bytes)
  }
  /** Stores every block of `blocks`. */
  putMany(blocks: BlockMap): void {
    this.blocks.addMap(blocks)
  }
}
