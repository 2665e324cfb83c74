// fast-check arbitraries of data built from lexicon schemas (JSON form), and one-place mutations.
import fc from 'fast-check'
import type { LexFieldSchema, Lexicons, LexObject, LexString, LexUserType } from '../src/index.ts'

const FORMAT_SAMPLES: Record<string, string[]> = {
  datetime: ['2023-10-30T22:25:23.123Z', '1985-04-12T23:20:50.123Z', '2024-01-01T00:00:00Z'],
  uri: [
    'https://example.com/a?b=c',
    'at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3kznmn7xqxl22',
  ],
  'at-uri': [
    'at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3kznmn7xqxl22',
    'at://handle.example.com/com.example.nsid/asdf123',
  ],
  did: ['did:plc:ewvi7nxzyoun6zhxrhs64oiz', 'did:web:example.com'],
  handle: ['alice.bsky.social', 'handle.example.com'],
  'at-identifier': ['did:plc:ewvi7nxzyoun6zhxrhs64oiz', 'alice.bsky.social'],
  nsid: ['app.bsky.feed.post', 'com.example.fooBar'],
  cid: ['bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq'],
  language: ['en', 'pt-BR', 'ja'],
  tid: ['3kznmn7xqxl22', '3jzfcijpj2z2a'],
  'record-key': ['self', '3kznmn7xqxl22', 'simple'],
}
const DAG_CBOR_CID = 'bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq'
const RAW_CID = 'bafkreibjfgx2gprinfvicegelk5kosd6y2frmqpqzwqkg7usac74l3t2v4'

const utf8 = (s: string): number => new TextEncoder().encode(s).length
const b64 = (n: number): string => Buffer.from(new Uint8Array(n).fill(7)).toString('base64')

function stringArb(def: LexString): fc.Arbitrary<string> {
  if (def.const !== undefined) return fc.constant(def.const)
  if (def.enum) return fc.constantFrom(...def.enum)
  const lo = Math.max(def.minLength ?? 0, def.minGraphemes ?? 0)
  const hi = Math.max(lo, Math.min(def.maxLength ?? Infinity, def.maxGraphemes ?? Infinity, lo + 24))
  const fits = (s: string) =>
    utf8(s) >= (def.minLength ?? 0) &&
    utf8(s) <= (def.maxLength ?? Infinity) &&
    s.length >= (def.minGraphemes ?? 0)
  if (def.format) {
    const samples = (FORMAT_SAMPLES[def.format] ?? []).filter(fits)
    return samples.length > 0 ? fc.constantFrom(...samples) : fc.constant('')
  }
  if (def.knownValues && def.knownValues.length > 0) {
    const known = def.knownValues.filter(fits)
    if (known.length > 0) return fc.constantFrom(...known)
  }
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength: lo, maxLength: hi }) },
    // Multi-byte text exercises UTF-8 and grapheme counting; it may break the limits, which is fine
    // for a differential test (both sides must then reject it).
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: lo, maxLength: Math.min(hi, lo + 6) }) },
  )
}

/** Builds arbitraries of valid-looking JSON-form data for definitions in a registry. */
export class DataArbitraries {
  readonly #lex: Lexicons
  constructor(lex: Lexicons) {
    this.#lex = lex
  }

  record(nsid: string): fc.Arbitrary<Record<string, unknown>> {
    const def = this.#lex.getDefOrThrow(nsid, ['record'])
    return this.object(def.record, nsid, 0).map((o) => ({ $type: nsid, ...o }))
  }

  object(def: LexObject, baseId: string, depth: number): fc.Arbitrary<Record<string, unknown>> {
    const req = new Set(def.required ?? [])
    const nul = new Set(def.nullable ?? [])
    const model: Record<string, fc.Arbitrary<unknown>> = {}
    for (const [key, prop] of Object.entries(def.properties ?? {})) {
      if (!req.has(key) && depth > 3) continue
      const arb = this.field(prop, baseId, depth + 1)
      model[key] = nul.has(key) ? fc.oneof(arb, fc.constant(null)) : arb
    }
    const requiredKeys = Object.keys(model).filter((k) => req.has(k))
    return fc.record(model, { requiredKeys }) as fc.Arbitrary<Record<string, unknown>>
  }

  field(def: LexFieldSchema | LexUserType, baseId: string, depth: number): fc.Arbitrary<unknown> {
    switch (def.type) {
      case 'boolean':
        return def.const !== undefined ? fc.constant(def.const) : fc.boolean()
      case 'integer':
        if (def.const !== undefined) return fc.constant(def.const)
        if (def.enum) return fc.constantFrom(...def.enum)
        return fc.integer({ min: def.minimum ?? -1000, max: def.maximum ?? 1000 })
      case 'string':
        return stringArb(def)
      case 'bytes':
        return fc
          .integer({ min: def.minLength ?? 0, max: Math.min(def.maxLength ?? 64, (def.minLength ?? 0) + 64) })
          .map((n) => ({ $bytes: b64(n) }))
      case 'cid-link':
        return fc.constant({ $link: DAG_CBOR_CID })
      case 'blob': {
        const mimes = (def.accept ?? ['image/png']).map((a) =>
          a.replace('*/*', 'application/octet-stream').replace('/*', '/png'),
        )
        return fc.record({
          $type: fc.constant('blob'),
          ref: fc.constant({ $link: RAW_CID }),
          mimeType: fc.constantFrom(...mimes),
          size: fc.integer({ min: 1, max: def.maxSize ?? 1_000_000 }),
        })
      }
      case 'unknown':
        return fc.constantFrom({ a: 1 }, { $type: 'com.example.thing', b: 'c', n: [1, 2] })
      case 'array': {
        const min = def.minLength ?? 0
        const max = depth > 3 ? min : Math.max(min, Math.min(def.maxLength ?? 3, min + 3))
        return fc.array(this.field(def.items, baseId, depth + 1), { minLength: min, maxLength: max })
      }
      case 'object':
        return this.object(def, baseId, depth)
      case 'ref': {
        const uri = this.#lex.resolveRef(def.ref, baseId)
        const target = this.#lex.getDefOrThrow(uri)
        return this.field(target, uri.slice(0, uri.indexOf('#')), depth)
      }
      case 'union': {
        if (def.refs.length === 0) return fc.constant({ $type: 'com.example.other', x: 1 })
        return fc.oneof(
          ...def.refs.map((ref) => {
            const uri = this.#lex.resolveRef(ref, baseId)
            const target = this.#lex.getDefOrThrow(uri, ['object', 'record'])
            const obj = target.type === 'record' ? target.record : target
            const tag = uri.endsWith('#main') ? uri.slice(0, -5) : uri
            return this.object(obj, uri.slice(0, uri.indexOf('#')), depth + 1).map((o) => ({
              $type: tag,
              ...o,
            }))
          }),
        )
      }
      case 'record':
        return this.object(def.record, baseId, depth)
      default:
        throw new TypeError(`no arbitrary for ${def.type}`)
    }
  }
}

/** Replacement values for a one-place mutation; DELETE removes the property. */
export const DELETE: unique symbol = Symbol('delete')
export const REPLACEMENTS: readonly unknown[] = [
  123,
  -1,
  1.5,
  'mutated',
  '',
  true,
  null,
  [],
  {},
  DELETE,
  'x'.repeat(3001),
]

/**
 * Replacements for XRPC params add what a query string carries before decoding: numbers and
 * booleans as strings, and a repeated parameter as an array of strings.
 */
export const PARAM_REPLACEMENTS: readonly unknown[] = [
  ...REPLACEMENTS,
  '1',
  '-5',
  'true',
  'false',
  ['1', '2'],
]

/** Paths to every place in a JSON-form value, not entering $link, $bytes or blob objects. */
export function mutationPaths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = []
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push([...prefix, i], ...mutationPaths(x, [...prefix, i]))
    })
  } else if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>
    if ('$link' in o || '$bytes' in o || o['$type'] === 'blob') return out
    for (const k of Object.keys(o)) out.push([...prefix, k], ...mutationPaths(o[k], [...prefix, k]))
  }
  return out
}

/** A deep copy of `v` with the value at `path` replaced (or deleted). */
export function mutate(v: unknown, path: readonly (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(v) as Record<string | number, unknown>
  let node = copy
  for (let i = 0; i < path.length - 1; i++) node = node[path[i] as string] as Record<string | number, unknown>
  const last = path[path.length - 1] as string | number
  if (replacement === DELETE) {
    if (Array.isArray(node)) node.splice(last as number, 1)
    else delete node[last]
  } else {
    node[last] = structuredClone(replacement)
  }
  return copy
}
