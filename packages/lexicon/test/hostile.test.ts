// Hostile documents and values from issue 17: deep schemas (B), null-prototype `$type` (C).
import { describe, expect, it } from 'vitest'
import { generateLexiconTypes } from '../src/codegen/index.ts'
import {
  InvalidLexiconError,
  Lexicons,
  MAX_SCHEMA_DEPTH,
  parseLexiconDoc,
  safeParseLexiconDoc,
} from '../src/index.ts'

const doc = (main: unknown, id = 'com.example.deep') => ({ lexicon: 1, id, defs: { main } })

/** An object schema whose single property nests `depth` object schemas deep (built without recursion). */
function nestedObjects(depth: number): unknown {
  let schema: unknown = { type: 'string' }
  for (let i = 0; i < depth; i++) schema = { type: 'object', properties: { a: schema } }
  return schema
}

function nestedArrays(depth: number): unknown {
  let schema: unknown = { type: 'integer' }
  for (let i = 0; i < depth; i++) schema = { type: 'array', items: schema }
  return schema
}

describe('schema depth is capped with a named issue, never a stack overflow (issue 17 B)', () => {
  const deep: [string, unknown][] = [
    ['objects 1,400 deep', doc(nestedObjects(1400))],
    ['arrays 2,500 deep', doc(nestedArrays(2500))],
    ['objects 100,000 deep', doc(nestedObjects(100_000))],
    [
      'a record whose properties nest 5,000 deep',
      doc({ type: 'record', key: 'tid', record: nestedObjects(5000) }),
    ],
    [
      'a query output schema nesting 5,000 deep',
      doc({ type: 'query', output: { encoding: 'application/json', schema: nestedObjects(5000) } }),
    ],
  ]

  it.each(deep)('%s: safeParseLexiconDoc returns schema_too_deep', (_name, d) => {
    const r = safeParseLexiconDoc(d)
    expect(r.success).toBe(false)
    if (r.success) return
    expect(r.issues.map((i) => i.code)).toEqual(['schema_too_deep'])
    expect(r.issues[0]?.message).toContain(`maxSchemaDepth=${MAX_SCHEMA_DEPTH}`)
  })

  it.each(deep)('%s: parseLexiconDoc and new Lexicons throw InvalidLexiconError', (_name, d) => {
    expect(() => parseLexiconDoc(d)).toThrow(InvalidLexiconError)
    expect(() => new Lexicons([d])).toThrow(InvalidLexiconError)
    expect(() => generateLexiconTypes({ documents: [d] })).toThrow(InvalidLexiconError)
    try {
      parseLexiconDoc(d)
    } catch (err) {
      expect((err as InvalidLexiconError).issues[0]?.code).toBe('schema_too_deep')
    }
  })

  it('a schema exactly at the cap parses, compiles and validates', () => {
    // the record's own object is not a field; its property chain is MAX_SCHEMA_DEPTH fields deep
    const d = doc({ type: 'record', key: 'tid', record: nestedObjects(MAX_SCHEMA_DEPTH) })
    expect(safeParseLexiconDoc(d).success).toBe(true)
    let value: unknown = 'leaf'
    for (let i = 0; i < MAX_SCHEMA_DEPTH - 1; i++) value = { a: value }
    const lex = new Lexicons([d])
    expect(lex.validateRecord('com.example.deep', { $type: 'com.example.deep', a: value }).success).toBe(true)
    const over = doc({ type: 'record', key: 'tid', record: nestedObjects(MAX_SCHEMA_DEPTH + 1) })
    expect(safeParseLexiconDoc(over).success).toBe(false)
  })

  it('deeply nested fields the checker ignores do not break the reference walk', () => {
    let junk: unknown = 1
    for (let i = 0; i < 50_000; i++) junk = [junk]
    const d = { ...doc({ type: 'object', properties: { a: { type: 'ref', ref: '#x' } } }), extra: junk }
    const withJunk = { ...d, defs: { ...d.defs, x: { type: 'object', properties: {}, extra: junk } } }
    const lex = new Lexicons([withJunk])
    expect(lex.checkRefs().issues).toEqual([])
  })
})

describe('validateRecord never throws on a hostile $type (issue 17 C)', () => {
  const lex = new Lexicons([
    {
      lexicon: 1,
      id: 'com.example.post',
      defs: { main: { type: 'record', key: 'tid', record: { type: 'object', properties: {} } } },
    },
  ])
  const nullProto = Object.create(null) as object
  const cases: [string, unknown][] = [
    ['a null-prototype object', nullProto],
    ['an array holding one', [nullProto]],
    ['an array of arrays holding one', [[nullProto]]],
    [
      'an object whose toString throws',
      {
        toString: () => {
          throw new Error('no')
        },
      },
    ],
    ['a symbol', Symbol('x')],
    ['a bigint', 10n],
    ['bytes', new Uint8Array(2)],
  ]
  it.each(cases)('$type that is %s is a record_type issue', (_name, t) => {
    const r = lex.validateRecord('com.example.post', { $type: t })
    expect(r.success).toBe(false)
    if (!r.success) expect(r.issues[0]).toMatchObject({ code: 'record_type', path: '$.$type' })
  })

  it('the same with the interpreted (non-generated) checks', () => {
    const plain = new Lexicons([...lex], { jit: false })
    for (const [, t] of cases) {
      const r = plain.validateRecord('com.example.post', { $type: t })
      expect(r.success).toBe(false)
    }
  })

  it('a document whose fields are null-prototype objects is a result, not a TypeError', () => {
    const bad = Object.assign(Object.create(null), { x: 1 })
    const d = {
      lexicon: bad,
      id: bad,
      defs: {
        main: {
          type: 'record',
          key: [bad],
          record: {
            type: 'object',
            properties: { a: { type: 'string', format: bad }, b: { type: 'ref', ref: bad } },
          },
        },
      },
    }
    const r = safeParseLexiconDoc(d)
    expect(r.success).toBe(false)
    if (!r.success) {
      expect(r.issues.map((i) => i.code).sort()).toEqual(
        ['invalid_format', 'invalid_id', 'invalid_record_key', 'invalid_ref', 'lexicon_version'].sort(),
      )
    }
  })
})
