// The generated object checks (`jit`, the default) against the closure compiler (`jit: false`),
// which is the reference behaviour: every record generated from the real lexicons, valid and
// mutated in one place, and every interop data vector must get the same result from both,
// value (defaults applied) and issues (code, path, message) alike.
import { listInteropFiles, readInteropJson } from '@rsky/test-vectors'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { jitAvailable } from '../src/compile.ts'
import { Lexicons } from '../src/index.ts'
import { DataArbitraries, mutate, mutationPaths, REPLACEMENTS } from './arbitrary.ts'
import { loadRealLexicons } from './real-lexicons.ts'

const docs = loadRealLexicons().map((f) => f.doc)
const jit = new Lexicons(docs)
const closures = new Lexicons(docs, { jit: false })
const arbs = new DataArbitraries(closures)

const RECORDS = [...closures]
  .filter((d) => d.defs['main']?.type === 'record')
  .map((d) => d.id)
  .filter((id) => id !== 'com.atproto.lexicon.schema')

describe('generated checks equal the closure compiler', () => {
  it('Node allows code generation, so the default registry uses it', () => {
    expect(jitAvailable()).toBe(true)
  })

  let compared = 0
  let failures = 0
  it.each(RECORDS)('%s', (nsid) => {
    const arb = arbs.record(nsid).chain((value) => {
      const paths = mutationPaths(value)
      return fc.tuple(
        fc.constant(value),
        paths.length === 0 ? fc.constant(undefined) : fc.constantFrom(...paths),
        fc.constantFrom(...REPLACEMENTS),
      )
    })
    fc.assert(
      fc.property(arb, ([value, path, replacement]) => {
        const candidates = path === undefined ? [value] : [value, mutate(value, path, replacement)]
        for (const candidate of candidates) {
          const a = jit.validateRecord(nsid, candidate)
          const b = closures.validateRecord(nsid, candidate)
          expect(a).toEqual(b)
          compared++
          if (!a.success) failures++
        }
      }),
      { seed: 11, numRuns: 100 },
    )
  })

  it('compared valid and invalid records', () => {
    expect(compared).toBeGreaterThan(1000)
    expect(failures).toBeGreaterThan(compared / 5)
  })

  it('reports nested paths the same way (objects in arrays in unions)', () => {
    const bad = {
      $type: 'app.bsky.feed.post',
      text: 'hi',
      createdAt: '2024-11-24T12:34:56.789Z',
      facets: [
        {
          index: { byteStart: 0, byteEnd: 'x' },
          features: [{ $type: 'app.bsky.richtext.facet#mention', did: 'nope' }, { uri: 1 }],
        },
      ],
      embed: {
        $type: 'app.bsky.embed.images',
        images: [{ alt: 'a', image: { $type: 'blob', ref: { $link: 'x' }, mimeType: 'image/png', size: 1 } }],
      },
      'odd key': 1,
    }
    const a = jit.validateRecord('app.bsky.feed.post', bad)
    expect(a).toEqual(closures.validateRecord('app.bsky.feed.post', bad))
    expect(a.success ? [] : a.issues.map((i) => i.path)).toEqual([
      '$.facets[0].index.byteEnd',
      '$.facets[0].features[0].did',
      '$.facets[0].features[1]',
      '$.embed.images[0].image',
    ])
  })

  it('applies defaults the same way', () => {
    const lex = (opts: { jit: boolean }) =>
      new Lexicons(
        [
          {
            lexicon: 1,
            id: 'com.example.defaults',
            defs: {
              main: {
                type: 'record',
                key: 'any',
                record: {
                  type: 'object',
                  required: ['inner'],
                  properties: {
                    n: { type: 'integer', default: 3 },
                    s: { type: 'string', default: 'x', maxLength: 3 },
                    inner: { type: 'ref', ref: '#inner' },
                  },
                },
              },
              inner: { type: 'object', properties: { b: { type: 'boolean', default: true } } },
            },
          },
        ],
        opts,
      )
    const value = { $type: 'com.example.defaults', inner: {} }
    const a = lex({ jit: true }).validateRecord('com.example.defaults', value)
    expect(a).toEqual(lex({ jit: false }).validateRecord('com.example.defaults', value))
    expect(a.success && a.value).toEqual({ $type: 'com.example.defaults', n: 3, s: 'x', inner: { b: true } })
    expect(value).toEqual({ $type: 'com.example.defaults', inner: {} })
  })
})

describe('schemas the generator leaves to the closure compiler', () => {
  it('an object with 300 properties and one with a key of Object.prototype', () => {
    const properties: Record<string, unknown> = { __proto__: null }
    for (let i = 0; i < 300; i++) properties[`p${i}`] = { type: 'integer', maximum: 5 }
    const doc = {
      lexicon: 1,
      id: 'com.example.wide',
      defs: {
        main: { type: 'object', properties: { ...properties } },
        proto: { type: 'object', required: ['constructor'], properties: { constructor: { type: 'string' } } },
      },
    }
    const a = new Lexicons([doc])
    const b = new Lexicons([doc], { jit: false })
    const value = { p0: 1, p299: 9 }
    expect(a.validate('com.example.wide', value)).toEqual(b.validate('com.example.wide', value))
    expect(a.validate('com.example.wide', value).success).toBe(false)
    expect(a.validate('com.example.wide#proto', {})).toEqual(b.validate('com.example.wide#proto', {}))
    expect(a.validate('com.example.wide#proto', {}).success).toBe(false)
  })
})

describe('interop data vectors give the same results with and without generated checks', () => {
  const SUITE = 'atproto-interop-tests'
  const catalog = listInteropFiles(SUITE, 'lexicon/catalog', '.json').map((f) => readInteropJson(SUITE, f))
  const a = new Lexicons(catalog)
  const b = new Lexicons(catalog, { jit: false })
  for (const file of ['lexicon/record-data-valid.json', 'lexicon/record-data-invalid.json']) {
    it(file, () => {
      const cases = readInteropJson<{ data: Record<string, unknown>; rkey: string }[]>(SUITE, file)
      expect(cases.length).toBeGreaterThan(2)
      for (const c of cases) {
        const nsid = 'example.lexicon.record'
        expect(a.validateRecord(nsid, c.data, { rkey: c.rkey })).toEqual(
          b.validateRecord(nsid, c.data, { rkey: c.rkey }),
        )
      }
    })
  }
})
