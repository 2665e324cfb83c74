// Hostile CARs: every bad input gets a named CarError with its byte offset, from the buffer
// reader and from the stream reader alike; nothing is returned as a partial success.
import { cidForRaw, encode, parseCid } from '@rsky/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  CarBlockHashMismatchError,
  CarError,
  CarInvalidHeaderError,
  CarInvalidSectionError,
  CarLimitExceededError,
  type CarReadOptions,
  CarTrailingDataError,
  CarTruncatedError,
  CarUnsupportedCidError,
  CarVarintError,
  encodeCarHeader,
  iterateCar,
  readCar,
  readCarStream,
  writeCar,
} from '../src/index.ts'
import {
  concat,
  type Outcome,
  readStream,
  readSync,
  readVisited,
  smallBlocks,
  splitAt,
  varint,
} from './helpers.ts'

const { roots, blocks } = smallBlocks()
const good = writeCar(roots, blocks)
const header = encodeCarHeader(roots)
const sectionStarts: number[] = []
{
  let at = header.length
  for (const b of blocks) {
    sectionStarts.push(at)
    const len = b.cid.bytes.length + b.bytes.length
    at += varint(len).length + len
  }
  sectionStarts.push(at)
}

function headerOf(value: Parameters<typeof encode>[0]): Uint8Array {
  const body = encode(value)
  return concat(varint(body.length), body)
}

function section(cid: Uint8Array | number[], data: Uint8Array | number[]): Uint8Array {
  const c = cid instanceof Uint8Array ? cid : Uint8Array.from(cid)
  const d = data instanceof Uint8Array ? data : Uint8Array.from(data)
  return concat(varint(c.length + d.length), c, d)
}

const cid0 = blocks[0]!.cid.bytes
const sha512Cid = concat([1, 0x71, 0x13, 0x40], new Uint8Array(64))
const identityCid = concat([1, 0x55, 0x00, 3], [1, 2, 3])
const dagPbCid = concat([1, 0x70, 0x12, 0x20], new Uint8Array(32))
const cidV0 = concat([0x12, 0x20], new Uint8Array(32))
const forged = good.slice()
forged[sectionStarts[1]! + 2 + 36 + 3]! ^= 1

interface Case {
  name: string
  bytes: Uint8Array
  error: new (...args: never[]) => CarError
  code: string
  offset: number
  blocksRead?: number
  opts?: CarReadOptions
}

const cases: Case[] = [
  {
    name: 'forged block bytes',
    bytes: forged,
    error: CarBlockHashMismatchError,
    code: 'CAR_HASH_MISMATCH',
    offset: sectionStarts[1]!,
    blocksRead: 1,
  },
  {
    name: 'empty file',
    bytes: new Uint8Array(0),
    error: CarTruncatedError,
    code: 'CAR_TRUNCATED',
    offset: 0,
  },
  {
    name: 'header varint over 10 bytes',
    bytes: Uint8Array.from([...new Array(11).fill(0x80), 1]),
    error: CarVarintError,
    code: 'CAR_INVALID_VARINT',
    offset: 0,
  },
  {
    name: 'non-minimal header varint',
    bytes: concat([0x91, 0x00], header.subarray(1)),
    error: CarVarintError,
    code: 'CAR_INVALID_VARINT',
    offset: 0,
  },
  {
    name: 'non-minimal block varint',
    bytes: concat(header, [0xa8, 0x80, 0x00]),
    error: CarVarintError,
    code: 'CAR_INVALID_VARINT',
    offset: header.length,
  },
  {
    name: 'block varint of 2^63',
    bytes: concat(header, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
    error: CarLimitExceededError,
    code: 'CAR_LIMIT_EXCEEDED',
    offset: header.length,
  },
  {
    name: 'block varint over 10 bytes',
    bytes: concat(header, new Array(12).fill(0xff)),
    error: CarVarintError,
    code: 'CAR_INVALID_VARINT',
    offset: header.length,
  },
  {
    name: '100 MB block declared in a small file',
    bytes: concat(header, varint(100_000_000), cid0, [1, 2, 3]),
    error: CarLimitExceededError,
    code: 'CAR_LIMIT_EXCEEDED',
    offset: header.length,
  },
  {
    name: '100 MB block declared in a small file, under a raised limit',
    bytes: concat(header, varint(100_000_000), cid0, [1, 2, 3]),
    error: CarTruncatedError,
    code: 'CAR_TRUNCATED',
    offset: header.length,
    opts: { maxBlockBytes: 200_000_000 },
  },
  {
    name: 'huge header length',
    bytes: concat(varint(2 ** 40), [0xa2]),
    error: CarLimitExceededError,
    code: 'CAR_LIMIT_EXCEEDED',
    offset: 0,
  },
  {
    name: 'header over maxHeaderBytes',
    bytes: good,
    error: CarLimitExceededError,
    code: 'CAR_LIMIT_EXCEEDED',
    offset: 0,
    opts: { maxHeaderBytes: 10 },
  },
  {
    name: 'file over maxTotalBytes',
    bytes: good,
    error: CarLimitExceededError,
    code: 'CAR_LIMIT_EXCEEDED',
    offset: sectionStarts[2]!,
    blocksRead: 2,
    opts: { maxTotalBytes: sectionStarts[2]! + 10 },
  },
  {
    name: 'more blocks than maxBlocks',
    bytes: good,
    error: CarLimitExceededError,
    code: 'CAR_LIMIT_EXCEEDED',
    offset: sectionStarts[1]!,
    blocksRead: 1,
    opts: { maxBlocks: 1 },
  },
  {
    name: 'block over maxBlockBytes',
    bytes: good,
    error: CarLimitExceededError,
    code: 'CAR_LIMIT_EXCEEDED',
    offset: sectionStarts[2]!,
    blocksRead: 2,
    opts: { maxBlockBytes: 100 },
  },
  {
    name: 'CIDv0 block',
    bytes: concat(header, section(cidV0, [1])),
    error: CarUnsupportedCidError,
    code: 'CAR_UNSUPPORTED_CID',
    offset: header.length,
  },
  {
    name: 'CIDv2 block',
    bytes: concat(header, section(concat([2], cid0.subarray(1)), [1])),
    error: CarUnsupportedCidError,
    code: 'CAR_UNSUPPORTED_CID',
    offset: header.length,
  },
  {
    name: 'sha2-512 block',
    bytes: concat(header, section(sha512Cid, [1])),
    error: CarUnsupportedCidError,
    code: 'CAR_UNSUPPORTED_CID',
    offset: header.length,
  },
  {
    name: 'identity-hash block',
    bytes: concat(header, section(identityCid, [])),
    error: CarUnsupportedCidError,
    code: 'CAR_UNSUPPORTED_CID',
    offset: header.length,
  },
  {
    name: 'dag-pb block',
    bytes: concat(header, section(dagPbCid, [1])),
    error: CarUnsupportedCidError,
    code: 'CAR_UNSUPPORTED_CID',
    offset: header.length,
  },
  {
    name: 'section shorter than its CID',
    bytes: concat(header, varint(20), cid0.subarray(0, 20)),
    error: CarInvalidSectionError,
    code: 'CAR_INVALID_SECTION',
    offset: header.length,
  },
  {
    name: 'trailing zero byte',
    bytes: concat(good, [0]),
    error: CarTrailingDataError,
    code: 'CAR_TRAILING_DATA',
    offset: good.length,
    blocksRead: 3,
  },
  {
    name: 'trailing garbage byte',
    bytes: concat(good, [0x41]),
    error: CarTruncatedError,
    code: 'CAR_TRUNCATED',
    offset: good.length,
    blocksRead: 3,
  },
  {
    name: 'trailing garbage section',
    bytes: concat(good, [0x05, 1, 0x71, 0x12, 0x20, 5]),
    error: CarInvalidSectionError,
    code: 'CAR_INVALID_SECTION',
    offset: good.length,
    blocksRead: 3,
  },
  {
    name: 'header version 2',
    bytes: headerOf({ version: 2, roots }),
    error: CarInvalidHeaderError,
    code: 'CAR_INVALID_HEADER',
    offset: 0,
  },
  {
    name: 'header without roots',
    bytes: headerOf({ version: 1 }),
    error: CarInvalidHeaderError,
    code: 'CAR_INVALID_HEADER',
    offset: 0,
  },
  {
    name: 'header without version',
    bytes: headerOf({ roots }),
    error: CarInvalidHeaderError,
    code: 'CAR_INVALID_HEADER',
    offset: 0,
  },
  {
    name: 'roots not an array',
    bytes: headerOf({ version: 1, roots: roots[0]! }),
    error: CarInvalidHeaderError,
    code: 'CAR_INVALID_HEADER',
    offset: 0,
  },
  {
    name: 'a root that is not a CID',
    bytes: headerOf({ version: 1, roots: ['bafy'] }),
    error: CarInvalidHeaderError,
    code: 'CAR_INVALID_HEADER',
    offset: 0,
  },
  {
    name: 'header that is an array',
    bytes: headerOf([1, roots]),
    error: CarInvalidHeaderError,
    code: 'CAR_INVALID_HEADER',
    offset: 0,
  },
  {
    name: 'header that is not CBOR',
    bytes: concat([3], [0xff, 0xff, 0xff]),
    error: CarInvalidHeaderError,
    code: 'CAR_INVALID_HEADER',
    offset: 0,
  },
  {
    name: 'header with bytes after its CBOR map',
    bytes: (() => {
      const body = concat(encode({ version: 1, roots }), [0])
      return concat(varint(body.length), body)
    })(),
    error: CarInvalidHeaderError,
    code: 'CAR_INVALID_HEADER',
    offset: 0,
  },
  {
    name: 'zero-length header',
    bytes: Uint8Array.from([0]),
    error: CarInvalidHeaderError,
    code: 'CAR_INVALID_HEADER',
    offset: 0,
  },
]

function expectError(outcome: Outcome, c: Case): void {
  expect(outcome).toMatchObject({
    ok: false,
    name: c.error.name,
    code: c.code,
    offset: c.offset,
    blocksRead: c.blocksRead ?? 0,
  })
}

describe('hostile CARs: named errors with offsets', () => {
  it.each(cases)('$name (buffer reader)', (c) => {
    expectError(readSync(c.bytes, c.opts), c)
    let thrown: unknown
    try {
      readCar(c.bytes, c.opts)
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(c.error)
    expect(thrown).toBeInstanceOf(CarError)
    expect((thrown as Error).message).toContain(`offset=${c.offset}`)
  })

  it.each(cases)('$name (stream reader, whole and byte by byte)', async (c) => {
    expectError(await readStream(c.bytes, c.opts), c)
    const bytewise = Array.from(c.bytes, (b) => Uint8Array.of(b))
    expectError(await readStream(bytewise, c.opts), c)
  })

  it.each(cases)('$name (forEachBlock, whole and byte by byte)', async (c) => {
    expectError(await readVisited(c.bytes, c.opts), c)
    expectError(
      await readVisited(
        Array.from(c.bytes, (b) => Uint8Array.of(b)),
        c.opts,
      ),
      c,
    )
  })

  it('the header error surfaces from the header promise too', async () => {
    const car = readCarStream(headerOf({ version: 2, roots }))
    await expect(car.header).rejects.toBeInstanceOf(CarInvalidHeaderError)
  })
})

describe('truncation at every offset', () => {
  it('each prefix of a small CAR either raises CarTruncatedError or is exactly a shorter CAR', async () => {
    for (let cut = 0; cut < good.length; cut++) {
      const prefix = good.subarray(0, cut)
      const sync = readSync(prefix)
      const blocksBefore = sectionStarts.filter((s) => s <= cut).length - 1
      if (sectionStarts.includes(cut) || cut === header.length) {
        // CAR v1 has no block count: a cut exactly between sections is a valid, shorter file.
        expect(sync).toMatchObject({ ok: true })
        expect(sync.ok && sync.blocks.length).toBe(Math.max(blocksBefore, 0))
      } else {
        expect(sync).toMatchObject({ ok: false, name: 'CarTruncatedError', code: 'CAR_TRUNCATED' })
        if (!sync.ok) expect(sync.blocksRead).toBe(Math.max(blocksBefore, 0))
      }
      expect(await readStream(splitAt(prefix, [cut >> 1, cut - 1]))).toEqual(sync)
      expect(await readVisited(splitAt(prefix, [cut >> 1, cut - 1]))).toEqual(sync)
    }
  })
})

describe('bounded memory', () => {
  it('a 100 MB declared block under a raised limit never allocates it (stream of small chunks)', async () => {
    const bytes = concat(header, varint(100_000_000), cid0, new Uint8Array(1000))
    const before = process.memoryUsage().arrayBuffers
    const outcome = await readStream(splitAt(bytes, [50, 300, 700]), { maxBlockBytes: 200_000_000 })
    expect(outcome).toMatchObject({ ok: false, name: 'CarTruncatedError' })
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(10_000_000)
  })

  it('the stream reader pulls chunks lazily: never more than the section it is on', async () => {
    // 400 blocks of 100 KB (40 MB) produced on the fly in two chunks each; the reader must not
    // read ahead of the block it yields, so the file is never buffered.
    const big = new Uint8Array(100_000)
    const cid = cidForRaw(big)
    const sectionBytes = section(cid.bytes, big)
    let pulled = 0
    async function* source() {
      yield encodeCarHeader([cid])
      for (let i = 0; i < 400; i++) {
        pulled++
        yield sectionBytes.subarray(0, 33_333).slice()
        pulled++
        yield sectionBytes.subarray(33_333).slice()
      }
    }
    let n = 0
    for await (const block of readCarStream(source())) {
      n++
      expect(block.bytes.length).toBe(100_000)
      expect(pulled).toBeLessThanOrEqual(2 * n)
    }
    expect(n).toBe(400)
  })
})

describe('fuzzed mutations', () => {
  it('random corruptions of a valid CAR: same outcome from both readers, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.array(fc.nat({ max: good.length }), { maxLength: 8 }),
        async (flips, cuts) => {
          const bytes = good.slice()
          for (const [at, x] of flips) bytes[at]! ^= x
          const sync = readSync(bytes)
          expect(await readStream(splitAt(bytes, cuts))).toEqual(sync)
          expect(await readVisited(splitAt(bytes, cuts))).toEqual(sync)
        },
      ),
      { seed: 42, numRuns: 300 },
    )
  })

  it('verify: false skips only the hash check (for bytes the caller produced itself)', () => {
    expect(readSync(forged, { verify: false })).toMatchObject({ ok: true })
    expect(readSync(concat(header, section(sha512Cid, [1])), { verify: false })).toMatchObject({
      ok: false,
      code: 'CAR_UNSUPPORTED_CID',
    })
  })

  it('a CID forged into the header is only a root: roots are not checked against blocks', () => {
    const fake = parseCid('bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku')
    const car = writeCar([fake], blocks)
    expect(iterateCar(car).header.roots[0]!.equals(fake)).toBe(true)
  })
})
