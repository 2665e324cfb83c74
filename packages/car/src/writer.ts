import { asCid, Cid, encode } from '@rsky/dag-cbor'
import { BlockMap, blockEntries } from './block-map.ts'
import type { CarBlock } from './types.ts'

/** Blocks for the writers: `{ cid, bytes }` objects, or a {@link BlockMap}. */
export type CarBlocks = Iterable<CarBlock> | BlockMap

function varintLength(n: number): number {
  let len = 1
  while (n >= 0x80) {
    n = Math.floor(n / 128)
    len++
  }
  return len
}

function writeVarint(out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 128)
  }
  out[pos++] = n
  return pos
}

function checkRoots(roots: readonly Cid[]): Cid[] {
  if (!Array.isArray(roots)) throw new TypeError('roots must be an array of CIDs')
  return roots.map((root) => {
    const cid = asCid(root)
    if (cid === null) throw new TypeError('every root must be a CID')
    return cid
  })
}

/** The block with its CID as our Cid (multiformats CIDs are accepted too). */
function checkBlock(block: CarBlock): CarBlock {
  if (block === null || typeof block !== 'object' || !(block.bytes instanceof Uint8Array)) {
    throw new TypeError('every block must be { cid: Cid, bytes: Uint8Array }')
  }
  if (block.cid instanceof Cid) return block
  const cid = asCid(block.cid)
  if (cid === null) throw new TypeError('every block must be { cid: Cid, bytes: Uint8Array }')
  return { cid, bytes: block.bytes }
}

/**
 * The header section (varint length, then DAG-CBOR `{ roots, version: 1 }`) for `roots`.
 * @throws TypeError when a root is not a Cid.
 * @example
 * const head = encodeCarHeader([commitCid]) // then the block sections, in any order
 */
export function encodeCarHeader(roots: readonly Cid[]): Uint8Array {
  const body = encode({ version: 1, roots: checkRoots(roots) })
  const out = new Uint8Array(varintLength(body.length) + body.length)
  out.set(body, writeVarint(out, 0, body.length))
  return out
}

/** Size in bytes of the section holding `block`. */
function sectionLength(block: CarBlock): number {
  const len = block.cid.bytes.length + block.bytes.length
  return varintLength(len) + len
}

function writeSection(out: Uint8Array, pos: number, block: CarBlock): number {
  const cid = block.cid.bytes
  let p = writeVarint(out, pos, cid.length + block.bytes.length)
  out.set(cid, p)
  p += cid.length
  out.set(block.bytes, p)
  return p + block.bytes.length
}

/**
 * Blocks that can be walked twice with the same result: an array (by index) or a BlockMap (its
 * own entries). writeCar sizes the file on the first walk and fills it on the second, so it
 * needs no list of its own; anything else (a generator may be one-shot) is gathered first.
 */
function rewalkable(blocks: CarBlocks): () => Iterable<CarBlock> {
  if (blocks instanceof BlockMap) return () => blockEntries(blocks)
  if (Array.isArray(blocks)) return () => blocks
  const list: CarBlock[] = []
  for (const item of blocks) list.push(checkBlock(item))
  return () => list
}

/**
 * Writes a whole CAR v1 file: the header with `roots`, then the blocks in the order given
 * (duplicates are written as given). Reading it back gives the same bytes.
 *
 * @throws TypeError when a root or a block is malformed.
 * @example
 * const bytes = writeCar([commitCid], blocks) // blocks: a BlockMap or [{ cid, bytes }, ...]
 */
export function writeCar(roots: readonly Cid[], blocks: CarBlocks): Uint8Array {
  const header = encodeCarHeader(roots)
  const walk = rewalkable(blocks)
  let total = header.length
  for (const item of walk()) total += sectionLength(checkBlock(item))
  // One allocation of the exact size, filled once: no growing, no copy of the finished file.
  const out = new Uint8Array(total)
  out.set(header, 0)
  let pos = header.length
  for (const item of walk()) pos = writeSection(out, pos, checkBlock(item))
  // Only a block whose getters answer differently on the second walk gets here.
  if (pos !== total) throw new TypeError('a block changed while the CAR was written')
  return out
}

/** Options of {@link writeCarStream}. */
export interface CarWriteStreamOptions {
  /** Sections are batched into chunks of about this many bytes (default 65,536). */
  chunkSize?: number
}

/**
 * Writes a CAR v1 file as a stream of chunks, from `roots` and an (async) iterable of blocks,
 * holding at most one chunk (or one large block) at a time. The concatenated chunks equal
 * `writeCar(roots, blocks)`.
 *
 * @throws TypeError when a root or a block is malformed (when the iteration reaches it).
 * @example
 * Readable.from(writeCarStream([root], blockSource)).pipe(fs.createWriteStream('repo.car'))
 */
export async function* writeCarStream(
  roots: readonly Cid[],
  blocks: CarBlocks | AsyncIterable<CarBlock>,
  opts?: CarWriteStreamOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  const chunkSize = opts?.chunkSize ?? 65_536
  if (!Number.isInteger(chunkSize) || chunkSize < 1)
    throw new RangeError('chunkSize must be a positive integer')
  const source = blocks instanceof BlockMap ? blocks.blocks() : blocks
  let chunk = new Uint8Array(chunkSize)
  let pos = 0
  const header = encodeCarHeader(roots)
  yield header
  for await (const item of source as AsyncIterable<CarBlock>) {
    const block = checkBlock(item)
    const size = sectionLength(block)
    if (size > chunkSize) {
      if (pos > 0) {
        yield chunk.subarray(0, pos)
        chunk = new Uint8Array(chunkSize)
        pos = 0
      }
      const big = new Uint8Array(size)
      writeSection(big, 0, block)
      yield big
      continue
    }
    if (pos + size > chunkSize) {
      yield chunk.subarray(0, pos)
      chunk = new Uint8Array(chunkSize)
      pos = 0
    }
    pos = writeSection(chunk, pos, block)
  }
  if (pos > 0) yield chunk.subarray(0, pos)
}
