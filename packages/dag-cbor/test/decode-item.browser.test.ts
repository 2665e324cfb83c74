// decode as browsers run it: #decode-item swapped for decode-item.browser.ts and #decode-problem for
// decode-problem.browser.ts (one phrase in every message), then the decoder's
// suites again (the hostile table, the codec and interop fixtures, the flawed inputs, the scan held
// equal to decode, the fast paths), and both item loops compared directly on generated values,
// mutated encodings and random bytes: the same value, or the same error code at the same offset.
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { decodeItem } from '#decode-item'
import { decodeItem as browserItem } from '../src/decode-item.browser.ts'
import { decodeItem as nodeItem } from '../src/decode-item.ts'
import { DagCborDecodeError, decode, encode } from '../src/index.ts'
import { lexValueArb } from './helpers.ts'

vi.mock('#decode-item', async () => await import('../src/decode-item.browser.ts'))
vi.mock('#decode-problem', async () => await import('../src/decode-problem.browser.ts'))

await import('./hostile.test.ts')
await import('./codec.test.ts')
await import('./flawed.test.ts')
await import('./scan.test.ts')
await import('./fast-paths.test.ts')
await import('./interop.test.ts')

type Outcome = { value: unknown } | { code: string; offset: number }

function outcome(
  item: typeof nodeItem,
  bytes: Uint8Array,
  maxDepth = 512,
  maxCollection = 1_000_000,
): Outcome {
  try {
    return { value: item(bytes, maxDepth, maxCollection) }
  } catch (err) {
    if (!(err instanceof DagCborDecodeError)) throw err
    return { code: err.code, offset: err.offset }
  }
}

const same = (bytes: Uint8Array, maxDepth?: number, maxCollection?: number): void => {
  if (bytes.length === 0) return // decode refuses empty input before the item loop
  expect(outcome(browserItem, bytes, maxDepth, maxCollection)).toEqual(
    outcome(nodeItem, bytes, maxDepth, maxCollection),
  )
}

describe('decode-item.browser.ts', () => {
  it('is what #decode-item resolves to in this file', () => {
    expect(decodeItem).toBe(browserItem)
  })

  it('messages name the code and offset after one phrase', () => {
    expect(() => decode(new Uint8Array([0x82, 0x01]))).toThrow(new DagCborDecodeError('TRUNCATED', 0))
    expect(new DagCborDecodeError('UNSUPPORTED_TAG', 0, 'tag=1').message).toBe(
      'not strict DAG-CBOR; code=UNSUPPORTED_TAG offset=0 tag=1',
    )
  })

  it('decodes generated values as decode-item.ts does', () => {
    fc.assert(fc.property(lexValueArb, (value) => same(encode(value))))
  })

  it('fails mutated encodings with the same code at the same offset', () => {
    const mutation = fc.tuple(fc.nat(), fc.nat(255), fc.constantFrom('flip', 'set', 'cut', 'insert'))
    fc.assert(
      fc.property(lexValueArb, fc.array(mutation, { minLength: 1, maxLength: 3 }), (value, muts) => {
        let b = Array.from(encode(value))
        for (const [at, byte, kind] of muts) {
          const i = b.length === 0 ? 0 : at % b.length
          if (kind === 'flip') b[i] = (b[i] ?? 0) ^ (1 << (byte & 7))
          else if (kind === 'set') b[i] = byte
          else if (kind === 'cut') b = b.slice(0, i)
          else b.splice(i, 0, byte)
        }
        same(new Uint8Array(b))
      }),
      { numRuns: 2000 },
    )
  })

  it('fails random bytes alike, under small depth and length limits too', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.nat(4),
        fc.nat(4),
        (bytes, depth, len) => {
          same(bytes)
          same(bytes, depth, len)
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('hostile keys and strings: order, duplicates, non-string keys, bad UTF-8, __proto__', () => {
    const hex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => Number.parseInt(x, 16))
    for (const h of [
      'a2616201616101', // unsorted one-byte keys
      'a2616101616101', // duplicate
      'a261616101616201', // longer after shorter is fine... then shorter: unsorted
      'a2626161016161', // shorter after longer
      'a1f900', // float key
      'a1fc', // reserved key header
      'a11c', // reserved info on an integer key
      'a161', // truncated key
      'a162c3', // truncated two-byte key
      'a162c328', // invalid UTF-8 key
      'a1695f5f70726f746f5f5f01', // __proto__ as a key
      'a2606101616101', // empty key then a one-byte key
      'a26161016080', // empty key after a one-byte key: unsorted
      '63eda080', // a surrogate
      '62c0af', // overlong
      '64f4908080', // past U+10FFFF
      '63efbbbf', // a BOM is kept
      'd82a4100', // CID too short
      'd82a5800', // non-minimal CID length
      'd82a59000100', // non-minimal two-byte CID length
      'd82a5f', // indefinite CID
      'd82a5a00000001', // four-byte CID length
      'd82a', // truncated CID
      'd82b40', // another tag
    ])
      same(hex(h))
    const proto = browserItem(hex('a1695f5f70726f746f5f5f01'), 512, 10) as Record<string, unknown>
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype)
    expect(Object.keys(proto)).toEqual(['__proto__'])
  })
})
