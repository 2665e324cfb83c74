import { ipldToJson, jsonToIpld } from '@atproto/common-web'
import {
  blobRefToLex,
  cidForRaw,
  decodeRecord,
  encode,
  findBlobRefs,
  InvalidBlobRefError,
  isBlobRef,
  isLegacyBlobRef,
  jsonToLex,
  jsonToLexMap,
  LexJsonError,
  type LexValue,
  lexEquals,
  lexToJson,
  parseBlobRef,
  parseCid,
  safeJsonToLexMap,
} from '@rsky/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { lexValueArb, normalize } from './helpers.ts'

const RAW = 'bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity'
const CBOR = 'bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a'

describe('JSON form', () => {
  it('converts $link and $bytes both ways', () => {
    const lex = jsonToLex({ a: { $link: CBOR }, b: { $bytes: 'AQID' }, c: [{ $bytes: '' }] }) as Record<
      string,
      LexValue
    >
    expect(parseCid(CBOR).equals(lex['a'])).toBe(true)
    expect(lex['b']).toEqual(new Uint8Array([1, 2, 3]))
    expect(lexToJson(lex)).toEqual({ a: { $link: CBOR }, b: { $bytes: 'AQID' }, c: [{ $bytes: '' }] })
  })

  it('accepts padded and unpadded base64 and writes unpadded', () => {
    expect(jsonToLex({ $bytes: 'AQ==' })).toEqual(new Uint8Array([1]))
    expect(jsonToLex({ $bytes: 'AQ' })).toEqual(new Uint8Array([1]))
    expect(jsonToLex({ $bytes: 'AQI=' })).toEqual(new Uint8Array([1, 2]))
    expect(lexToJson(new Uint8Array([1]))).toEqual({ $bytes: 'AQ' })
    expect(lexToJson(new Uint8Array([251, 255]))).toEqual({ $bytes: '+/8' })
  })

  it.each<[string, unknown, string, string]>([
    ['float', { a: 1.5 }, 'FLOAT_NOT_ALLOWED', '$.a'],
    ['unsafe integer', { a: [2 ** 60] }, 'INTEGER_OUT_OF_RANGE', '$.a[0]'],
    ['$link with extra key', { l: { $link: CBOR, x: 1 } }, 'INVALID_LINK', '$.l'],
    ['$link not a string', { l: { $link: 1 } }, 'INVALID_LINK', '$.l'],
    ['$link not a CID', { l: { $link: 'bafy' } }, 'INVALID_LINK', '$.l'],
    ['$bytes with extra key', { b: { $bytes: 'AQ', y: 2 } }, 'INVALID_BYTES', '$.b'],
    ['$bytes not a string', { b: { $bytes: [1] } }, 'INVALID_BYTES', '$.b'],
    ['$bytes bad character', { b: { $bytes: 'A-Q_' } }, 'INVALID_BYTES', '$.b'],
    ['$bytes impossible length', { b: { $bytes: 'AQIDB' } }, 'INVALID_BYTES', '$.b'],
    ['$bytes misplaced padding', { b: { $bytes: 'A=Q=' } }, 'INVALID_BYTES', '$.b'],
    ['$type empty', { r: { $type: '' } }, 'INVALID_TYPE_FIELD', '$.r.$type'],
    ['$type null', { r: { $type: null } }, 'INVALID_TYPE_FIELD', '$.r.$type'],
    ['blob without ref', { b: { $type: 'blob', mimeType: 'a/b', size: 1 } }, 'INVALID_BLOB', '$.b'],
    [
      'blob with dag-cbor ref',
      { b: { $type: 'blob', ref: { $link: CBOR }, mimeType: 'a/b', size: 1 } },
      'INVALID_BLOB',
      '$.b',
    ],
    [
      'blob with empty mimeType',
      { b: { $type: 'blob', ref: { $link: RAW }, mimeType: '', size: 1 } },
      'INVALID_BLOB',
      '$.b',
    ],
    [
      'blob with negative size',
      { b: { $type: 'blob', ref: { $link: RAW }, mimeType: 'a/b', size: -1 } },
      'INVALID_BLOB',
      '$.b',
    ],
    ['undefined in array', [undefined], 'UNSUPPORTED_TYPE', '$[0]'],
    ['Date', { d: new Date() }, 'UNSUPPORTED_TYPE', '$.d'],
    ['odd key path', { 'a b': 1.5 }, 'FLOAT_NOT_ALLOWED', '$["a b"]'],
  ])('rejects %s', (_name, json, code, path) => {
    try {
      jsonToLex(json)
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(LexJsonError)
      expect((e as LexJsonError).code).toBe(code)
      expect((e as LexJsonError).path).toBe(path)
    }
  })

  it('requires an object at the top for records, with a result form', () => {
    expect(() => jsonToLexMap('blah')).toThrow(expect.objectContaining({ code: 'NOT_AN_OBJECT' }))
    expect(() => jsonToLexMap([])).toThrow(LexJsonError)
    const r = safeJsonToLexMap({ a: 1.5 })
    expect(r).toEqual({
      success: false,
      issues: [{ code: 'FLOAT_NOT_ALLOWED', path: '$.a', message: expect.any(String) }],
    })
  })

  it('caps depth without recursion errors', () => {
    let deep: unknown = 1
    for (let i = 0; i < 1000; i++) deep = [deep]
    expect(() => jsonToLex(deep)).toThrow(expect.objectContaining({ code: 'MAX_DEPTH_EXCEEDED' }))
    expect(() => lexToJson(deep as LexValue)).toThrow(expect.objectContaining({ code: 'MAX_DEPTH_EXCEEDED' }))
    let deeper: unknown = 1
    for (let i = 0; i < 200_000; i++) deeper = [deeper]
    expect(() => jsonToLex(deeper, { maxDepth: 300_000 })).toThrow(
      expect.objectContaining({ code: 'MAX_DEPTH_EXCEEDED' }),
    )
    expect(() => lexToJson(deeper as LexValue, { maxDepth: 300_000 })).toThrow(
      expect.objectContaining({ code: 'MAX_DEPTH_EXCEEDED' }),
    )
  })

  it('guards __proto__ keys from JSON.parse', () => {
    const lex = jsonToLex(JSON.parse('{"__proto__": {"$link": "' + CBOR + '"}}')) as Record<string, unknown>
    expect(Object.getPrototypeOf(lex)).toBe(Object.prototype)
    expect(Object.keys(lex)).toEqual(['__proto__'])
  })

  it('jsonToLex(lexToJson(v)) = v and survives JSON.stringify (property)', () => {
    fc.assert(
      fc.property(lexValueArb, (v) => {
        fc.pre(!hasReservedShape(v))
        expect(lexEquals(jsonToLex(JSON.parse(JSON.stringify(lexToJson(v)))), v)).toBe(true)
      }),
      { seed: 42, numRuns: 300 },
    )
  })

  it('agrees with @atproto/common-web jsonToIpld/ipldToJson (differential)', () => {
    fc.assert(
      fc.property(lexValueArb, (v) => {
        fc.pre(!hasReservedShape(v))
        const json = lexToJson(v)
        expect(json).toEqual(ipldToJson(v as never))
        expect(normalize(jsonToLex(json))).toEqual(normalize(jsonToIpld(json as never)))
      }),
      { seed: 42, numRuns: 200 },
    )
  })
})

// Maps that use the reserved keys the JSON form gives meaning to cannot round-trip through it.
function hasReservedShape(v: unknown): boolean {
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return false
  if (Array.isArray(v)) return v.some(hasReservedShape)
  const proto = Object.getPrototypeOf(v)
  if (proto !== Object.prototype && proto !== null) return false
  const keys = Object.keys(v)
  if (keys.some((k) => k === '$link' || k === '$bytes' || k === '$type' || k === '__proto__')) return true
  return Object.values(v).some(hasReservedShape)
}

describe('blob refs', () => {
  const ref = parseCid(RAW)
  const typed = { $type: 'blob', ref, mimeType: 'image/jpeg', size: 10000 }

  it('recognises typed refs in data-model and JSON form', () => {
    expect(isBlobRef(typed)).toBe(true)
    expect(isBlobRef({ ...typed, ref: { $link: RAW } })).toBe(true)
    expect(isBlobRef({ ...typed, size: '10000' })).toBe(false)
    expect(isBlobRef({ ...typed, ref: parseCid(CBOR) })).toBe(false)
    expect(isBlobRef(null)).toBe(false)
    expect(parseBlobRef(typed)).toEqual({ ref, mimeType: 'image/jpeg', size: 10000, legacy: false })
  })

  it('reads legacy refs with size -1 and never writes them', () => {
    const legacy = { cid: RAW, mimeType: 'image/png' }
    expect(isLegacyBlobRef(legacy)).toBe(true)
    expect(isLegacyBlobRef({ cid: 'nope', mimeType: 'image/png' })).toBe(false)
    expect(isLegacyBlobRef({ ...legacy, extra: 1 })).toBe(false)
    const parsed = parseBlobRef(legacy)
    expect(parsed).toEqual({ ref, mimeType: 'image/png', size: -1, legacy: true })
    expect(() => blobRefToLex(parsed)).toThrow(InvalidBlobRefError)
    expect(blobRefToLex({ ...parsed, size: 5 })).toEqual({
      $type: 'blob',
      ref,
      mimeType: 'image/png',
      size: 5,
    })
  })

  it.each<[string, unknown, string]>([
    ['not an object', 'x', 'NOT_A_BLOB_REF'],
    ['neither form', { a: 1 }, 'NOT_A_BLOB_REF'],
    ['bad ref', { $type: 'blob', ref: 'x', mimeType: 'a/b', size: 1 }, 'BAD_REF'],
    ['bad size', { $type: 'blob', ref: cidForRaw(new Uint8Array()), mimeType: 'a/b', size: 1.5 }, 'BAD_SIZE'],
    ['bad mime', { $type: 'blob', ref: cidForRaw(new Uint8Array()), mimeType: 7, size: 1 }, 'BAD_MIME_TYPE'],
    ['bad legacy cid', { cid: 'x', mimeType: 'a/b' }, 'BAD_LEGACY_CID'],
  ])('parseBlobRef rejects %s', (_name, value, code) => {
    expect(() => parseBlobRef(value)).toThrow(expect.objectContaining({ name: 'InvalidBlobRefError', code }))
  })
})

describe('findBlobRefs and decodeRecord', () => {
  it('finds typed refs anywhere in a record, legacy ones on request', () => {
    const record = {
      // a malformed typed ref (dag-cbor link) is just a map; jsonToLex would refuse it, so build it directly
      bad: { $type: 'blob', ref: parseCid(CBOR), mimeType: 'x/y', size: 1 },
      ...(jsonToLex({
        $type: 'app.bsky.feed.post',
        embed: {
          images: [
            { image: { $type: 'blob', ref: { $link: RAW }, mimeType: 'image/jpeg', size: 3 } },
            { image: { cid: RAW, mimeType: 'image/png' } },
          ],
        },
      }) as Record<string, LexValue>),
    }
    expect(findBlobRefs(record).map((b) => [b.ref.toString(), b.legacy])).toEqual([[RAW, false]])
    expect(findBlobRefs(record, { legacy: true }).map((b) => b.mimeType)).toEqual(['image/jpeg', 'image/png'])
    expect(findBlobRefs(decodeRecord(encode(record)))).toHaveLength(1)
  })

  it('decodeRecord insists on a map at the top', () => {
    expect(decodeRecord(encode({ a: 1 }))).toEqual({ a: 1 })
    expect(() => decodeRecord(encode([1]))).toThrow(expect.objectContaining({ code: 'NOT_A_MAP', offset: 0 }))
    expect(() => decodeRecord(encode(parseCid(CBOR)))).toThrow(expect.objectContaining({ code: 'NOT_A_MAP' }))
  })
})
