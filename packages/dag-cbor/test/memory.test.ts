// Memory by input shape (issue 17 A): what a decoded value keeps alive, per input byte, for the
// shapes that cost the most heap per byte, against @ipld/dag-cbor on the same bytes.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import * as ipld from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { DECODE_MAX_HEAP_PER_INPUT_BYTE, decode } from '../src/index.ts'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function header(major: number, n: number): number[] {
  if (n < 24) return [(major << 5) | n]
  if (n < 0x100) return [(major << 5) | 24, n]
  if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff]
  return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]
}

/** A top-level array of `n` copies of `item`. */
function listOf(item: readonly number[], n: number): Uint8Array {
  const head = header(4, n)
  const out = new Uint8Array(head.length + item.length * n)
  out.set(head)
  for (let i = 0, p = head.length; i < n; i++, p += item.length) out.set(item, p)
  return out
}

/** Arrays nested `depth` deep, repeated `n` times in a top-level array. */
function nestedLists(depth: number, n: number): Uint8Array {
  return listOf([...new Array(depth - 1).fill(0x81), 0x80], n)
}

/** Heap (and array buffers) still held after `run` returns, with its result alive. */
function retained(run: () => unknown): number {
  gc()
  gc()
  const before = process.memoryUsage()
  const value = run()
  gc()
  gc()
  const after = process.memoryUsage()
  // keep the value alive across the measurement
  expect(value).toBeDefined()
  return after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers)
}

const N = 100_000
const cid = [0xd8, 0x2a, 0x45, 0x00, 0x01, 0x71, 0x00, 0x00] // tag 42: CIDv1 dag-cbor, identity, empty digest
const shapes: [string, Uint8Array][] = [
  ['empty byte strings', listOf([0x40], N)],
  ['one-byte byte strings', listOf([0x41, 0x07], N)],
  ['empty maps', listOf([0xa0], N)],
  ['empty arrays', listOf([0x80], N)],
  ['empty strings', listOf([0x60], N)],
  ['one-character strings', listOf([0x61, 0x61], N)],
  ['small integers', listOf([0x01], N)],
  ['nulls', listOf([0xf6], N)],
  ['one-item arrays of an empty array', listOf([0x81, 0x80], N)],
  ['one-item arrays of an empty map', listOf([0x81, 0xa0], N)],
  ['maps of one empty map', listOf([0xa1, 0x60, 0xa0], N)],
  ['arrays nested 16 deep', nestedLists(16, N / 16)],
  ['small CIDs', listOf(cid, N / 4)],
]

describe('decode: retained heap per input byte, by shape', () => {
  it.each(shapes)('%s: within the documented bound and within 3x of @ipld/dag-cbor', (_name, bytes) => {
    const ours = retained(() => decode(bytes))
    const reference = retained(() => ipld.decode(bytes))
    // 64 KiB of slack for the measurement itself (the value stack, heap bookkeeping)
    expect(ours).toBeLessThanOrEqual(DECODE_MAX_HEAP_PER_INPUT_BYTE * bytes.length + 65536)
    expect(ours).toBeLessThanOrEqual(3 * reference + 65536)
  })

  it('the value stack does not keep a decoded value alive after decode returns', () => {
    const bytes = listOf([0xa0], N)
    // decoded and dropped at once: nothing of it may stay behind in module state
    const leftover = retained(() => {
      decode(bytes)
      return 1
    })
    expect(leftover).toBeLessThan(N * 8)
    // a failing decode drops its partial values too
    const broken = bytes.subarray(0, bytes.length - 1)
    const afterFailure = retained(() => {
      expect(() => decode(broken)).toThrow()
      return 1
    })
    expect(afterFailure).toBeLessThan(N * 8)
  })

  it('every empty byte string is the one frozen empty view, and arrays hold exactly their items', () => {
    const v = decode(new Uint8Array([0x83, 0x40, 0x81, 0x40, 0x41, 0x09])) as [
      Uint8Array,
      Uint8Array[],
      Uint8Array,
    ]
    expect(v[0]).toBe(v[1][0])
    expect(v[0].length).toBe(0)
    expect(Object.isFrozen(v[0])).toBe(true)
    expect(v[2]).toEqual(new Uint8Array([9]))
    expect(v.length).toBe(3)
    // arrays are ordinary arrays: push still works
    v[1].push(new Uint8Array(1))
    expect(v[1].length).toBe(2)
  })
})
