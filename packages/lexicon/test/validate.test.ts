// Unit, property and hostile-input tests for document parsing, the registry and data validation.
import { BlobRef } from '@atproto/lexicon'
import { jsonToLex, parseCid } from '@rsky/dag-cbor'
import fc from 'fast-check'
import { CID } from 'multiformats/cid'
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

  // A value the schema gives itself (default, const, enum, knownValues) that its own field's
  // limits would reject: the field could never hold it (@atproto/lexicon does not check this).
  const inconsistent: [string, unknown, string[]][] = [
    ['integer default above maximum', { type: 'integer', maximum: 100, default: 101 }, ['default']],
    ['integer default below minimum', { type: 'integer', minimum: 1, default: 0 }, ['default']],
    ['integer const outside range', { type: 'integer', minimum: 1, maximum: 5, const: 9 }, ['const']],
    ['integer default not in enum', { type: 'integer', enum: [1, 2], default: 3 }, ['default']],
    ['integer enum value outside range', { type: 'integer', maximum: 5, enum: [1, 7] }, ['enum[1]']],
    ['string default over maxLength', { type: 'string', maxLength: 3, default: 'abcd' }, ['default']],
    ['string default over maxLength in bytes', { type: 'string', maxLength: 3, default: 'é€' }, ['default']],
    ['string default under minLength', { type: 'string', minLength: 2, default: 'a' }, ['default']],
    ['string default over maxGraphemes', { type: 'string', maxGraphemes: 1, default: 'ab' }, ['default']],
    ['string default under minGraphemes', { type: 'string', minGraphemes: 2, default: '👍🏽' }, ['default']],
    ['string const not in enum', { type: 'string', enum: ['a', 'b'], const: 'c' }, ['const']],
    ['string default of the wrong format', { type: 'string', format: 'did', default: 'alice' }, ['default']],
    ['string enum value over maxLength', { type: 'string', maxLength: 2, enum: ['ab', 'abc'] }, ['enum[1]']],
    [
      'knownValues entry over maxLength',
      { type: 'string', maxLength: 4, knownValues: ['ok', 'toolong'] },
      ['knownValues[1]'],
    ],
  ]
  it.each(inconsistent)('inconsistent_value: %s', (_name, field, paths) => {
    const res = safeParseLexiconDoc(doc({ main: { type: 'object', properties: { f: field } } }))
    expect(res.success).toBe(false)
    if (res.success) return
    expect(res.issues.map((i) => `${i.code} ${i.path}`)).toEqual(
      paths.map((p) => `inconsistent_value $.defs.main.properties.f.${p}`),
    )
  })

  it('values within their limits are consistent (and unchecked when a limit is mistyped)', () => {
    const ok = [
      { type: 'integer', minimum: 1, maximum: 100, default: 100, enum: [1, 50, 100] },
      { type: 'string', maxLength: 4, default: 'é€'.slice(0, 1), knownValues: ['ab', 'abcd'] },
      { type: 'string', maxGraphemes: 1, default: '👍🏽' },
      { type: 'string', enum: ['a', 'b'], const: 'b' },
      { type: 'string', format: 'did', default: 'did:web:example.com' },
    ]
    for (const f of ok) expect(codes(doc({ main: { type: 'object', properties: { f } } }))).toEqual([])
    // A mistyped limit is reported once, as invalid_field, not again for the default.
    expect(codes(doc({ x: { type: 'integer', maximum: 'ten', default: 11 } }))).toEqual([
      'invalid_field $.defs.x.maximum',
    ])
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

  it('accepts @atproto/lexicon BlobRef instances, with the same accept and maxSize checks', () => {
    const base = { $type: nsid, b: new Uint8Array(1) }
    const raw = 'bafkreibjfgx2gprinfvicegelk5kosd6y2frmqpqzwqkg7usac74l3t2v4'
    const ref = (mimeType: string, size: number) => new BlobRef(CID.parse(raw), mimeType, size)
    const ok = (img: unknown) => lex.validateRecord(nsid, { ...base, img }).success
    const issue = (img: unknown) => {
      const res = lex.validateRecord(nsid, { ...base, img })
      return res.success ? undefined : `${res.issues[0]?.code} ${res.issues[0]?.path}`
    }
    expect(ok(ref('image/png', 10))).toBe(true)
    expect(issue(ref('text/plain', 10))).toBe('blob_mime $.img')
    expect(issue(ref('image/png', 101))).toBe('blob_size $.img')
    // The legacy form, as @atproto/lexicon reads it (size -1, `original` the legacy object).
    const legacy = BlobRef.fromJsonRef({ cid: raw, mimeType: 'image/gif' })
    expect(ok(legacy)).toBe(true)
    expect(issue(BlobRef.fromJsonRef({ cid: raw, mimeType: 'text/html' }))).toBe('blob_mime $.img')
    // A BlobRef whose fields disagree with its `original`, or whose original is malformed.
    const forged = ref('image/png', 10)
    ;(forged as { mimeType: string }).mimeType = 'image/jpeg'
    expect(issue(forged)).toBe('invalid_type $.img')
    const grown = ref('image/png', 10)
    ;(grown as { size: number }).size = 1_000_000
    expect(issue(grown)).toBe('invalid_type $.img')
    expect(
      ok(new BlobRef(CID.parse(raw), 'image/png', 10, { $type: 'blob', mimeType: 'image/png' } as never)),
    ).toBe(false)
    // Inside unknown too, where @atproto/lexicon's jsonToLex puts them.
    expect(lex.validateRecord(nsid, { ...base, u: { pic: ref('image/png', 10) } }).success).toBe(true)
    expect(lex.validateRecord(nsid, { ...base, u: { pic: forged } }).success).toBe(false)
  })

  it('keeps plain-object blob checks as they were: no `original` shortcut, no class instances', () => {
    const base = { $type: nsid, b: new Uint8Array(1) }
    const raw = 'bafkreibjfgx2gprinfvicegelk5kosd6y2frmqpqzwqkg7usac74l3t2v4'
    const typed = { $type: 'blob', ref: { $link: raw }, mimeType: 'image/png', size: 10 }
    // A plain object is checked as itself, whatever its `original` says.
    const plain = { ref: { $link: raw }, mimeType: 'image/png', size: 10, original: typed }
    expect(lex.validateRecord(nsid, { ...base, img: plain }).success).toBe(false)
    // Objects that are neither plain nor a BlobRef (no `original`) are not blobs.
    class Fake {
      $type = 'blob'
      ref = { $link: raw }
      mimeType = 'image/png'
      size = 10
    }
    expect(lex.validateRecord(nsid, { ...base, img: new Fake() }).success).toBe(false)
    expect(lex.validateRecord(nsid, { ...base, img: new Map(Object.entries(typed)) }).success).toBe(false)
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

describe('decodeXrpcParams (HTTP query strings)', () => {
  const lex = new Lexicons([
    doc({
      main: {
        type: 'query',
        parameters: {
          type: 'params',
          required: ['q'],
          properties: {
            q: { type: 'string', maxLength: 10 },
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
            flag: { type: 'boolean' },
            ids: { type: 'array', items: { type: 'integer' } },
            tags: { type: 'array', items: { type: 'string' } },
          },
        },
      },
    }),
  ])
  const nsid = 'com.example.test'
  const issues = (q: ConstructorParameters<typeof URLSearchParams>[0]) => {
    const r = lex.decodeXrpcParams(nsid, new URLSearchParams(q))
    return r.success ? [] : r.issues.map((i) => `${i.code} ${i.path}`)
  }

  it('decodes integers, booleans and repeated parameters, then validates (defaults applied)', () => {
    const r = lex.decodeXrpcParams(nsid, new URLSearchParams('q=hi&flag=false&ids=1&ids=-2&tags=a&extra=x'))
    expect(r).toEqual({
      success: true,
      value: { q: 'hi', flag: false, ids: [1, -2], tags: ['a'], extra: 'x', limit: 50 },
    })
    expect(lex.decodeXrpcParams(nsid, { q: 'hi', limit: '7', ids: ['3'] })).toEqual({
      success: true,
      value: { q: 'hi', limit: 7, ids: [3] },
    })
  })

  it('rejects what is not decimal digits or exactly true/false, instead of coercing it', () => {
    for (const bad of ['1.5', 'abc', '', '+5', '0x10', '1e3', ' 5', '99999999999999999']) {
      expect(issues({ q: 'a', limit: bad })).toEqual(['invalid_type $.limit'])
    }
    for (const bad of ['TRUE', '1', 'yes', ''])
      expect(issues({ q: 'a', flag: bad })).toEqual(['invalid_type $.flag'])
    expect(issues('q=a&ids=1&ids=x')).toEqual(['invalid_type $.ids[1]'])
    expect(issues('q=a&limit=1&limit=2')).toEqual(['invalid_type $.limit'])
    // Decoded values still meet the schema: range, length, required.
    expect(issues({ q: 'a', limit: '0' })).toEqual(['too_small $.limit'])
    expect(issues({ q: 'a'.repeat(11) })).toEqual(['too_big $.q'])
    expect(issues({})).toEqual(['required $.q'])
  })

  it('keeps hostile parameter names as own properties', () => {
    const r = lex.decodeXrpcParams(nsid, new URLSearchParams('q=a&__proto__=x'))
    expect(r.success).toBe(true)
    if (r.success) {
      expect(Object.hasOwn(r.value as object, '__proto__')).toBe(true)
      expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype)
    }
  })
})
