import type { Cid } from '@rsky/dag-cbor'
import { cidMapKey } from './cid-key.ts'

interface Entry {
  readonly cid: Cid
  readonly bytes: Uint8Array
}

let adopt: (map: BlockMap, block: Entry) => void = () => {}
let entriesOf: (map: BlockMap) => Iterable<Entry> = () => []

/**
 * Stores a block object the caller will never touch again as the map's own entry, saving one
 * allocation per block when a reader fills a map (internal; not exported from the package).
 */
export function adoptBlock(map: BlockMap, block: { cid: Cid; bytes: Uint8Array }): void {
  adopt(map, block)
}

/**
 * The map's own `{ cid, bytes }` entries, in insertion order, without a new object per block
 * (internal: the CAR writer walks them twice, to size the file and to fill it).
 */
export function blockEntries(map: BlockMap): Iterable<{ readonly cid: Cid; readonly bytes: Uint8Array }> {
  return entriesOf(map)
}

/** The result of {@link BlockMap.getMany}: the blocks found and the CIDs that were not. */
export interface BlocksAndMissing {
  blocks: BlockMap
  missing: Cid[]
}

/**
 * A map from CID to block bytes, keyed by the CID's binary form (no base32 strings are built or
 * parsed per operation). Iterates `[Cid, Uint8Array]` pairs in insertion order.
 *
 * @example
 * const blocks = new BlockMap()
 * const { cid, bytes } = encodeWithCid({ hello: 'world' }) // from @rsky/dag-cbor
 * blocks.set(cid, bytes).get(cid) // the DAG-CBOR bytes
 */
export class BlockMap implements Iterable<[Cid, Uint8Array]> {
  readonly #map = new Map<string, Entry>()
  #byteSize = 0

  static {
    entriesOf = (map) => map.#map.values()
    adopt = (map, block) => {
      const key = cidMapKey(block.cid)
      const old = map.#map.get(key)
      if (old) map.#byteSize -= old.bytes.length
      map.#map.set(key, block)
      map.#byteSize += block.bytes.length
    }
  }

  /** A map holding `entries` (later duplicates win). */
  constructor(entries?: Iterable<readonly [Cid, Uint8Array]>) {
    if (entries) for (const [cid, bytes] of entries) this.set(cid, bytes)
  }

  /** Stores `bytes` under `cid` (the caller vouches that they match). */
  set(cid: Cid, bytes: Uint8Array): this {
    const key = cidMapKey(cid)
    const old = this.#map.get(key)
    if (old) this.#byteSize -= old.bytes.length
    this.#map.set(key, { cid, bytes })
    this.#byteSize += bytes.length
    return this
  }

  /** The bytes stored under `cid`, if any. */
  get(cid: Cid): Uint8Array | undefined {
    return this.#map.get(cidMapKey(cid))?.bytes
  }

  /** Whether a block is stored under `cid`. */
  has(cid: Cid): boolean {
    return this.#map.has(cidMapKey(cid))
  }

  /** Removes the block under `cid`; returns whether there was one. */
  delete(cid: Cid): boolean {
    const key = cidMapKey(cid)
    const old = this.#map.get(key)
    if (!old) return false
    this.#map.delete(key)
    this.#byteSize -= old.bytes.length
    return true
  }

  /** Removes every block. */
  clear(): void {
    this.#map.clear()
    this.#byteSize = 0
  }

  /** The blocks of `cids` that are present, and the CIDs that are not (in the order given). */
  getMany(cids: Iterable<Cid>): BlocksAndMissing {
    const blocks = new BlockMap()
    const missing: Cid[] = []
    for (const cid of cids) {
      const entry = this.#map.get(cidMapKey(cid))
      if (entry) blocks.set(entry.cid, entry.bytes)
      else missing.push(cid)
    }
    return { blocks, missing }
  }

  /** Copies every block of `other` into this map. */
  addMap(other: BlockMap): this {
    for (const entry of other.#map.values()) this.set(entry.cid, entry.bytes)
    return this
  }

  /** Number of blocks. */
  get size(): number {
    return this.#map.size
  }

  /** Sum of the block byte lengths (CIDs not counted). */
  get byteSize(): number {
    return this.#byteSize
  }

  /** Whether both maps hold the same CIDs with byte-equal blocks. */
  equals(other: BlockMap): boolean {
    if (this.size !== other.size || this.#byteSize !== other.#byteSize) return false
    for (const [key, entry] of this.#map) {
      const theirs = other.#map.get(key)
      if (!theirs || !bytesEqual(entry.bytes, theirs.bytes)) return false
    }
    return true
  }

  /** The CIDs, in insertion order. */
  *cids(): IterableIterator<Cid> {
    for (const entry of this.#map.values()) yield entry.cid
  }

  /** `{ cid, bytes }` pairs, in insertion order (the shape the CAR writer takes). */
  *blocks(): IterableIterator<{ cid: Cid; bytes: Uint8Array }> {
    for (const entry of this.#map.values()) yield { cid: entry.cid, bytes: entry.bytes }
  }

  /** `[cid, bytes]` pairs, in insertion order. */
  *entries(): IterableIterator<[Cid, Uint8Array]> {
    for (const entry of this.#map.values()) yield [entry.cid, entry.bytes]
  }

  /** The block bytes, in insertion order. */
  *values(): IterableIterator<Uint8Array> {
    for (const entry of this.#map.values()) yield entry.bytes
  }

  /** Calls `fn(bytes, cid)` for every block, in insertion order. */
  forEach(fn: (bytes: Uint8Array, cid: Cid) => void): void {
    for (const entry of this.#map.values()) fn(entry.bytes, entry.cid)
  }

  [Symbol.iterator](): IterableIterator<[Cid, Uint8Array]> {
    return this.entries()
  }
}

/**
 * A set of CIDs keyed by their binary form. Iterates in insertion order.
 *
 * @example
 * const seen = new CidSet([a])
 * seen.has(a) // true
 */
export class CidSet implements Iterable<Cid> {
  readonly #map = new Map<string, Cid>()

  /** A set holding `cids`. */
  constructor(cids?: Iterable<Cid>) {
    if (cids) for (const cid of cids) this.add(cid)
  }

  /** Adds `cid`. */
  add(cid: Cid): this {
    this.#map.set(cidMapKey(cid), cid)
    return this
  }

  /** Adds every CID of `other`. */
  addSet(other: CidSet): this {
    for (const [key, cid] of other.#map) this.#map.set(key, cid)
    return this
  }

  /** Removes `cid`; returns whether it was there. */
  delete(cid: Cid): boolean {
    return this.#map.delete(cidMapKey(cid))
  }

  /** Removes every CID of `other`. */
  subtractSet(other: CidSet): this {
    for (const key of other.#map.keys()) this.#map.delete(key)
    return this
  }

  /** Whether `cid` is in the set. */
  has(cid: Cid): boolean {
    return this.#map.has(cidMapKey(cid))
  }

  /** Removes every CID. */
  clear(): void {
    this.#map.clear()
  }

  /** Number of CIDs. */
  get size(): number {
    return this.#map.size
  }

  /** The CIDs as an array, in insertion order. */
  toList(): Cid[] {
    return [...this.#map.values()]
  }

  /** The CIDs, in insertion order. */
  values(): IterableIterator<Cid> {
    return this.#map.values()
  }

  [Symbol.iterator](): IterableIterator<Cid> {
    return this.#map.values()
  }
}

/** Byte equality of two arrays. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
