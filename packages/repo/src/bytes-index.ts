// How iterateRepoRecords finds the blocks of a CAR held in memory. Node and other servers get the
// typed-array CarBlockIndex (block-index.ts: no object per block, fast for large repositories);
// browsers get bytes-index.browser.ts, chosen through the package's "imports" map (#bytes-index).
import type { CarReadOptions } from '@rsky/car'
import type { Cid } from '@rsky/dag-cbor'
import { CarBlockIndex } from './block-index.ts'
import type { TreeBlocks } from './tree-walk.ts'

/** The blocks of a hash-checked CAR in memory, by CID, with its roots. */
export interface BytesIndex extends TreeBlocks {
  readonly roots: Cid[]
}

/**
 * Indexes a CAR held in memory, every block hash-checked.
 * @throws CarError subclasses with the byte offset
 */
export function indexCarBytes(bytes: Uint8Array, opts?: CarReadOptions): BytesIndex {
  return CarBlockIndex.fromBytes(bytes, opts)
}
