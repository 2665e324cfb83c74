import {
  cidForCbor,
  decode,
  encode,
  jsonToLex,
  jsonToLexMap,
  LexJsonError,
  lexToJson,
  safeJsonToLexMap,
} from '@rsky/dag-cbor'
import { readInteropJson, recordInteropCount } from '@rsky/test-vectors'
import { describe, expect, it } from 'vitest'

interface Fixture {
  json: unknown
  cbor_base64: string
  cid: string
}
interface Case {
  note: string
  json: unknown
}

const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'))

describe('data-model/data-model-fixtures.json', () => {
  const fixtures = readInteropJson<Fixture[]>('atproto-interop-tests', 'data-model/data-model-fixtures.json')
  recordInteropCount('data-model/data-model-fixtures.json', fixtures.length)
  it.each(fixtures.map((f, i) => [i, f] as const))('fixture %i: JSON -> CBOR -> CID and back', (_i, f) => {
    const expected = b64(f.cbor_base64)
    const lex = jsonToLex(f.json)
    const bytes = encode(lex)
    expect(Buffer.from(bytes).toString('base64')).toBe(Buffer.from(expected).toString('base64'))
    expect(cidForCbor(bytes).toString()).toBe(f.cid)
    // and back: CBOR -> data model -> JSON equals the fixture's JSON
    const decoded = decode(expected)
    expect(lexToJson(decoded)).toEqual(f.json)
    expect(encode(decoded)).toEqual(expected)
  })
})

describe('data-model/data-model-valid.json', () => {
  const cases = readInteropJson<Case[]>('atproto-interop-tests', 'data-model/data-model-valid.json')
  recordInteropCount('data-model/data-model-valid.json', cases.length)
  it.each(cases.map((c) => [c.note, c] as const))('valid: %s', (_note, c) => {
    const lex = jsonToLexMap(c.json)
    expect(lexToJson(decode(encode(lex)))).toEqual(c.json)
    expect(safeJsonToLexMap(c.json).success).toBe(true)
  })
})

describe('data-model/data-model-invalid.json', () => {
  const cases = readInteropJson<Case[]>('atproto-interop-tests', 'data-model/data-model-invalid.json')
  recordInteropCount('data-model/data-model-invalid.json', cases.length)
  it.each(cases.map((c) => [c.note, c] as const))('invalid: %s', (_note, c) => {
    expect(() => jsonToLexMap(c.json)).toThrow(LexJsonError)
    const r = safeJsonToLexMap(c.json)
    expect(r.success).toBe(false)
    if (!r.success) expect(r.issues[0]?.code).toBeTypeOf('string')
  })
})
