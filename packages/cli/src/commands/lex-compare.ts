// Changes between two versions of a set of lexicons, each judged breaking or not by the lexicon
// evolution rules: once published, a field is never removed, renamed, given another type, made
// required, or constrained more tightly; new optional fields and looser constraints are fine.
import type { LexiconDoc } from '@rsky/lexicon'

/** One difference between the old and new version of a lexicon. */
export interface LexChange {
  /** The lexicon id (NSID). */
  id: string
  /** Where in the document: `defs.main.record.properties.text.maxLength`. */
  path: string
  /** What happened: `added`, `removed`, `changed`, `type-changed`, `tightened`, `loosened`, `made-required`, ... */
  change: string
  breaking: boolean
  /** One line a person can read. */
  message: string
}

type Schema = Record<string, unknown>

const isObj = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v)
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : [])
const show = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v))

/** Upper bounds: lowering or adding one is breaking. Lower bounds: raising or adding one is. */
const UPPER = ['maxLength', 'maxGraphemes', 'maximum', 'maxSize']
const LOWER = ['minLength', 'minGraphemes', 'minimum']
/** Keys compared structurally (by recursion) rather than as plain values. */
const STRUCTURAL = new Set([
  'type',
  'properties',
  'required',
  'nullable',
  'items',
  'record',
  'parameters',
  'input',
  'output',
  'schema',
  'message',
  'refs',
  'closed',
  'accept',
  'enum',
  'const',
  'format',
  'key',
  'ref',
  'encoding',
  'errors',
  ...UPPER,
  ...LOWER,
])

class Comparer {
  readonly changes: LexChange[] = []
  readonly id: string
  constructor(id: string) {
    this.id = id
  }

  add(path: string, change: string, breaking: boolean, message: string): void {
    this.changes.push({ id: this.id, path, change, breaking, message })
  }

  schema(a: unknown, b: unknown, path: string): void {
    if (!isObj(a) || !isObj(b)) {
      if (JSON.stringify(a) !== JSON.stringify(b)) this.add(path, 'changed', true, `changed`)
      return
    }
    if (a['type'] !== b['type']) {
      this.add(path, 'type-changed', true, `type ${show(a['type'])} became ${show(b['type'])}`)
      return
    }
    this.bounds(a, b, path)
    this.values(a, b, path)
    this.fields(a, b, path)
    for (const key of ['items', 'record', 'schema']) {
      if (a[key] !== undefined || b[key] !== undefined) this.schema(a[key], b[key], `${path}.${key}`)
    }
    for (const key of ['parameters', 'input', 'output', 'message'])
      this.body(a[key], b[key], `${path}.${key}`)
    this.union(a, b, path)
    // Everything else (descriptions, defaults, knownValues, ...): reported, never breaking.
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (STRUCTURAL.has(key)) continue
      if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) {
        const change = a[key] === undefined ? 'added' : b[key] === undefined ? 'removed' : 'changed'
        this.add(`${path}.${key}`, change, false, `${key}: ${show(a[key])} -> ${show(b[key])}`)
      }
    }
  }

  bounds(a: Schema, b: Schema, path: string): void {
    for (const [keys, tighter] of [
      [UPPER, (x: number, y: number) => y < x],
      [LOWER, (x: number, y: number) => y > x],
    ] as const) {
      for (const key of keys) {
        const x = a[key]
        const y = b[key]
        if (x === y) continue
        if (typeof y === 'number' && (typeof x !== 'number' || tighter(x, y))) {
          this.add(`${path}.${key}`, 'tightened', true, `${key} ${show(x)} -> ${show(y)}`)
        } else {
          this.add(`${path}.${key}`, 'loosened', false, `${key} ${show(x)} -> ${show(y)}`)
        }
      }
    }
  }

  values(a: Schema, b: Schema, path: string): void {
    for (const key of ['const', 'format', 'key', 'ref', 'encoding']) {
      if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) {
        this.add(`${path}.${key}`, 'changed', true, `${key} ${show(a[key])} -> ${show(b[key])}`)
      }
    }
    if (a['enum'] !== undefined || b['enum'] !== undefined) {
      const before = strs(a['enum'])
      const after = new Set(strs(b['enum']))
      const removed = a['enum'] === undefined ? ['(any value)'] : before.filter((v) => !after.has(v))
      if (b['enum'] === undefined) this.add(`${path}.enum`, 'loosened', false, 'enum removed')
      else if (removed.length > 0)
        this.add(`${path}.enum`, 'tightened', true, `enum no longer allows ${removed.join(', ')}`)
      else if (after.size > before.length)
        this.add(`${path}.enum`, 'loosened', false, 'enum allows more values')
    }
    if (a['accept'] !== undefined || b['accept'] !== undefined) {
      const after = new Set(strs(b['accept']))
      const removed = a['accept'] === undefined ? ['*/*'] : strs(a['accept']).filter((v) => !after.has(v))
      if (b['accept'] !== undefined && removed.length > 0)
        this.add(`${path}.accept`, 'tightened', true, `accept no longer allows ${removed.join(', ')}`)
      else if (JSON.stringify(a['accept']) !== JSON.stringify(b['accept']))
        this.add(`${path}.accept`, 'loosened', false, 'accept allows more types')
    }
  }

  fields(a: Schema, b: Schema, path: string): void {
    const pa = isObj(a['properties']) ? a['properties'] : undefined
    const pb = isObj(b['properties']) ? b['properties'] : undefined
    if (pa === undefined && pb === undefined) return
    const reqA = new Set(strs(a['required']))
    const reqB = new Set(strs(b['required']))
    const nullA = new Set(strs(a['nullable']))
    const nullB = new Set(strs(b['nullable']))
    for (const name of new Set([...Object.keys(pa ?? {}), ...Object.keys(pb ?? {})])) {
      const p = `${path}.properties.${name}`
      const x = pa?.[name]
      const y = pb?.[name]
      if (y === undefined) this.add(p, 'removed', true, `property ${name} removed`)
      else if (x === undefined) {
        if (reqB.has(name)) this.add(p, 'added-required', true, `required property ${name} added`)
        else this.add(p, 'added', false, `optional property ${name} added`)
      } else {
        this.schema(x, y, p)
        if (!reqA.has(name) && reqB.has(name)) this.add(p, 'made-required', true, `${name} became required`)
        if (reqA.has(name) && !reqB.has(name))
          this.add(p, 'made-optional', true, `${name} is no longer required`)
        if (nullA.has(name) && !nullB.has(name))
          this.add(p, 'made-non-nullable', true, `${name} is no longer nullable`)
        if (!nullA.has(name) && nullB.has(name))
          this.add(p, 'made-nullable', false, `${name} became nullable`)
      }
    }
  }

  union(a: Schema, b: Schema, path: string): void {
    if (a['type'] !== 'union') return
    const after = new Set(strs(b['refs']))
    const before = new Set(strs(a['refs']))
    for (const r of before)
      if (!after.has(r)) this.add(`${path}.refs`, 'removed', true, `union no longer includes ${r}`)
    const closed = b['closed'] === true
    for (const r of after)
      if (!before.has(r)) this.add(`${path}.refs`, 'added', closed, `union includes ${r}`)
    if (a['closed'] !== b['closed'])
      this.add(
        `${path}.closed`,
        'changed',
        b['closed'] === true,
        `closed ${show(a['closed'])} -> ${show(b['closed'])}`,
      )
  }

  /** XRPC parameters, input, output and subscription message. */
  body(a: unknown, b: unknown, path: string): void {
    if (a === undefined && b === undefined) return
    const what = path.split('.').pop()
    if (a === undefined) this.add(path, 'added', true, `${what} added`)
    else if (b === undefined) this.add(path, 'removed', true, `${what} removed`)
    else this.schema(a, b, path)
  }
}

/** Every difference between two sets of lexicons (by id), sorted by id and path. */
export function compareLexicons(
  before: ReadonlyMap<string, LexiconDoc>,
  after: ReadonlyMap<string, LexiconDoc>,
): LexChange[] {
  const out: LexChange[] = []
  for (const id of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const a = before.get(id)
    const b = after.get(id)
    const c = new Comparer(id)
    if (b === undefined) c.add('', 'removed', true, 'lexicon removed')
    else if (a === undefined) c.add('', 'added', false, 'lexicon added')
    else {
      const da = a.defs as unknown as Record<string, unknown>
      const db = b.defs as unknown as Record<string, unknown>
      for (const name of new Set([...Object.keys(da), ...Object.keys(db)])) {
        const p = `defs.${name}`
        if (db[name] === undefined) c.add(p, 'removed', true, `definition ${name} removed`)
        else if (da[name] === undefined) c.add(p, 'added', false, `definition ${name} added`)
        else c.schema(da[name], db[name], p)
      }
      if (a.description !== b.description) c.add('description', 'changed', false, 'description changed')
    }
    out.push(...c.changes)
  }
  return out
}
