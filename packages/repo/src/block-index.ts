// The blocks of a hash-checked repository CAR, found by CID through typed arrays instead of a
// Map entry, key string, Cid and byte view per block. For a 100,000-record CAR (126,000 blocks)
// a BlockMap costs well over 100 MB of small objects that the collector must trace; this index
// costs about 3.5 MB, and a buffer CAR is not copied at all.
import { type CarReadOptions, type CarSource, readCarStream, scanCar } from '@rsky/car'
import type { Cid } from '@rsky/dag-cbor'
import { cidBucketHash } from './cid-bucket.ts'

/** The only CID form a CAR block may have (the reader refuses others): v1, one-byte codec, sha2-256. */
const CID_LENGTH = 36
/** Blocks copied from a stream go into slabs of this size (larger blocks get their own). */
const SLAB_BYTES = 4 * 1024 * 1024

/**
 * Every block of a CAR by CID, each hash-checked by `@rsky/car` as it was read. Holds offsets into
 * the CAR buffer (or into slabs the blocks of a stream are copied to), not objects.
 * @example
 * const index = CarBlockIndex.fromBytes(carBytes)
 * const bytes = index.get(index.roots[0])
 */
export class CarBlockIndex {
  /** The CAR's roots, from its header. */
  readonly roots: Cid[]
  readonly #slabs: Uint8Array[]
  /** Per block: its slab (streams only; a buffer CAR is one slab). */
  #slabOf: Uint16Array | Uint32Array | null
  /** Per block: where its 36-byte CID starts in its slab; the block bytes follow it. */
  #at: Float64Array
  #len: Uint32Array
  /** Per block: the bucket hash of its CID (compared before the CID bytes, reused on rehash). */
  #hash: Int32Array
  #count = 0
  /** Open addressing: block number + 1, or 0 for an empty bucket. */
  #table: Int32Array
  #mask: number

  private constructor(roots: Cid[], slabs: Uint8Array[], streamed: boolean, expected: number) {
    this.roots = roots
    this.#slabs = slabs
    const cap = Math.max(64, expected)
    this.#slabOf = streamed ? new Uint32Array(cap) : null
    this.#at = new Float64Array(cap)
    this.#len = new Uint32Array(cap)
    this.#hash = new Int32Array(cap)
    let size = 256
    while (size < cap * 2) size *= 2
    this.#table = new Int32Array(size)
    this.#mask = size - 1
  }

  /**
   * Indexes a CAR held in memory (every block hash-checked); nothing is copied.
   * @throws CarError subclasses with the byte offset
   */
  static fromBytes(bytes: Uint8Array, opts?: CarReadOptions): CarBlockIndex {
    const roots: Cid[] = []
    // A repository block averages a few hundred bytes; start near the final count.
    const index = new CarBlockIndex(roots, [bytes], false, Math.ceil((bytes?.length ?? 0) / 256))
    // scanCar reports each block's 36-byte CID position in `bytes`, hash-checked, with no Cid per block.
    roots.push(...scanCar(bytes, (_, at, len) => index.#add(0, at, len), opts).roots)
    return index
  }

  /** @internal An empty index for {@link indexCarStream} to copy blocks into. */
  static forCopies(roots: Cid[]): CarBlockIndex {
    return new CarBlockIndex(roots, [], true, 4096)
  }

  /** @internal Adds a slab for {@link indexCarStream} to copy blocks into; returns its number. */
  addSlab(slab: Uint8Array): number {
    return this.#slabs.push(slab) - 1
  }

  /**
   * @internal Indexes a hash-checked block copied into slab `slab`: its 36-byte CID at `at`, then
   * `len` block bytes.
   */
  indexCopied(slab: number, at: number, len: number): void {
    this.#add(slab, at, len)
  }

  /** Number of distinct blocks. */
  get size(): number {
    return this.#count
  }

  #add(slab: number, at: number, len: number): void {
    const buf = this.#slabs[slab] as Uint8Array
    const h = cidBucketHash(buf, at)
    if (this.#find(buf, at, h) >= 0) return // the same block twice: keep the first
    if (this.#count === this.#at.length) this.#grow()
    const n = this.#count++
    if (this.#slabOf) this.#slabOf[n] = slab
    this.#at[n] = at
    this.#len[n] = len
    this.#hash[n] = h
    if (this.#count * 2 > this.#table.length) this.#rehash()
    else this.#place(h, n)
  }

  #place(h: number, n: number): void {
    const table = this.#table
    const mask = this.#mask
    let i = h & mask
    while (table[i] !== 0) i = (i + 1) & mask
    table[i] = n + 1
  }

  #grow(): void {
    const cap = this.#at.length * 2
    const at = new Float64Array(cap)
    at.set(this.#at)
    this.#at = at
    const len = new Uint32Array(cap)
    len.set(this.#len)
    this.#len = len
    const hash = new Int32Array(cap)
    hash.set(this.#hash)
    this.#hash = hash
    if (this.#slabOf) {
      const slabOf = new Uint32Array(cap)
      slabOf.set(this.#slabOf)
      this.#slabOf = slabOf
    }
  }

  #rehash(): void {
    this.#table = new Int32Array(this.#table.length * 2)
    this.#mask = this.#table.length - 1
    const hash = this.#hash
    for (let n = 0; n < this.#count; n++) this.#place(hash[n] as number, n)
  }

  #slab(n: number): Uint8Array {
    return this.#slabs[this.#slabOf ? (this.#slabOf[n] as number) : 0] as Uint8Array
  }

  /** Block number of the CID at `key[from..from+36)` whose bucket hash is `h`, or -1. */
  #find(key: Uint8Array, from: number, h: number): number {
    const table = this.#table
    const mask = this.#mask
    const hash = this.#hash
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = table[i] as number
      if (e === 0) return -1
      const n = e - 1
      if (hash[n] !== h) continue
      const buf = this.#slab(n)
      const at = this.#at[n] as number
      // The digest first: every CID here shares its first four bytes.
      let j = CID_LENGTH - 1
      while (j >= 0 && buf[at + j] === key[from + j]) j--
      if (j < 0) return n
    }
  }

  /** Block number of `cid`, or -1 when the CAR does not hold it. */
  indexOf(cid: Cid): number {
    const b = cid.bytes
    return b.length === CID_LENGTH ? this.#find(b, 0, cidBucketHash(b, 0)) : -1
  }

  /** Bytes of block number `n` (a view into the CAR or a slab). */
  bytesAt(n: number): Uint8Array {
    const at = (this.#at[n] as number) + CID_LENGTH
    return this.#slab(n).subarray(at, at + (this.#len[n] as number))
  }

  /** Bytes of the block `cid`, or undefined. */
  get(cid: Cid): Uint8Array | undefined {
    const n = this.indexOf(cid)
    return n < 0 ? undefined : this.bytesAt(n)
  }

  /** Whether the CAR holds the block `cid`. */
  has(cid: Cid): boolean {
    return this.indexOf(cid) >= 0
  }
}

/**
 * Indexes a streamed CAR (every block hash-checked), copying the blocks into a few large slabs. A
 * function rather than a static method of {@link CarBlockIndex}, so a bundle that indexes only
 * bytes (`CarBlockIndex.fromBytes`) does not carry the stream reader.
 * @throws CarError subclasses with the byte offset
 * @example const index = await indexCarStream(response.body)
 */
export async function indexCarStream(source: CarSource, opts?: CarReadOptions): Promise<CarBlockIndex> {
  const car = readCarStream(source, opts)
  const { roots } = await car.header
  const index = CarBlockIndex.forCopies(roots)
  let slab = new Uint8Array(0)
  let slabNo = -1
  let used = 0
  await car.forEachBlock((buf, at, len) => {
    const need = CID_LENGTH + len
    if (used + need > slab.length) {
      slab = new Uint8Array(Math.max(SLAB_BYTES, need))
      slabNo = index.addSlab(slab)
      used = 0
    }
    // The CID and the bytes are adjacent in the section: one copy.
    slab.set(buf.subarray(at, at + need), used)
    index.indexCopied(slabNo, used, len)
    used += need
  })
  return index
}
