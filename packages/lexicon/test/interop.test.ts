// Interop vectors (lexicon/*.json and lexicon/catalog/*), read in place and counted.
import { listInteropFiles, readInteropJson, recordInteropCount } from '@rsky/test-vectors'
import { describe, expect, it } from 'vitest'
import { Lexicons, LexiconValidationError, safeParseLexiconDoc } from '../src/index.ts'

const SUITE = 'atproto-interop-tests'

interface LexCase {
  name: string
  lexicon: unknown
}
interface DataCase {
  name: string
  rkey: string
  data: Record<string, unknown>
}

const catalogFiles = listInteropFiles(SUITE, 'lexicon/catalog', '.json')
const catalog = catalogFiles.map((f) => readInteropJson(SUITE, f))

describe('lexicon/catalog', () => {
  it('parses every catalog document and adds them to one registry', () => {
    const lex = new Lexicons()
    for (const doc of catalog) {
      const res = safeParseLexiconDoc(doc)
      expect(res.success ? [] : res.issues).toEqual([])
      lex.add(doc)
    }
    expect(lex.size).toBe(catalogFiles.length)
    recordInteropCount('lexicon/catalog/*.json', catalogFiles.length)
  })
})

describe('lexicon/lexicon-valid.json', () => {
  const cases = readInteropJson<LexCase[]>(SUITE, 'lexicon/lexicon-valid.json')
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const res = safeParseLexiconDoc(c.lexicon)
    expect(res.success ? [] : res.issues).toEqual([])
  })
  it('counts', () => recordInteropCount('lexicon/lexicon-valid.json', cases.length))
})

describe('lexicon/lexicon-invalid.json', () => {
  const cases = readInteropJson<LexCase[]>(SUITE, 'lexicon/lexicon-invalid.json')
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const res = safeParseLexiconDoc(c.lexicon)
    expect(res.success).toBe(false)
    if (!res.success) {
      for (const issue of res.issues) expect(issue.path.startsWith('$')).toBe(true)
    }
  })
  it('counts', () => recordInteropCount('lexicon/lexicon-invalid.json', cases.length))
})

describe('lexicon/record-data-*.json', () => {
  const lex = new Lexicons(catalog)
  const valid = readInteropJson<DataCase[]>(SUITE, 'lexicon/record-data-valid.json')
  const invalid = readInteropJson<DataCase[]>(SUITE, 'lexicon/record-data-invalid.json')

  it.each(valid.map((c) => [c.name, c] as const))('valid: %s', (_name, c) => {
    const res = lex.validateRecord(c.data['$type'] as string, c.data, { rkey: c.rkey })
    expect(res.success ? [] : res.issues).toEqual([])
  })

  it.each(invalid.map((c, i) => [`${c.name} #${i}`, c] as const))('invalid: %s', (_name, c) => {
    const res = lex.validateRecord('example.lexicon.record', c.data, { rkey: c.rkey })
    expect(res.success).toBe(false)
    expect(() => lex.assertValidRecord('example.lexicon.record', c.data)).toThrow(LexiconValidationError)
  })

  it('counts', () => {
    recordInteropCount('lexicon/record-data-valid.json', valid.length)
    recordInteropCount('lexicon/record-data-invalid.json', invalid.length)
  })

  it('reports the path of each problem', () => {
    const res = lex.validateRecord('example.lexicon.record', {
      $type: 'example.lexicon.record',
      integer: 1,
      formats: { did: 'nope' },
      lenArray: [1, 'x'],
      'cid-link': 'green',
    })
    expect(res.success).toBe(false)
    if (res.success) return
    expect(res.issues.map((i) => [i.code, i.path])).toEqual([
      ['invalid_type', '$["cid-link"]'],
      ['format', '$.formats.did'],
      ['invalid_type', '$.lenArray[1]'],
    ])
  })

  it('applies defaults', () => {
    const input = { $type: 'example.lexicon.record', integer: 1 }
    const res = lex.validateRecord('example.lexicon.record', input)
    expect(res).toEqual({ success: true, value: { ...input, defaultInteger: 42 } })
    expect(input).toEqual({ $type: 'example.lexicon.record', integer: 1 })
  })

  it('validates the catalog query, procedure and subscription', () => {
    expect(lex.validateXrpcParams('example.lexicon.query', { stringField: 'x', array: [1, 2] }).success).toBe(
      true,
    )
    const missing = lex.validateXrpcParams('example.lexicon.query', { integer: 3 })
    expect(missing.success ? [] : missing.issues.map((i) => [i.code, i.path])).toEqual([
      ['required', '$.stringField'],
    ])
    expect(lex.validateXrpcParams('example.lexicon.query', { stringField: 'x', handle: 'no' }).success).toBe(
      false,
    )
    expect(lex.validateXrpcOutput('example.lexicon.query', { a: 1 }).success).toBe(true)
    expect(lex.validateXrpcOutput('example.lexicon.query', { a: '1' }).success).toBe(false)
    expect(
      lex.validateXrpcOutput('example.lexicon.procedure', { array: [1], object: { a: 2 } }).success,
    ).toBe(true)
    expect(
      lex.validateSubscriptionMessage('example.lexicon.subscription', {
        $type: 'example.lexicon.subscription#yo',
        seq: 1,
        yo: true,
      }).success,
    ).toBe(true)
    expect(
      lex.validateSubscriptionMessage('example.lexicon.subscription', { seq: 1, yo: true }, { type: '#yo' })
        .success,
    ).toBe(true)
    expect(
      lex.validateSubscriptionMessage('example.lexicon.subscription', { seq: 1 }, { type: '#yo' }).success,
    ).toBe(false)
    expect(
      lex.validateSubscriptionMessage('example.lexicon.subscription', { name: 'x' }, { type: '#nope' })
        .success,
    ).toBe(false)
  })
})
