import type { Cid } from '@rsky/dag-cbor'
import { adoptBlock, BlockMap } from './block-map.ts'
import { CarError, CarInvalidHeaderError } from './errors.ts'
import { readCarHeader } from './header.ts'
import { blockCid, SectionParser } from './section.ts'
import { type CarBlock, type CarHeader, type CarReadOptions, resolveReadOptions } from './types.ts'

/** A synchronous reader over a whole CAR buffer: the header, then an iterator of blocks. */
export interface CarIterator extends IterableIterator<CarBlock> {
  readonly header: CarHeader
  /** Blocks read so far. */
  readonly blocksRead: number
}

class BufferCarIterator implements CarIterator {
  readonly header: CarHeader
  readonly #buf: Uint8Array
  readonly #parser: SectionParser
  #pos: number
  #done = false

  constructor(buf: Uint8Array, parser: SectionParser) {
    this.#buf = buf
    this.#parser = parser
    parser.parseHeader(buf, 0, 0, true, readCarHeader)
    this.header = parser.header!
    this.#pos = parser.next
  }

  get blocksRead(): number {
    return this.#parser.blocks
  }

  next(): IteratorResult<CarBlock> {
    const buf = this.#buf
    if (this.#done || this.#pos >= buf.length) {
      this.#done = true
      return { done: true, value: undefined }
    }
    const parser = this.#parser
    try {
      parser.scanBlock(buf, this.#pos, 0, true)
    } catch (err) {
      this.#done = true
      if (err instanceof CarError) err.blocksRead = parser.blocks
      throw err
    }
    this.#pos = parser.next
    return { done: false, value: { cid: blockCid(buf, parser.cidAt), bytes: parser.bytes } }
  }

  [Symbol.iterator](): CarIterator {
    return this
  }
}

/**
 * Reads a CAR file held in memory one block at a time, hashing each block against its CID.
 * The header is read (and checked) at once; blocks are subarrays of `bytes` (no copies).
 *
 * @throws CarError subclasses (with `offset`) for a bad header at once, and for a bad block
 *   when iteration reaches it; TypeError when `bytes` is not a Uint8Array.
 * @example
 * const car = iterateCar(bytes)
 * console.log(car.header.roots)
 * for (const { cid, bytes } of car) store.put(cid, bytes)
 */
export function iterateCar(bytes: Uint8Array, opts?: CarReadOptions): CarIterator {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array')
  return new BufferCarIterator(bytes, new SectionParser(resolveReadOptions(opts)))
}

/** A whole CAR file: its roots and its blocks. */
export interface CarContents {
  roots: Cid[]
  blocks: BlockMap
}

/**
 * Reads a whole CAR buffer into a {@link BlockMap}, every block hash-checked. Duplicate blocks
 * collapse into one entry. All or nothing: any bad byte raises.
 *
 * @throws CarError subclasses with the byte `offset`; TypeError when `bytes` is not a Uint8Array.
 * @example
 * const { roots, blocks } = readCar(bytes)
 * const commit = blocks.get(roots[0])
 */
export function readCar(bytes: Uint8Array, opts?: CarReadOptions): CarContents {
  const car = iterateCar(bytes, opts)
  return { roots: car.header.roots, blocks: collect(car) }
}

function collect(car: CarIterator): BlockMap {
  const blocks = new BlockMap()
  // Each yielded block object is fresh and ours alone, so the map keeps it as its entry.
  for (const block of car) adoptBlock(blocks, block)
  return blocks
}

/** A repository CAR: its first root (the commit) and its blocks. */
export interface CarWithRoot {
  root: Cid
  blocks: BlockMap
}

/**
 * {@link readCar} for repository CARs: the first root is the commit (the repository spec lets
 * further roots follow, with no meaning yet).
 *
 * @throws CarInvalidHeaderError when the header has no root; CarError subclasses as readCar.
 * @example
 * const { root, blocks } = readCarWithRoot(bytes)
 * const commit = decode(blocks.get(root)!)
 */
export function readCarWithRoot(bytes: Uint8Array, opts?: CarReadOptions): CarWithRoot {
  const car = iterateCar(bytes, opts)
  const root = car.header.roots[0]
  if (root === undefined) throw new CarInvalidHeaderError({ reason: 'no roots', offset: 0 })
  return { root, blocks: collect(car) }
}
