// The browser's bytes-index.ts (through the "imports" map, #bytes-index): the blocks of a CAR in
// memory in a Map keyed by the CID's bytes as a binary string, with each block's start and end.
// Smaller than the typed-array CarBlockIndex (a browser reads one repository at a time); the same
// checks, since scanCar hash-checks every block either way.
import { type CarReadOptions, scanCar } from '@rsky/car'
import type { Cid } from '@rsky/dag-cbor'
import type { BytesIndex } from './bytes-index.ts'

// apply rather than a spread: about 2.5x faster in V8 for the 36 bytes
const keyOf = (b: Uint8Array, at: number): string =>
  String.fromCharCode.apply(null, b.subarray(at, at + 36) as unknown as number[])

/**
 * Indexes a CAR held in memory, every block hash-checked; a block seen twice keeps its first copy.
 * @throws CarError subclasses with the byte offset
 */
export function indexCarBytes(bytes: Uint8Array, opts?: CarReadOptions): BytesIndex {
  const where = new Map<string, number>()
  const spans: number[] = []
  const { roots } = scanCar(
    bytes,
    (_, at, len) => {
      const key = keyOf(bytes, at)
      if (!where.has(key)) where.set(key, spans.push(at + 36, at + 36 + len) - 2)
    },
    opts,
  )
  const indexOf = (cid: Cid): number =>
    cid.bytes.length === 36 ? (where.get(keyOf(cid.bytes, 0)) ?? -1) : -1
  const bytesAt = (n: number): Uint8Array => bytes.subarray(spans[n], spans[n + 1])
  return {
    roots,
    indexOf,
    bytesAt,
  }
}
