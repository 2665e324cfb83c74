// The blocks of a repository CAR by CID, with memory bounded by configuration instead of by the
// repository: blocks are copied into in-memory slabs up to `memoryBytes`, and every block after
// that is appended to a temporary file (unlinked at once, so a killed process leaves nothing
// behind) and read back with a positioned read when the walk reaches it. Per block the index keeps
// about 30 bytes of typed arrays (location, length, two digest words, hash table slot), never an
// object, so a 1,000,000-record repository (about 1.3 million blocks) costs about 40 MB of index.
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CarReadOptions, type CarSource, readCarStream } from '@rsky/car'
import type { Cid } from '@rsky/dag-cbor'
import { bucketOfWords, digestWord } from '@rsky/repo'

/** The only CID form a CAR block may have (the reader refuses others): v1, one-byte codec, sha2-256. */
const CID_LENGTH = 36
/** In-memory blocks go into slabs growing up to this size (larger blocks get their own). */
const SLAB_BYTES = 4 * 1024 * 1024
const FIRST_SLAB_BYTES = 64 * 1024
/** Spooled blocks are gathered into writes of this size. */
const WRITE_BYTES = 1024 * 1024
/** Marks a block that lives in the spool file rather than in a slab. */
const IN_FILE = 0xffffffff

/** Where and how much of a backfill stays in memory. */
export interface SpoolOptions {
  /** CAR bytes held in memory before the rest goes to a temporary file (default 32 MiB). */
  memoryBytes?: number
  /** Directory of the temporary file (default the OS temporary directory). */
  spoolDir?: string
}

/** Defaults of {@link SpoolOptions} (`spoolDir` '' means the OS temporary directory). */
export const DEFAULT_SPOOL: Readonly<Required<SpoolOptions>> = Object.freeze({
  memoryBytes: 32 * 1024 * 1024,
  spoolDir: '',
})

function sameCid(a: Uint8Array, at: number, b: Uint8Array, bt: number): boolean {
  for (let j = 0; j < CID_LENGTH; j++) if (a[at + j] !== b[bt + j]) return false
  return true
}

/**
 * Every block of a CAR by CID (each hash-checked by `@rsky/car` as it was read), in slabs up to a
 * memory budget and in a temporary file past it. Implements the lookups `walkRecordTree` needs.
 * Call {@link close} when done: it closes (and so frees) the temporary file.
 */
export class SpooledBlocks {
  /** The CAR's roots, from its header. */
  readonly roots: Cid[]
  readonly #slabs: Uint8Array[] = []
  /** Per block: its slab, or IN_FILE. */
  #slabOf: Uint32Array
  /** Per block: where its 36-byte CID starts (in its slab or in the file); the block bytes follow. */
  #at: Float64Array
  #len: Uint32Array
  /** Per block: digest bytes 0..8 as two words, compared before anything is read back. */
  #w: Int32Array
  #count = 0
  /** Open addressing: block number + 1, or 0 for an empty bucket. */
  #table: Int32Array
  #mask: number
  #fd: number | undefined
  #fileBytes = 0
  /** Spooled bytes not yet written (they sit after `#fileBytes - #pendingLen`). */
  #pending: Uint8Array | undefined
  #pendingLen = 0
  /** The last block read back from the file, so `indexOf` then `bytesAt` reads it once. */
  #lastN = -1
  #lastBytes: Uint8Array | undefined

  private constructor(roots: Cid[]) {
    this.roots = roots
    const cap = 256
    this.#slabOf = new Uint32Array(cap)
    this.#at = new Float64Array(cap)
    this.#len = new Uint32Array(cap)
    this.#w = new Int32Array(cap * 2)
    this.#table = new Int32Array(cap * 2)
    this.#mask = this.#table.length - 1
  }

  /**
   * Reads a CAR stream (every block hash-checked) into memory slabs up to `memoryBytes` and a
   * temporary file past it.
   * @throws CarError subclasses with the byte offset; file system errors of the spool directory
   */
  static async fromStream(
    source: CarSource,
    opts: SpoolOptions & { carLimits?: CarReadOptions } = {},
  ): Promise<SpooledBlocks> {
    const memoryBytes = opts.memoryBytes ?? DEFAULT_SPOOL.memoryBytes
    if (!(Number.isSafeInteger(memoryBytes) && memoryBytes >= 0))
      throw new RangeError('memoryBytes must be a non-negative integer')
    const car = readCarStream(source, opts.carLimits)
    const blocks = new SpooledBlocks((await car.header).roots)
    // os.tmpdir() costs tens of µs per call; most repositories never spool, so it is read on the first spill
    const spoolDir = opts.spoolDir
    try {
      let slab = new Uint8Array(0)
      let used = 0
      let held = 0
      // The reader hands each hash-checked section in place: its 36-byte CID at `at`, the block's
      // `len` bytes right after, so each block is one copy and no object.
      await car.forEachBlock((buf, at, len) => {
        const need = CID_LENGTH + len
        const fits = used + need <= slab.length
        if (blocks.#fd === undefined && (fits || held + need <= memoryBytes)) {
          if (!fits) {
            // Slabs double from 64 KiB up to 4 MiB: a small repository never pays for zeroing 4 MiB.
            const want = Math.min(SLAB_BYTES, Math.max(FIRST_SLAB_BYTES, slab.length * 2))
            const size = Math.min(Math.max(want, need), Math.max(need, memoryBytes - held))
            slab = new Uint8Array(size)
            blocks.#slabs.push(slab)
            held += size
            used = 0
          }
          slab.set(buf.subarray(at, at + need), used)
          blocks.#add(slab, blocks.#slabs.length - 1, used, len)
          used += need
        } else {
          blocks.#spool(buf, at, len, spoolDir)
        }
      })
      blocks.#flush()
      return blocks
    } catch (err) {
      blocks.close()
      throw err
    }
  }

  /** Number of distinct blocks. */
  get size(): number {
    return this.#count
  }

  /** Whether some blocks went to the temporary file. */
  get spooled(): boolean {
    return this.#fd !== undefined
  }

  /** Bytes written to the temporary file. */
  get spooledBytes(): number {
    return this.#fileBytes
  }

  /** Block number of `cid`, or -1 when the CAR does not hold it. */
  indexOf(cid: Cid): number {
    const b = cid.bytes
    return b.length === CID_LENGTH ? this.#find(b, 0, digestWord(b, 4), digestWord(b, 8)) : -1
  }

  /** Bytes of block number `n`: a view into a slab, or a fresh buffer read from the file. */
  bytesAt(n: number): Uint8Array {
    const slab = this.#slabOf[n] as number
    const at = this.#at[n] as number
    const len = this.#len[n] as number
    if (slab !== IN_FILE)
      return (this.#slabs[slab] as Uint8Array).subarray(at + CID_LENGTH, at + CID_LENGTH + len)
    if (n === this.#lastN && this.#lastBytes !== undefined) {
      const out = this.#lastBytes
      this.#lastN = -1
      this.#lastBytes = undefined
      return out.subarray(CID_LENGTH)
    }
    return this.#readBack(at, CID_LENGTH + len).subarray(CID_LENGTH)
  }

  /** Bytes of the block `cid`, or undefined. */
  get(cid: Cid): Uint8Array | undefined {
    const n = this.indexOf(cid)
    return n < 0 ? undefined : this.bytesAt(n)
  }

  /** Frees the slabs and closes the temporary file (a second call does nothing). */
  close(): void {
    this.#slabs.length = 0
    this.#pending = undefined
    this.#lastBytes = undefined
    if (this.#fd !== undefined) {
      const fd = this.#fd
      this.#fd = undefined
      closeSync(fd)
    }
  }

  /** Appends the section `buf[at, at + 36 + len)` (CID, then block) to the spool file. */
  #spool(buf: Uint8Array, at: number, len: number, spoolDir: string | undefined): void {
    if (this.#fd === undefined) {
      const path = join(
        spoolDir || tmpdir(),
        `rsky-mirror-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.car`,
      )
      this.#fd = openSync(path, 'wx+', 0o600)
      // Unlinked at once: the file lives while it is open, and a killed process leaves nothing.
      unlinkSync(path)
      this.#pending = new Uint8Array(WRITE_BYTES)
    }
    const w0 = digestWord(buf, at + 4)
    const w1 = digestWord(buf, at + 8)
    const slot = this.#freeSlot(buf, at, w0, w1)
    if (slot < 0) return // the same block twice: keep the first
    const need = CID_LENGTH + len
    let pending = this.#pending as Uint8Array
    if (this.#pendingLen + need > pending.length) {
      this.#flush()
      if (need > pending.length) {
        pending = new Uint8Array(need)
        this.#pending = pending
      }
    }
    const offset = this.#fileBytes
    pending.set(buf.subarray(at, at + need), this.#pendingLen)
    this.#pendingLen += need
    this.#fileBytes += need
    this.#push(IN_FILE, offset, len, w0, w1, slot)
  }

  #flush(): void {
    if (this.#fd === undefined || this.#pendingLen === 0) return
    const pending = this.#pending as Uint8Array
    const start = this.#fileBytes - this.#pendingLen
    let done = 0
    while (done < this.#pendingLen)
      done += writeSync(this.#fd, pending, done, this.#pendingLen - done, start + done)
    this.#pendingLen = 0
    if (pending.length > WRITE_BYTES) this.#pending = new Uint8Array(WRITE_BYTES)
  }

  /** `len` bytes at file offset `at`, from the write buffer or the file. */
  #readBack(at: number, len: number): Uint8Array {
    const unwritten = this.#fileBytes - this.#pendingLen
    if (at >= unwritten) return (this.#pending as Uint8Array).slice(at - unwritten, at - unwritten + len)
    if (this.#fd === undefined) throw new Error('SpooledBlocks: read after close')
    // from Node's pooled allocator: a million small reads are not a million backing stores
    const pooled = Buffer.allocUnsafe(len)
    const out = new Uint8Array(pooled.buffer, pooled.byteOffset, len)
    let got = 0
    while (got < len) {
      const n = readSync(this.#fd, out, got, len - got, at + got)
      if (n === 0) throw new Error(`SpooledBlocks: the spool file is short; at=${at + got}`)
      got += n
    }
    return out
  }

  /** Indexes the section copied to `buf[at, …)`, slab number `slab`. */
  #add(buf: Uint8Array, slab: number, at: number, len: number): void {
    const w0 = digestWord(buf, at + 4)
    const w1 = digestWord(buf, at + 8)
    const slot = this.#freeSlot(buf, at, w0, w1)
    if (slot < 0) return // the same block twice: keep the first
    this.#push(slab, at, len, w0, w1, slot)
  }

  /** Adds a block whose bucket is `slot` (the free one its lookup ended on). */
  #push(slab: number, at: number, len: number, w0: number, w1: number, slot: number): void {
    if (this.#count === this.#at.length) this.#grow()
    const n = this.#count++
    this.#slabOf[n] = slab
    this.#at[n] = at
    this.#len[n] = len
    this.#w[2 * n] = w0
    this.#w[2 * n + 1] = w1
    if (this.#count * 2 > this.#table.length) this.#rehash()
    else this.#table[slot] = n + 1
  }

  #place(n: number): void {
    const table = this.#table
    const mask = this.#mask
    let i = bucketOfWords(this.#w[2 * n] as number, this.#w[2 * n + 1] as number) & mask
    while (table[i] !== 0) i = (i + 1) & mask
    table[i] = n + 1
  }

  #grow(): void {
    const cap = this.#at.length * 2
    const slabOf = new Uint32Array(cap)
    slabOf.set(this.#slabOf)
    this.#slabOf = slabOf
    const at = new Float64Array(cap)
    at.set(this.#at)
    this.#at = at
    const len = new Uint32Array(cap)
    len.set(this.#len)
    this.#len = len
    const w = new Int32Array(cap * 2)
    w.set(this.#w)
    this.#w = w
  }

  #rehash(): void {
    this.#table = new Int32Array(this.#table.length * 2)
    this.#mask = this.#table.length - 1
    for (let n = 0; n < this.#count; n++) this.#place(n)
  }

  /**
   * The free bucket where the CID in `key[from, from + 36)` would go, or -1 when a block of that
   * CID is already held: one probe both checks for a duplicate and finds the place.
   */
  #freeSlot(key: Uint8Array, from: number, w0: number, w1: number): number {
    const table = this.#table
    const mask = this.#mask
    const w = this.#w
    for (let i = bucketOfWords(w0, w1) & mask; ; i = (i + 1) & mask) {
      const e = table[i] as number
      if (e === 0) return i
      const n = e - 1
      if (w[2 * n] !== w0 || w[2 * n + 1] !== w1) continue
      const slab = this.#slabOf[n] as number
      const same =
        slab !== IN_FILE
          ? sameCid(this.#slabs[slab] as Uint8Array, this.#at[n] as number, key, from)
          : sameCid(this.#readBack(this.#at[n] as number, CID_LENGTH), 0, key, from)
      if (same) return -1
    }
  }

  /** Block number of the CID in `key[from, from + 36)` (whose digest words are w0, w1), or -1. */
  #find(key: Uint8Array, from: number, w0: number, w1: number): number {
    const table = this.#table
    const mask = this.#mask
    const w = this.#w
    for (let i = bucketOfWords(w0, w1) & mask; ; i = (i + 1) & mask) {
      const e = table[i] as number
      if (e === 0) return -1
      const n = e - 1
      if (w[2 * n] !== w0 || w[2 * n + 1] !== w1) continue
      // Digest words agree: compare the whole CID where the block lives.
      const slab = this.#slabOf[n] as number
      if (slab !== IN_FILE) {
        if (sameCid(this.#slabs[slab] as Uint8Array, this.#at[n] as number, key, from)) return n
        continue
      }
      const bytes = this.#readBack(this.#at[n] as number, CID_LENGTH + (this.#len[n] as number))
      if (sameCid(bytes, 0, key, from)) {
        this.#lastN = n
        this.#lastBytes = bytes
        return n
      }
    }
  }
}
