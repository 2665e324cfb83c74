import { CarError } from './errors.ts'
import { readCarHeader } from './header.ts'
import { blockCid, MAX_VARINT_BYTES, SectionParser } from './section.ts'
import { type CarBlock, type CarHeader, type CarReadOptions, resolveReadOptions } from './types.ts'

/** Anything the stream reader takes: one buffer, (async) iterables of chunks, a web stream. */
export type CarSource =
  | Uint8Array
  | Iterable<Uint8Array>
  | AsyncIterable<Uint8Array>
  | ReadableStream<Uint8Array>

/** A streaming CAR reader: the header as a promise, then the blocks one at a time. */
export interface CarStreamReader extends AsyncIterable<CarBlock> {
  /** Resolves once the header is read; rejects with the CarError if it is bad. */
  readonly header: Promise<CarHeader>
  /** The blocks, each hash-checked; iterable once. Throws the CarError that stops the read. */
  readonly blocks: AsyncIterable<CarBlock>
  /** Blocks read so far (how far a failed read got). */
  readonly blocksRead: number
  /**
   * Reads every block (each hash-checked) and hands it to `visit` as a place in a buffer, building
   * no object per block: for indexes that keep offsets, not blocks. Sections inside one chunk are
   * visited synchronously, one after another. Instead of iterating, not as well; once only.
   * @throws CarError subclasses as the iteration; whatever `visit` throws (the source is closed).
   */
  forEachBlock(visit: CarBlockVisitor): Promise<void>
}

/**
 * Receives one hash-checked block: its CID is `buf[at, at + 36)` (the reader accepts only
 * 36-byte CIDs: v1, dag-cbor or raw, sha2-256) and its bytes the `length` bytes after it. `buf` is
 * a chunk of the source (or a few chunks joined): copy what you keep if the source reuses chunks.
 */
export type CarBlockVisitor = (buf: Uint8Array, at: number, length: number) => void

const EMPTY = new Uint8Array(0)

/**
 * The chunks of any {@link CarSource} as one iterator (bytes are one chunk; a ReadableStream is
 * read through a reader, which not every browser makes async-iterable).
 * @throws TypeError for a source that is none of CarSource's forms
 */
export function carSourceChunks(source: CarSource): AsyncIterator<Uint8Array> | Iterator<Uint8Array> {
  if (source instanceof Uint8Array) return [source][Symbol.iterator]()
  if (typeof ReadableStream !== 'undefined' && source instanceof ReadableStream) {
    // Not every browser makes ReadableStream async-iterable, so read it through a reader.
    const reader = source.getReader()
    return {
      next: () => reader.read() as Promise<IteratorResult<Uint8Array>>,
      return: async () => {
        await reader.cancel().catch(() => {})
        return { done: true, value: undefined }
      },
    }
  }
  if (source !== null && typeof source === 'object') {
    if (Symbol.asyncIterator in source) return (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
    if (Symbol.iterator in source) return (source as Iterable<Uint8Array>)[Symbol.iterator]()
  }
  throw new TypeError('source must be a Uint8Array, an (async) iterable of Uint8Array or a ReadableStream')
}

/**
 * Holds the unread bytes of a chunked source and makes the next n bytes contiguous when a
 * section straddles chunks. Memory stays bounded by the bytes actually received: a declared
 * length is never allocated up front.
 */
class ChunkBuffer {
  buf: Uint8Array = EMPTY
  pos = 0
  /** File offset of buf[0]. */
  base = 0
  #pending: Uint8Array | undefined
  #ended = false
  readonly #source: AsyncIterator<Uint8Array> | Iterator<Uint8Array>

  constructor(source: AsyncIterator<Uint8Array> | Iterator<Uint8Array>) {
    this.#source = source
  }

  async #nextChunk(): Promise<Uint8Array | undefined> {
    if (this.#pending) {
      const c = this.#pending
      this.#pending = undefined
      return c
    }
    while (!this.#ended) {
      const r = await this.#source.next()
      if (r.done) {
        this.#ended = true
        break
      }
      const c = r.value
      if (!(c instanceof Uint8Array)) throw new TypeError('source chunks must be Uint8Array')
      if (c.length > 0) return c
    }
    return undefined
  }

  /** Moves to the next chunk once this one is used up; false at the end of the source. */
  async advance(): Promise<boolean> {
    const c = await this.#nextChunk()
    if (!c) return false
    this.base += this.buf.length
    this.buf = c
    this.pos = 0
    return true
  }

  /**
   * Makes at least `n` bytes from `pos` contiguous in `buf` (fewer only at the end of the
   * source). Copies only the straddling section, never the whole remainder of a chunk.
   */
  async ensure(n: number): Promise<void> {
    const have = this.buf.length - this.pos
    if (have >= n) return
    const parts: Uint8Array[] = [this.buf.subarray(this.pos)]
    let total = have
    while (total < n) {
      const c = await this.#nextChunk()
      if (!c) break
      const want = n - total
      if (c.length > want) {
        parts.push(c.subarray(0, want))
        this.#pending = c.subarray(want)
        total += want
      } else {
        parts.push(c)
        total += c.length
      }
    }
    const merged = new Uint8Array(total)
    let at = 0
    for (const part of parts) {
      merged.set(part, at)
      at += part.length
    }
    this.base += this.pos
    this.buf = merged
    this.pos = 0
  }

  get ended(): boolean {
    return this.#ended && !this.#pending
  }

  async close(): Promise<void> {
    if (!this.#ended) {
      this.#ended = true
      await this.#source.return?.()
    }
  }
}

class StreamReader implements CarStreamReader {
  readonly header: Promise<CarHeader>
  readonly #chunks: ChunkBuffer
  readonly #parser: SectionParser
  #started = false

  constructor(source: CarSource, opts: Required<CarReadOptions>) {
    this.#chunks = new ChunkBuffer(carSourceChunks(source))
    this.#parser = new SectionParser(opts)
    this.header = this.#readHeader()
    // The header promise is also awaited by the block iterator; this keeps an unobserved
    // rejection from becoming an unhandled one when the caller only iterates blocks.
    this.header.catch(() => {})
  }

  get blocksRead(): number {
    return this.#parser.blocks
  }

  get blocks(): AsyncIterable<CarBlock> {
    return { [Symbol.asyncIterator]: () => this.#iterate() }
  }

  [Symbol.asyncIterator](): AsyncIterator<CarBlock> {
    return this.#iterate()
  }

  async forEachBlock(visit: CarBlockVisitor): Promise<void> {
    if (this.#started) throw new TypeError('the blocks of a CAR stream can be iterated only once')
    this.#started = true
    const c = this.#chunks
    const parser = this.#parser
    try {
      await this.header
      for (;;) {
        // Every section that lies inside the current chunk, with no await between them.
        while (c.pos < c.buf.length && parser.scanBlock(c.buf, c.pos, c.base, false)) {
          c.pos = parser.next
          visit(c.buf, parser.cidAt, parser.bytes.length)
        }
        if (c.pos >= c.buf.length) {
          if (!(await c.advance())) break
          continue
        }
        // A section straddles chunks: get its varint, then exactly its bytes.
        await c.ensure(MAX_VARINT_BYTES)
        if (!parser.scanBlock(c.buf, c.pos, c.base, c.ended)) {
          await c.ensure(sectionLength(c))
          parser.scanBlock(c.buf, c.pos, c.base, true)
        }
        c.pos = parser.next
        visit(c.buf, parser.cidAt, parser.bytes.length)
      }
    } catch (err) {
      if (err instanceof CarError) err.blocksRead = parser.blocks
      await c.close().catch(() => {})
      throw err
    }
    await c.close().catch(() => {})
  }

  async #readHeader(): Promise<CarHeader> {
    const c = this.#chunks
    const parser = this.#parser
    try {
      await c.ensure(MAX_VARINT_BYTES)
      if (!parser.parseHeader(c.buf, c.pos, c.base, c.ended, readCarHeader)) {
        // The varint is complete here (ensure gave 10 bytes or the source ended), so only the
        // header body is missing: the header length is already capped by maxHeaderBytes.
        const needed = sectionLength(c)
        await c.ensure(needed)
        parser.parseHeader(c.buf, c.pos, c.base, true, readCarHeader)
      }
    } catch (err) {
      await c.close().catch(() => {})
      throw err
    }
    c.pos = parser.next
    return parser.header!
  }

  #iterate(): AsyncIterator<CarBlock> {
    if (this.#started) throw new TypeError('the blocks of a CAR stream can be iterated only once')
    this.#started = true
    return new BlockIterator(this.header, this.#chunks, this.#parser)
  }
}

/** Varint plus body length of the section at `pos`, once its varint is in `buf`. */
function sectionLength(c: ChunkBuffer): number {
  let value = 0
  let scale = 1
  for (let p = c.pos; p < c.buf.length; p++) {
    const b = c.buf[p]!
    value += (b & 0x7f) * scale
    if (b < 0x80) return p + 1 - c.pos + value
    scale *= 128
  }
  // Unreachable after parseHeader/scanBlock returned "incomplete" with a complete varint.
  return c.buf.length - c.pos + 1
}

const DONE: IteratorResult<CarBlock> = Object.freeze({ done: true, value: undefined })

/**
 * The block iterator, written by hand rather than as an async generator: a section that lies
 * inside the current chunk is parsed synchronously and handed back as an already-resolved
 * promise, which roughly halves the per-block cost of `for await`. Only chunk boundaries go
 * through the async slow path.
 */
class BlockIterator implements AsyncIterator<CarBlock> {
  readonly #header: Promise<CarHeader>
  readonly #chunks: ChunkBuffer
  readonly #parser: SectionParser
  /** 0: header not awaited yet; 1: reading blocks; 2: finished (done, failed or returned). */
  #state = 0
  /** Set while the slow path runs, so overlapping next() calls queue behind it. */
  #busy: Promise<unknown> | undefined

  constructor(header: Promise<CarHeader>, chunks: ChunkBuffer, parser: SectionParser) {
    this.#header = header
    this.#chunks = chunks
    this.#parser = parser
  }

  next(): Promise<IteratorResult<CarBlock>> {
    if (this.#busy) return this.#busy.then(() => this.next())
    if (this.#state === 1) {
      const c = this.#chunks
      if (c.pos < c.buf.length) {
        const parser = this.#parser
        let ok: boolean
        try {
          ok = parser.scanBlock(c.buf, c.pos, c.base, false)
        } catch (err) {
          return this.#fail(err)
        }
        if (ok) {
          c.pos = parser.next
          return Promise.resolve({
            done: false,
            value: { cid: blockCid(c.buf, parser.cidAt), bytes: parser.bytes },
          })
        }
      }
    } else if (this.#state === 2) {
      return Promise.resolve(DONE)
    }
    const slow = this.#slowNext()
    this.#busy = slow.then(
      () => {
        this.#busy = undefined
      },
      () => {
        this.#busy = undefined
      },
    )
    return slow
  }

  async #slowNext(): Promise<IteratorResult<CarBlock>> {
    const c = this.#chunks
    const parser = this.#parser
    try {
      if (this.#state === 0) {
        await this.#header
        this.#state = 1
      }
      for (;;) {
        if (c.pos >= c.buf.length) {
          if (!(await c.advance())) {
            this.#state = 2
            await c.close().catch(() => {})
            return DONE
          }
          continue
        }
        if (!parser.scanBlock(c.buf, c.pos, c.base, false)) {
          // A section straddles chunks: get its varint, then exactly its bytes.
          await c.ensure(MAX_VARINT_BYTES)
          if (!parser.scanBlock(c.buf, c.pos, c.base, c.ended)) {
            await c.ensure(sectionLength(c))
            parser.scanBlock(c.buf, c.pos, c.base, true)
          }
        }
        c.pos = parser.next
        return { done: false, value: { cid: blockCid(c.buf, parser.cidAt), bytes: parser.bytes } }
      }
    } catch (err) {
      return this.#fail(err)
    }
  }

  async #fail(err: unknown): Promise<never> {
    this.#state = 2
    if (err instanceof CarError) err.blocksRead = this.#parser.blocks
    await this.#chunks.close().catch(() => {})
    throw err
  }

  async return(): Promise<IteratorResult<CarBlock>> {
    this.#state = 2
    await this.#chunks.close().catch(() => {})
    return DONE
  }
}

/**
 * Reads a CAR file from a stream without buffering it: the header, then each block, hashed
 * and checked against its CID. Takes a Uint8Array, an (async) iterable of chunks (a Node
 * stream) or a web ReadableStream. A broken stream raises (with `blocksRead`), never ends early.
 * Blocks are views into the source's chunks, so a source must not reuse a chunk it has yielded.
 *
 * @throws CarError subclasses with the byte `offset`, from `header` or from the iteration;
 *   TypeError for a source of the wrong type.
 * @example
 * const car = readCarStream(fs.createReadStream('repo.car'))
 * const { roots } = await car.header
 * for await (const { cid, bytes } of car) await store.put(cid, bytes)
 */
export function readCarStream(source: CarSource, opts?: CarReadOptions): CarStreamReader {
  return new StreamReader(source, resolveReadOptions(opts))
}
