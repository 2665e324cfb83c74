// Shared fixtures for the car tests: seeded block sets and small CARs built by hand.
import { type Cid, cidForRaw, encodeWithCid } from '@rsky/dag-cbor'
import fc from 'fast-check'
import {
  type CarBlock,
  CarError,
  type CarReadOptions,
  type CarSource,
  iterateCar,
  readCarStream,
} from '../src/index.ts'

/** A block from a seed: dag-cbor records or raw bytes. */
export function makeBlock(kind: 'cbor' | 'raw', data: Uint8Array, n: number): CarBlock {
  if (kind === 'raw') return { cid: cidForRaw(data), bytes: data }
  const { cid, bytes } = encodeWithCid({ $type: 'test.block', n, data, text: `block ${n}` })
  return { cid, bytes }
}

/** Bytes of length `n` filled from `seed` (cheap for fast-check to make large blocks). */
function seededBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed | 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

/** Block data: small arbitrary arrays, or up to 40 KB so lengths take 1-3 varint bytes. */
const dataArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  fc.tuple(fc.nat({ max: 40_000 }), fc.integer()).map(([n, seed]) => seededBytes(n, seed)),
)

/** fast-check: a list of 0-12 blocks (duplicates possible) of 0-40,000 data bytes. */
export const blocksArb: fc.Arbitrary<CarBlock[]> = fc
  .array(fc.tuple(fc.constantFrom('cbor' as const, 'raw' as const), dataArb), {
    maxLength: 12,
  })
  .map((items) => items.map(([kind, data], n) => makeBlock(kind, data, n)))

/** fast-check: roots (0-3 CIDs). */
export const rootsArb: fc.Arbitrary<Cid[]> = fc
  .array(fc.uint8Array({ maxLength: 40 }), { maxLength: 3 })
  .map((items) => items.map((d) => cidForRaw(d)))

/** Three small blocks and their roots, for hand-made hostile CARs. */
export function smallBlocks(): { roots: Cid[]; blocks: CarBlock[] } {
  const blocks = [
    makeBlock('cbor', new Uint8Array([1, 2, 3]), 0),
    makeBlock('raw', new TextEncoder().encode('hello world'), 1),
    makeBlock('cbor', new Uint8Array(200).fill(7), 2),
  ]
  return { roots: [blocks[0]!.cid], blocks }
}

export function varint(n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n % 128) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return out
}

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)))
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0))
  let at = 0
  for (const a of arrays) {
    out.set(a, at)
    at += a.length
  }
  return out
}

/** Splits `bytes` at the given cut points (sorted, deduplicated, inside the array). */
export function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.min(Math.max(c, 0), bytes.length)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let prev = 0
  for (const p of points) {
    out.push(bytes.subarray(prev, p))
    prev = p
  }
  out.push(bytes.subarray(prev))
  return out
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** A comparable summary of a block list. */
export function summary(blocks: Iterable<CarBlock>): string[] {
  const out: string[] = []
  for (const b of blocks) out.push(`${hex(b.cid.bytes)}:${hex(b.bytes)}`)
  return out
}

/** What a read came to: the roots and blocks, or the error's identity. */
export type Outcome =
  | { ok: true; roots: string[]; blocks: string[] }
  | { ok: false; name: string; code: string; offset: number; blocksRead: number }

function errorOutcome(err: unknown): Outcome {
  if (!(err instanceof CarError)) throw err
  return { ok: false, name: err.name, code: err.code, offset: err.offset, blocksRead: err.blocksRead }
}

/** Reads a whole buffer with iterateCar. */
export function readSync(bytes: Uint8Array, opts?: CarReadOptions): Outcome {
  try {
    const car = iterateCar(bytes, opts)
    const blocks = summary(car)
    return { ok: true, roots: car.header.roots.map((r) => hex(r.bytes)), blocks }
  } catch (err) {
    return errorOutcome(err)
  }
}

/** Reads chunks with readCarStream. */
export async function readStream(source: CarSource, opts?: CarReadOptions): Promise<Outcome> {
  try {
    const car = readCarStream(source, opts)
    const blocks: CarBlock[] = []
    for await (const block of car) blocks.push(block)
    const header = await car.header
    return { ok: true, roots: header.roots.map((r) => hex(r.bytes)), blocks: summary(blocks) }
  } catch (err) {
    return errorOutcome(err)
  }
}

/** Reads chunks with readCarStream's forEachBlock (no object per block), as the same Outcome. */
export async function readVisited(source: CarSource, opts?: CarReadOptions): Promise<Outcome> {
  try {
    const car = readCarStream(source, opts)
    const blocks: string[] = []
    await car.forEachBlock((buf, at, length) => {
      blocks.push(`${hex(buf.subarray(at, at + 36))}:${hex(buf.subarray(at + 36, at + 36 + length))}`)
    })
    const header = await car.header
    return { ok: true, roots: header.roots.map((r) => hex(r.bytes)), blocks }
  } catch (err) {
    return errorOutcome(err)
  }
}
