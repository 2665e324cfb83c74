// Unit, property and hostile-input tests for document parsing, the registry and data validation.
import { jsonToLex, parseCid } from '@rsky/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  base64DecodedLength,
  graphemeLength,
  InvalidLexiconError,
  LexiconNotFoundError,
  LexiconRefError,
  Lexicons,
  LexiconValidationError,
  safeParseLexiconDoc,
  utf8Length,
} from '../src/index.ts'

const doc = (defs: Record<string, unknown>, id = 'com.example.test') => ({ lexicon: 1, id, defs })
const codes = (v: unknown) => {
  const r = safeParseLexiconDoc(v)
  return r.success ? [] : r.issues.map((i) => `${i.code} ${i.path}`)
}

describe('lexicon document issues (one named code per problem, with its path)', () => {
  const table: [string, unknown, string[]][] = [
    ['not an object', 'nope', ['not_object $']],
    ['version', { lexicon: 2, id: 'a.b.c', defs: { x: { type: 'token' } } }, ['lexicon_version $.lexicon']],
    ['no defs', { lexicon: 1, id: 'a.b.c', defs: {} }, ['empty_defs $.defs']],
    ['unknown type', doc({ x: { type: 'float' } }), ['unknown_type $.defs.x.type']],
    ['union as def', doc({ x: { type: 'union', refs: [] } }), ['type_not_allowed $.defs.x.type']],
    ['primary not main', doc({ x: { type: 'query' } }), ['primary_not_main $.defs.x']],
    [
      'required not defined',
      doc({ main: { type: 'object', required: ['a'], properties: {} } }),
      ['required_not_defined $.defs.main.required[0]'],
    ],
    [
      'const and default',
      doc({ main: { type: 'object', properties: { a: { type: 'string', const: 'x', default: 'y' } } } }),
      ['const_and_default $.defs.main.properties.a'],
    ],
    [
      'min > max',
      doc({ x: { type: 'string', minLength: 5, maxLength: 2 } }),
      ['invalid_range $.defs.x.minLength'],
    ],
    ['bad format', doc({ x: { type: 'string', format: 'email' } }), ['invalid_format $.defs.x.format']],
    [
      'bad ref',
      doc({ x: { type: 'array', items: { type: 'ref', ref: 'not a ref' } } }),
      ['invalid_ref $.defs.x.items.ref'],
    ],
    [
      'empty closed union',
      doc({ x: { type: 'array', items: { type: 'union', refs: [], closed: true } } }),
      ['empty_closed_union $.defs.x.items'],
    ],
    ['bad accept', doc({ x: { type: 'blob', accept: ['text/ht*'] } }), ['invalid_accept $.defs.x.accept[0]']],
    [
      'bad record key',
      doc({ main: { type: 'record', key: 'uuid', record: { type: 'object', properties: {} } } }),
      ['invalid_record_key $.defs.main.key'],
    ],
    [
      'params with object',
      doc({
        main: {
          type: 'query',
          parameters: { type: 'params', properties: { o: { type: 'object', properties: {} } } },
        },
      }),
      ['type_not_allowed $.defs.main.parameters.properties.o.type'],
    ],
    [
      'rpc permission without aud',
      doc({
        main: {
          type: 'permission-set',
          permissions: [{ type: 'permission', resource: 'rpc', lxm: ['a.b.c'] }],
        },
      }),
      ['invalid_permission $.defs.main.permissions[0].aud'],
    ],
    [
      'token as property',
      doc({ main: { type: 'object', properties: { t: { type: 'token' } } } }),
      ['type_not_allowed $.defs.main.properties.t.type'],
    ],
  ]
  it.each(table)('%s', (_name, input, expected) => {
    expect(codes(input)).toEqual(expected)
  })

  it('the throwing form names the document and path', () => {
    const lex = new Lexicons()
    try {
      lex.add(doc({ x: { type: 'query' } }))
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidLexiconError)
      expect((err as InvalidLexiconError).id).toBe('com.example.test')
      expect((err as InvalidLexiconError).path).toBe('$.defs.x')
    }
  })

  it('never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        safeParseLexiconDoc(v)
        safeParseLexiconDoc({ lexicon: 1, id: 'a.b.c', defs: { main: v } })
      }),
      { seed: 42, numRuns: 300 },
    )
  })
})

describe('registry refs', () => {
  it('reports missing refs, bad targets and required cycles', () => {
    const lex = new Lexicons([
      doc({
        main: { type: 'object', required: ['a'], properties: { a: { type: 'ref', ref: '#loop' } } },
        loop: { type: 'object', required: ['b'], properties: { b: { type: 'ref', ref: '#main' } } },
        ok: { type: 'object', properties: { self: { type: 'ref', ref: '#ok' } } },
        tok: { type: 'token' },
        x: {
          type: 'object',
          properties: {
            m: { type: 'ref', ref: 'com.example.missing#thing' },
            t: { type: 'ref', ref: '#tok' },
            u: { type: 'union', refs: ['#tok'] },
          },
        },
      }),
    ])
    const { issues, refs } = lex.checkRefs()
    expect(refs).toBe(6)
    expect(issues.map((i) => i.code).sort()).toEqual([
      'bad_ref_target',
      'bad_ref_target',
      'missing_ref',
      'required_cycle',
    ])
    expect(() => lex.assertRefs()).toThrow(LexiconRefError)
    // An optional self-reference is fine: it is how thread views nest.
    expect(lex.validate('com.example.test#ok', { self: { self: {} } }).success).toBe(true)
  })

  it('throws a named error for an unknown NSID or a def of the wrong type', () => {
    const lex = new Lexicons([doc({ main: { type: 'object', properties: {} } })])
    expect(() => lex.validateRecord('com.example.nope', {})).toThrow(LexiconNotFoundError)
    expect(() => lex.validateRecord('com.example.test', {})).toThrow(LexiconNotFoundError)
    expect(() => lex.add(doc({ x: { type: 'token' } }))).toThrow(TypeError)
  })
})

describe('data validation', () => {
  const lex = new Lexicons([
    doc({
      main: {
        type: 'record',
        key: 'tid',
        record: {
          type: 'object',
          required: ['b'],
          properties: {
            b: { type: 'bytes', maxLength: 4 },
            l: { type: 'cid-link' },
            u: { type: 'unknown' },
            nest: { type: 'ref', ref: '#node' },
            s: { type: 'string', maxLength: 4 },
            g: { type: 'string', maxGraphemes: 2 },
            img: { type: 'blob', accept: ['image/*'], maxSize: 100 },
          },
        },
      },
      node: { type: 'object', properties: { next: { type: 'ref', ref: '#node' } } },
    }),
  ])
  const nsid = 'com.example.test'
  const cid = 'bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq'

  it('accepts bytes and links in both the JSON and the decoded form', () => {
    const json = { $type: nsid, b: { $bytes: 'AQID' }, l: { $link: cid } }
    expect(lex.validateRecord(nsid, json).success).toBe(true)
    expect(lex.validateRecord(nsid, jsonToLex(json)).success).toBe(true)
    expect(lex.validateRecord(nsid, { $type: nsid, b: new Uint8Array(5) }).success).toBe(false)
    expect(
      lex.validateRecord(nsid, { $type: nsid, b: { $bytes: 'AQIDBA==' }, l: parseCid(cid) }).success,
    ).toBe(true)
    expect(lex.validateRecord(nsid, { $type: nsid, b: { $bytes: 'AQIDBAU' } }).success).toBe(false)
    expect(lex.validateRecord(nsid, { $type: nsid, b: { $bytes: '!!' } }).success).toBe(false)
    expect(lex.validateRecord(nsid, { $type: nsid, b: { $bytes: 'AQ', x: 1 } }).success).toBe(false)
    expect(
      lex.validateRecord(nsid, { $type: nsid, b: new Uint8Array(1), l: { $link: 'bafy' } }).success,
    ).toBe(false)
  })

  it('checks data-model rules inside unknown', () => {
    const base = { $type: nsid, b: new Uint8Array(1) }
    expect(lex.validateRecord(nsid, { ...base, u: { a: [1, { b: 'c' }] } }).success).toBe(true)
    const float = lex.validateRecord(nsid, { ...base, u: { a: [1, { b: 1.5 }] } })
    expect(float.success ? [] : float.issues.map((i) => [i.code, i.path])).toEqual([
      ['invalid_data', '$.u.a[1].b'],
    ])
    expect(lex.validateRecord(nsid, { ...base, u: [] }).success).toBe(false)
    expect(lex.validateRecord(nsid, { ...base, u: { x: { $link: 'nope' } } }).success).toBe(false)
  })

  it('counts UTF-8 bytes and graphemes', () => {
    const base = { $type: nsid, b: new Uint8Array(1) }
    expect(lex.validateRecord(nsid, { ...base, s: 'éé' }).success).toBe(true)
    expect(lex.validateRecord(nsid, { ...base, s: 'ééé' }).success).toBe(false)
    expect(lex.validateRecord(nsid, { ...base, g: '🏳️‍🌈🇩🇪' }).success).toBe(true)
    expect(lex.validateRecord(nsid, { ...base, g: 'abc' }).success).toBe(false)
    expect(lex.validateRecord(nsid, { ...base, g: 'a\r\n' }).success).toBe(true)
  })

  it('checks blob accept and maxSize in both forms', () => {
    const base = { $type: nsid, b: new Uint8Array(1) }
    const raw = 'bafkreibjfgx2gprinfvicegelk5kosd6y2frmqpqzwqkg7usac74l3t2v4'
    const blob = (mimeType: string, size: number) => ({ $type: 'blob', ref: { $link: raw }, mimeType, size })
    expect(lex.validateRecord(nsid, { ...base, img: blob('image/png', 10) }).success).toBe(true)
    expect(lex.validateRecord(nsid, { ...base, img: jsonToLex(blob('image/png', 10)) }).success).toBe(true)
    expect(lex.validateRecord(nsid, { ...base, img: blob('text/plain', 10) }).success).toBe(false)
    expect(lex.validateRecord(nsid, { ...base, img: blob('image/png', 101) }).success).toBe(false)
    expect(lex.validateRecord(nsid, { ...base, img: { cid, mimeType: 'image/gif' } }).success).toBe(true)
  })

  it('caps nesting depth instead of recursing without bound', () => {
    let nest: Record<string, unknown> = {}
    for (let i = 0; i < 10_000; i++) nest = { next: nest }
    const res = lex.validateRecord(nsid, { $type: nsid, b: new Uint8Array(1), nest })
    expect(res.success ? [] : res.issues.map((i) => i.code)).toEqual(['too_deep'])
    let deep: unknown = {}
    for (let i = 0; i < 10_000; i++) deep = { a: [deep] }
    expect(lex.validateRecord(nsid, { $type: nsid, b: new Uint8Array(1), u: deep }).success).toBe(false)
  })

  it('hostile values give issues, never crashes', () => {
    const hostile: unknown[] = [
      null,
      undefined,
      42,
      'str',
      [],
      new Uint8Array(3),
      Object.create({ polluted: true }),
      JSON.parse('{"__proto__": {"b": 1}, "$type": "com.example.test"}'),
      { $type: nsid, b: { $bytes: 5 } },
      { $type: 7, b: new Uint8Array(1) },
      { $type: nsid, b: new Uint8Array(1), img: { $type: 'blob', ref: 'x', mimeType: '', size: -1 } },
      { $type: nsid, b: new Uint8Array(1), nest: new Date() },
      { $type: nsid, b: new Uint8Array(1), u: { f: () => 1 } },
      { $type: nsid, b: new Uint8Array(1), u: { n: 10n } },
    ]
    for (const v of hostile) {
      const res = lex.validateRecord(nsid, v)
      expect(res.success).toBe(false)
      expect(() => lex.assertValidRecord(nsid, v)).toThrow(LexiconValidationError)
    }
  })

  it('checks the record key against the key type', () => {
    const ok = { $type: nsid, b: new Uint8Array(1) }
    expect(lex.validateRecord(nsid, ok, { rkey: '3kznmn7xqxl22' }).success).toBe(true)
    const bad = lex.validateRecord(nsid, ok, { rkey: 'self' })
    expect(bad.success ? [] : bad.issues.map((i) => i.code)).toEqual(['record_key'])
  })

  it('rejects a record without $type or with another $type', () => {
    const res = lex.validateRecord(nsid, { $type: 'com.example.other', b: new Uint8Array(1) })
    expect(res.success ? [] : res.issues.map((i) => [i.code, i.path])).toEqual([['record_type', '$.$type']])
  })
})

describe('string measures', () => {
  it('utf8Length matches TextEncoder', () => {
    const enc = new TextEncoder()
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => utf8Length(s) === enc.encode(s).length),
      { seed: 42, numRuns: 300 },
    )
  })

  it('graphemeLength matches Intl.Segmenter (ASCII fast path included)', () => {
    const seg = new Intl.Segmenter()
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('\r\n', 'a\r\nb\n\r')),
        (s) => {
          expect(graphemeLength(s)).toBe([...seg.segment(s)].length)
        },
      ),
      { seed: 42, numRuns: 300 },
    )
  })

  it('base64DecodedLength matches a decoder for padded and unpadded input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.boolean(), (bytes, pad) => {
        const b64 = Buffer.from(bytes).toString('base64')
        expect(base64DecodedLength(pad ? b64 : b64.replace(/=+$/, ''))).toBe(bytes.length)
      }),
      { seed: 42, numRuns: 200 },
    )
    expect(base64DecodedLength('A')).toBe(-1)
    expect(base64DecodedLength('AA=')).toBe(-1)
    expect(base64DecodedLength('AA-_')).toBe(-1)
  })
})
