// Differential test against @atproto/lexicon: data generated from the real lexicons (records, XRPC
// params, input and output bodies, event-stream messages; valid ones, and each mutated in one place)
// must get the same verdict from both validators, except where the reference departs from the spec
// (each such case is classified and counted below). Records and messages are also compared in the
// decoded form (Cid, Uint8Array) and in @atproto/lexicon's own classes (CID, BlobRef).
import { Lexicons as AtprotoLexicons, jsonToLex } from '@atproto/lexicon'
import { parseCid } from '@rsky/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  Lexicons,
  type LexObject,
  safeParseLexiconDoc,
  type ValidationIssue,
  type ValidationResult,
} from '../src/index.ts'
import { DataArbitraries, mutate, mutationPaths, PARAM_REPLACEMENTS, REPLACEMENTS } from './arbitrary.ts'
import { loadRealLexicons } from './real-lexicons.ts'

const docs = loadRealLexicons().map((f) => f.doc)
const ours = new Lexicons(docs)
const theirs = new AtprotoLexicons(structuredClone(docs) as never[])
const arbs = new DataArbitraries(ours)

const RECORDS = [...ours]
  .filter((d) => d.defs['main']?.type === 'record')
  .map((d) => d.id)
  // com.atproto.lexicon.schema is the meta-schema; its generated values are uninteresting.
  .filter((id) => id !== 'com.atproto.lexicon.schema')

/**
 * Where @atproto/lexicon accepts what the spec (and the interop vectors) reject. Returns the
 * category, or undefined when our rejection is not explained by a known departure.
 */
function knownDeparture(issues: readonly ValidationIssue[]): string | undefined {
  const kinds = new Set(
    issues.map((i) => {
      if (i.code === 'blob_mime' || i.code === 'blob_size')
        return 'reference does not check blob accept/maxSize'
      if (i.code === 'invalid_data') return 'reference does not check data-model rules inside unknown'
      if (i.code === 'invalid_type' && i.message.startsWith('unknown must be an object')) {
        return 'reference accepts non-objects (arrays) for unknown'
      }
      if (
        i.code === 'invalid_type' &&
        i.message.endsWith('got=array') &&
        i.message.startsWith('expected an object')
      ) {
        return 'reference accepts an array where an object is expected'
      }
      if (i.code === 'format' && i.message.endsWith('datetime')) return 'reference datetime check is lenient'
      if (i.code === 'format' && i.message.endsWith('language')) {
        // e.g. "mutated": RFC 5646 reserves 5-8 letter primary subtags; the interop syntax vectors
        // (language_syntax_invalid.txt: "jaja") reject any primary subtag but 2-3 letters.
        return 'reference accepts primary language subtags of 4-8 letters'
      }
      return 'unexplained'
    }),
  )
  return kinds.size === 1 && !kinds.has('unexplained') ? [...kinds][0] : undefined
}

type Kind = 'record' | 'params' | 'input' | 'output' | 'message'
/** How a generated JSON-form value reaches each side. */
type Form = 'json' | 'decoded' | 'atproto'

interface Target {
  readonly kind: Kind
  readonly nsid: string
  readonly arb: fc.Arbitrary<unknown>
  readonly ours: (v: unknown) => ValidationResult
  /** Throws when the reference rejects `v` (already in its own representation). */
  readonly theirs: (v: unknown) => unknown
  readonly replacements: readonly unknown[]
}

/** JSON form to the decoded form: `{ $link }` to a Cid, `{ $bytes }` to a Uint8Array. */
function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode)
  if (typeof v !== 'object' || v === null) return v
  const o = v as Record<string, unknown>
  const keys = Object.keys(o)
  if (keys.length === 1 && typeof o['$link'] === 'string') return parseCid(o['$link'])
  if (keys.length === 1 && typeof o['$bytes'] === 'string') {
    return new Uint8Array(Buffer.from(o['$bytes'], 'base64'))
  }
  const out: Record<string, unknown> = {}
  for (const k of keys)
    Object.defineProperty(out, k, { value: decode(o[k]), enumerable: true, writable: true })
  return out
}

interface Stats {
  compared: number
  bothValid: number
  unmutated: number
  unmutatedValid: number
  targets: number
  departures: Map<string, number>
}
const stats = new Map<string, Stats>()
function statsFor(key: string): Stats {
  let s = stats.get(key)
  if (s === undefined) {
    s = { compared: 0, bothValid: 0, unmutated: 0, unmutatedValid: 0, targets: 0, departures: new Map() }
    stats.set(key, s)
  }
  return s
}

function refVerdict(t: Target, v: unknown): boolean {
  try {
    t.theirs(v)
    return true
  } catch {
    return false
  }
}

/** Generates values for `t`, mutates each in one place, and compares verdicts in `form`. */
function runDifferential(t: Target, form: Form, numRuns: number): void {
  const s = statsFor(`${t.kind}/${form}`)
  s.targets++
  const arb = t.arb.chain((value) => {
    const paths = mutationPaths(value)
    return fc.tuple(
      fc.constant(value),
      paths.length === 0 ? fc.constant(undefined) : fc.constantFrom(...paths),
      fc.constantFrom(...t.replacements),
    )
  })
  fc.assert(
    fc.property(arb, ([value, path, replacement]) => {
      const candidates = path === undefined ? [value] : [value, mutate(value, path, replacement)]
      for (const candidate of candidates) {
        const theirsForm = jsonToLex(candidate)
        const oursForm = form === 'json' ? candidate : form === 'decoded' ? decode(candidate) : theirsForm
        const mine = t.ours(oursForm)
        const ref = refVerdict(t, theirsForm)
        s.compared++
        if (candidate === value) {
          s.unmutated++
          if (mine.success) s.unmutatedValid++
        }
        if (mine.success && ref) s.bothValid++
        if (mine.success === ref) continue
        const why = mine.success ? undefined : knownDeparture(mine.issues)
        if (why === undefined) {
          throw new Error(
            `verdicts differ; ${t.kind} ${t.nsid} (${form}); ours=${mine.success}; atproto=${ref}; value=${JSON.stringify(candidate).slice(0, 600)}; issues=${JSON.stringify(mine.success ? [] : mine.issues)}`,
          )
        }
        s.departures.set(why, (s.departures.get(why) ?? 0) + 1)
      }
    }),
    { seed: 42, numRuns },
  )
}

const recordTarget = (nsid: string): Target => ({
  kind: 'record',
  nsid,
  arb: arbs.record(nsid),
  ours: (v) => ours.validateRecord(nsid, v),
  theirs: (v) => theirs.assertValidRecord(nsid, v),
  replacements: REPLACEMENTS,
})

const XRPC = [...ours].filter((d) => {
  const t = d.defs['main']?.type
  return t === 'query' || t === 'procedure' || t === 'subscription'
})

const xrpcTargets = (): Target[] => {
  const out: Target[] = []
  for (const doc of XRPC) {
    const nsid = doc.id
    const def = ours.getDefOrThrow(nsid, ['query', 'procedure', 'subscription'])
    const params = def.parameters
    if (params?.properties && Object.keys(params.properties).length > 0) {
      out.push({
        kind: 'params',
        nsid,
        arb: arbs.object(params as unknown as LexObject, nsid, 0),
        ours: (v) => ours.validateXrpcParams(nsid, v),
        theirs: (v) => theirs.assertValidXrpcParams(nsid, v),
        replacements: PARAM_REPLACEMENTS,
      })
    }
    if (def.type === 'procedure' && def.input?.schema) {
      const schema = def.input.schema
      out.push({
        kind: 'input',
        nsid,
        arb: arbs.field(schema, nsid, 0),
        ours: (v) => ours.validateXrpcInput(nsid, v),
        theirs: (v) => theirs.assertValidXrpcInput(nsid, v),
        replacements: REPLACEMENTS,
      })
    }
    if (def.type !== 'subscription' && def.output?.schema) {
      const schema = def.output.schema
      out.push({
        kind: 'output',
        nsid,
        arb: arbs.field(schema, nsid, 0),
        ours: (v) => ours.validateXrpcOutput(nsid, v),
        theirs: (v) => theirs.assertValidXrpcOutput(nsid, v),
        replacements: REPLACEMENTS,
      })
    }
    if (def.type === 'subscription') {
      out.push({
        kind: 'message',
        nsid,
        arb: arbs.field(def.message.schema, nsid, 0),
        ours: (v) => ours.validateSubscriptionMessage(nsid, v),
        theirs: (v) => theirs.assertValidXrpcMessage(nsid, v),
        replacements: REPLACEMENTS,
      })
    }
  }
  return out
}
const XRPC_TARGETS = xrpcTargets()
const byKind = (k: Kind) => XRPC_TARGETS.filter((t) => t.kind === k).map((t) => [t.nsid, t] as const)

describe('differential vs @atproto/lexicon on real record schemas', () => {
  it('has record types to test', () => {
    expect(RECORDS.length).toBeGreaterThan(15)
  })
  it.each(RECORDS)('%s: generated records get the same verdict (JSON form)', (nsid) => {
    runDifferential(recordTarget(nsid), 'json', 150)
  })
  it.each(RECORDS)('%s: generated records get the same verdict (decoded form: Cid, Uint8Array)', (nsid) => {
    runDifferential(recordTarget(nsid), 'decoded', 60)
  })
  it.each(RECORDS)('%s: generated records get the same verdict (@atproto classes: CID, BlobRef)', (nsid) => {
    runDifferential(recordTarget(nsid), 'atproto', 30)
  })
})

describe('differential vs @atproto/lexicon on real XRPC schemas', () => {
  it('has XRPC targets of every kind', () => {
    expect(byKind('params').length).toBeGreaterThan(150)
    expect(byKind('input').length).toBeGreaterThan(50)
    expect(byKind('output').length).toBeGreaterThan(150)
    expect(byKind('message').length).toBeGreaterThanOrEqual(3)
  })
  it.each(byKind('params'))('%s: params get the same verdict', (_, t) => {
    runDifferential(t, 'json', 25)
  })
  it('params written as a query string decode to the values validated above (every params schema)', () => {
    let checked = 0
    for (const [nsid, t] of byKind('params')) {
      fc.assert(
        fc.property(t.arb, (value) => {
          const typed = value as Record<string, unknown>
          const query = new URLSearchParams()
          for (const [k, v] of Object.entries(typed)) {
            for (const x of Array.isArray(v) ? v : [v]) query.append(k, String(x))
          }
          // A query string can not hold an empty array: the parameter is simply absent.
          const written = Object.fromEntries(
            Object.entries(typed).filter(([, v]) => !(Array.isArray(v) && v.length === 0)),
          )
          const decoded = ours.decodeXrpcParams(nsid, query)
          const direct = ours.validateXrpcParams(nsid, written)
          expect(decoded).toEqual(direct)
          checked++
        }),
        { seed: 42, numRuns: 10 },
      )
    }
    expect(checked).toBeGreaterThan(1500)
  })
  it('neither validator decodes query strings: "50" for an integer, "true" for a boolean are rejected', () => {
    const nsid = 'app.bsky.feed.getAuthorFeed'
    for (const params of [
      { actor: 'alice.test', limit: '50' },
      { actor: 'alice.test', includePins: 'true' },
    ]) {
      expect(ours.validateXrpcParams(nsid, params).success).toBe(false)
      expect(() => theirs.assertValidXrpcParams(nsid, params)).toThrow()
    }
    expect(ours.validateXrpcParams(nsid, { actor: 'alice.test', limit: 50, includePins: true }).success).toBe(
      true,
    )
  })
  it.each(byKind('input'))('%s: input bodies get the same verdict', (_, t) => {
    runDifferential(t, 'json', 25)
  })
  it.each(byKind('output'))('%s: output bodies get the same verdict', (_, t) => {
    runDifferential(t, 'json', 15)
  })
  it.each(byKind('message'))('%s: messages get the same verdict (JSON and decoded form)', (_, t) => {
    runDifferential(t, 'json', 100)
    runDifferential(t, 'decoded', 100)
  })
  it.each(byKind('message'))(
    '%s: a message without $type, typed by the frame header, gets the same verdict',
    (nsid, t) => {
      // On the wire `$type` is absent and the frame header's `t` (`#commit`) names the variant.
      fc.assert(
        fc.property(t.arb, (value) => {
          const { $type, ...body } = value as { $type: string }
          const type = $type.slice($type.indexOf('#'))
          const framed = ours.validateSubscriptionMessage(nsid, decode(body), { type })
          expect(framed.success).toBe(ours.validateSubscriptionMessage(nsid, decode(value)).success)
        }),
        { seed: 42, numRuns: 100 },
      )
    },
  )
})

describe('differential summary', () => {
  it('compared enough, generated mostly valid data, and saw real rejections', () => {
    const rows: Record<string, unknown> = {}
    for (const [key, s] of stats) {
      rows[key] = {
        targets: s.targets,
        compared: s.compared,
        generatedValid: `${s.unmutatedValid}/${s.unmutated}`,
        bothValid: s.bothValid,
        departures: Object.fromEntries(s.departures),
      }
      expect(s.compared).toBeGreaterThan(200)
      // The generator must mostly produce valid data, or the test says little.
      expect(s.unmutatedValid / s.unmutated).toBeGreaterThan(0.9)
      expect(s.compared - s.bothValid).toBeGreaterThan(s.compared / 5)
    }
    console.log('differential:', JSON.stringify(rows, null, 1))
  })
})

describe('where @atproto/lexicon departs from the spec on the interop vectors', () => {
  it('the reference accepts the two blob-constraint cases (no accept/maxSize checks); we reject every case', async () => {
    const { listInteropFiles, readInteropJson } = await import('@rsky/test-vectors')
    const catalog = listInteropFiles('atproto-interop-tests', 'lexicon/catalog', '.json').map((f) =>
      readInteropJson('atproto-interop-tests', f),
    )
    const ref = new AtprotoLexicons(structuredClone(catalog) as never[])
    const mine = new Lexicons(catalog)
    const cases = readInteropJson<{ name: string; data: unknown }[]>(
      'atproto-interop-tests',
      'lexicon/record-data-invalid.json',
    )
    const acceptedByReference = cases
      .filter((c) => {
        try {
          ref.assertValidRecord('example.lexicon.record', jsonToLex(c.data))
          return true
        } catch {
          return false
        }
      })
      .map((c) => c.name)
    for (const c of cases) expect(mine.validateRecord('example.lexicon.record', c.data).success).toBe(false)
    // Documented in README "Differences from @atproto/lexicon".
    expect(acceptedByReference).toEqual(['blob too large', 'blob wrong type'])
  })

  it('the reference reads non-object params as {}; we reject them (undefined is {} for both)', () => {
    const nsid = 'app.bsky.feed.getTimeline'
    for (const v of ['limit=5', 42, [], null]) {
      expect(ours.validateXrpcParams(nsid, v).success).toBe(false)
      expect(() => theirs.assertValidXrpcParams(nsid, v)).not.toThrow()
    }
    expect(ours.validateXrpcParams(nsid, undefined).success).toBe(true)
    expect(() => theirs.assertValidXrpcParams(nsid, undefined)).not.toThrow()
  })

  it('the reference accepts a primary language subtag of 4-8 letters; we follow the interop vectors', () => {
    const nsid = 'app.bsky.feed.post'
    const post = { $type: nsid, text: 'hi', createdAt: '2024-01-01T00:00:00Z', langs: ['jaja'] }
    expect(ours.validateRecord(nsid, post).success).toBe(false)
    expect(() => theirs.assertValidRecord(nsid, jsonToLex(post))).not.toThrow()
    expect(ours.validateRecord(nsid, { ...post, langs: ['ja'] }).success).toBe(true)
  })

  it('the reference loads a document whose default breaks its own limits; we report inconsistent_value', () => {
    const doc = {
      lexicon: 1,
      id: 'com.example.bad',
      defs: {
        main: {
          type: 'query',
          parameters: {
            type: 'params',
            properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 500 } },
          },
        },
      },
    }
    expect(() => new AtprotoLexicons([structuredClone(doc)] as never[])).not.toThrow()
    const res = safeParseLexiconDoc(doc)
    expect(res.success ? [] : res.issues.map((i) => `${i.code} ${i.path}`)).toEqual([
      'inconsistent_value $.defs.main.parameters.properties.limit.default',
    ])
  })
})
