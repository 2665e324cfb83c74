// scanCar as browsers run it (scan-car.browser.ts, through #scan-car) against scan.ts's, which the
// other runtimes get: the same roots and block positions, or the same error (class, code, offset,
// fields, message, blocksRead), on hostile CARs, random corruptions and small limits.
import { encode } from '@rsky/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CarError, type CarReadOptions, encodeCarHeader, writeCar } from '../src/index.ts'
import { scanCar as nodeScan } from '../src/scan.ts'
import { scanCar as browserScan } from '../src/scan-car.browser.ts'
import { concat, hex, smallBlocks, varint } from './helpers.ts'

type Scan = typeof nodeScan

function outcome(scan: Scan, bytes: Uint8Array, opts?: CarReadOptions): unknown {
  const seen: string[] = []
  try {
    const { roots } = scan(
      bytes,
      (buf, at, len) => seen.push(`${at}:${len}:${hex(buf.subarray(at, at + 36))}`),
      opts,
    )
    return { roots: roots.map(String), seen }
  } catch (err) {
    if (!(err instanceof CarError)) throw err
    return { error: { ...err, class: err.constructor.name, message: err.message, cause: err.cause }, seen }
  }
}

const same = (bytes: Uint8Array, opts?: CarReadOptions): void => {
  expect(outcome(browserScan, bytes, opts)).toEqual(outcome(nodeScan, bytes, opts))
}

const { roots, blocks } = smallBlocks()
const good = writeCar(roots, blocks)
const header = encodeCarHeader(roots)
const section = (cid: number[] | Uint8Array, data: number[]) =>
  concat(varint(cid.length + data.length), cid, data)
const cid0 = Array.from(blocks[0]!.cid.bytes)

describe('scan-car.browser.ts', () => {
  it('reads a good CAR as scan.ts does', () => {
    same(good)
    expect((outcome(browserScan, good) as { seen: string[] }).seen.length).toBe(blocks.length)
  })

  it('hostile CARs: the same error', () => {
    for (const bytes of [
      new Uint8Array(0),
      Uint8Array.of(0),
      Uint8Array.of(0x80),
      Uint8Array.of(0x80, 0),
      Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
      header.subarray(0, 5),
      concat(varint(3), encode({ version: 1 })),
      concat(varint(encode({ version: 2, roots }).length), encode({ version: 2, roots })),
      concat(header, [0]),
      concat(header, [0, 0, 0]),
      concat(header, [0x80]),
      concat(header, [0x80, 0x00]),
      concat(header, section(cid0.slice(0, 4), [1, 2])),
      concat(header, section(cid0, [1, 2, 3])),
      concat(header, section([0x12, 0x20, ...new Array(32).fill(7)], [1])),
      concat(header, section([1, 0x71, 0x13, 0x40, ...new Array(64).fill(0)], [1])),
      concat(header, section([1, 0x70, 0x12, 0x20, ...cid0.slice(4)], [1])),
      concat(header, section([2, 0x71, 0x12, 0x20, ...cid0.slice(4)], [1])),
      concat(header, varint(100), cid0.slice(0, 10)),
      concat(header, varint(100), cid0, [1]),
      good.subarray(0, good.length - 1),
    ])
      same(bytes)
  })

  it('limits and verify: the same outcome', () => {
    for (const opts of [
      { maxHeaderBytes: 10 },
      { maxBlockBytes: 1 },
      { maxTotalBytes: header.length + 5 },
      { maxTotalBytes: 10 },
      { maxBlocks: 1 },
      { maxBlocks: 0 },
      { verify: false },
    ]) {
      same(good, opts)
      same(concat(header, section(cid0, [1, 2, 3])), opts)
    }
  })

  it('random corruptions and cuts of a valid CAR: the same outcome', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat({ max: good.length }),
        (flips, cut) => {
          const bytes = good.slice(0, Math.max(1, cut))
          for (const [at, x] of flips) if (at < bytes.length) bytes[at]! ^= x
          same(bytes)
          same(bytes, { verify: false })
        },
      ),
      { numRuns: 2000 },
    )
  })
})
