// Checks that a JSON value is a valid lexicon document (the lexicon language itself).
// Unknown fields are ignored so that newer documents still load; known fields must be well typed.

import { isValidLanguage, isValidNsid, isValidRecordKey } from '@rsky/syntax'
import {
  displayValue,
  InvalidLexiconError,
  type LexiconDocIssue,
  type LexiconDocIssueCode,
  type LexiconDocResult,
  pathKey,
} from './errors.ts'
import { FORMAT_CHECKS, graphemeLength, utf8Length } from './strings.ts'
import { LEX_STRING_FORMATS, type LexiconDoc, type LexStringFormat, PRIMARY_TYPES } from './types.ts'

type Obj = Record<string, unknown>

const FIELD_TYPES = new Set([
  'boolean',
  'integer',
  'string',
  'unknown',
  'bytes',
  'cid-link',
  'blob',
  'ref',
  'union',
  'array',
  'object',
])
const DEF_TYPES = new Set([
  'record',
  'query',
  'procedure',
  'subscription',
  'permission-set',
  'object',
  'array',
  'token',
  'boolean',
  'integer',
  'string',
  'bytes',
  'cid-link',
  'blob',
])
const PARAM_TYPES = new Set(['boolean', 'integer', 'string', 'unknown', 'array'])
const PARAM_ITEM_TYPES = new Set(['boolean', 'integer', 'string', 'unknown'])
const FORMATS = new Set<string>(LEX_STRING_FORMATS)
const DEF_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/
const MIME_PATTERN = /^(\*\/\*|[a-z0-9][a-z0-9!#$&^_.+-]*\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*))$/i
const REPO_ACTIONS = new Set(['create', 'update', 'delete'])

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** True when `ref` is `#name`, `nsid` or `nsid#name`. */
export function isValidLexRef(ref: string): boolean {
  const hash = ref.indexOf('#')
  if (hash === -1) return isValidNsid(ref)
  if (ref.indexOf('#', hash + 1) !== -1) return false
  const name = ref.slice(hash + 1)
  if (!DEF_NAME.test(name)) return false
  return hash === 0 || isValidNsid(ref.slice(0, hash))
}

/**
 * Deepest nesting of field schemas (object properties, array items, body and message schemas)
 * a document may have. The lexicons of the live network nest fewer than ten deep; the cap keeps a
 * hostile document from overflowing the stack of the checker, the compiler and the generator.
 */
export const MAX_SCHEMA_DEPTH = 32

class Checker {
  readonly issues: LexiconDocIssue[] = []
  #depth = 0

  add(code: LexiconDocIssueCode, path: string, message: string): void {
    this.issues.push({ code, path, message })
  }

  optString(o: Obj, key: string, path: string): void {
    const v = o[key]
    if (v !== undefined && typeof v !== 'string') {
      this.add('invalid_field', pathKey(path, key), `${key} must be a string`)
    }
  }

  optBoolean(o: Obj, key: string, path: string): void {
    const v = o[key]
    if (v !== undefined && typeof v !== 'boolean') {
      this.add('invalid_field', pathKey(path, key), `${key} must be a boolean`)
    }
  }

  optInt(o: Obj, key: string, path: string, min = Number.MIN_SAFE_INTEGER): number | undefined {
    const v = o[key]
    if (v === undefined) return undefined
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      this.add(
        'invalid_field',
        pathKey(path, key),
        min === 0 ? `${key} must be a non-negative integer` : `${key} must be an integer`,
      )
      return undefined
    }
    return v
  }

  optStringArray(o: Obj, key: string, path: string): string[] | undefined {
    const v = o[key]
    if (v === undefined) return undefined
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
      this.add('invalid_field', pathKey(path, key), `${key} must be an array of strings`)
      return undefined
    }
    return v as string[]
  }

  range(o: Obj, lo: string, hi: string, path: string, min?: number): void {
    const a = this.optInt(o, lo, path, min)
    const b = this.optInt(o, hi, path, min)
    if (a !== undefined && b !== undefined && a > b) {
      this.add('invalid_range', pathKey(path, lo), `${lo} is greater than ${hi}; ${lo}=${a}; ${hi}=${b}`)
    }
  }

  constDefault(o: Obj, path: string, check: (v: unknown) => boolean, what: string): void {
    for (const key of ['default', 'const']) {
      const v = o[key]
      if (v !== undefined && !check(v)) {
        this.add('invalid_field', pathKey(path, key), `${key} must be ${what}`)
      }
    }
    if (o['default'] !== undefined && o['const'] !== undefined) {
      this.add('const_and_default', path, 'const and default are mutually exclusive')
    }
  }

  ref(v: unknown, path: string): void {
    if (typeof v !== 'string' || !isValidLexRef(v)) {
      this.add(
        'invalid_ref',
        path,
        `reference must be "#name", "nsid" or "nsid#name"; ref=${displayValue(v)}`,
      )
    }
  }

  /** A schema in a field position (object property, array item, body schema). */
  field(v: unknown, path: string, allowed: ReadonlySet<string> = FIELD_TYPES): void {
    if (this.#depth >= MAX_SCHEMA_DEPTH) {
      this.add(
        'schema_too_deep',
        path,
        `schemas nest deeper than the cap; maxSchemaDepth=${MAX_SCHEMA_DEPTH}`,
      )
      return
    }
    this.#depth++
    try {
      this.fieldAt(v, path, allowed)
    } finally {
      this.#depth--
    }
  }

  fieldAt(v: unknown, path: string, allowed: ReadonlySet<string>): void {
    if (!isObj(v)) {
      this.add('invalid_field', path, 'schema must be an object')
      return
    }
    const type = v['type']
    if (typeof type !== 'string') {
      this.add('missing_field', pathKey(path, 'type'), 'schema must have a string type')
      return
    }
    if (!allowed.has(type)) {
      const known = DEF_TYPES.has(type) || FIELD_TYPES.has(type) || type === 'params' || type === 'permission'
      this.add(
        known ? 'type_not_allowed' : 'unknown_type',
        pathKey(path, 'type'),
        known ? `type not allowed here; type=${type}` : `unknown schema type; type=${type}`,
      )
      return
    }
    this.schemaBody(v, type, path)
  }

  schemaBody(v: Obj, type: string, path: string): void {
    this.optString(v, 'description', path)
    switch (type) {
      case 'boolean':
        this.constDefault(v, path, (x) => typeof x === 'boolean', 'a boolean')
        break
      case 'integer':
        this.integer(v, path)
        break
      case 'string':
        this.string(v, path)
        break
      case 'bytes':
        this.range(v, 'minLength', 'maxLength', path, 0)
        break
      case 'cid-link':
      case 'unknown':
      case 'token':
        return
      case 'blob':
        this.blob(v, path)
        break
      case 'ref':
        this.ref(v['ref'], pathKey(path, 'ref'))
        break
      case 'union':
        this.union(v, path)
        break
      case 'array':
        this.array(v, path, FIELD_TYPES)
        break
      case 'object':
        this.object(v, path)
        break
    }
  }

  integer(v: Obj, path: string): void {
    this.constDefault(v, path, Number.isSafeInteger, 'an integer')
    this.range(v, 'minimum', 'maximum', path)
    const e = v['enum']
    const enumOk = e === undefined || (Array.isArray(e) && e.every((x) => Number.isSafeInteger(x)))
    if (!enumOk) this.add('invalid_field', pathKey(path, 'enum'), 'enum must be an array of integers')
    // Values the schema itself gives must pass the field's own limits (checked once the limits are
    // well typed; a mistyped limit or value is reported above).
    const min = Number.isSafeInteger(v['minimum']) ? (v['minimum'] as number) : undefined
    const max = Number.isSafeInteger(v['maximum']) ? (v['maximum'] as number) : undefined
    const outside = (x: number): string | undefined =>
      min !== undefined && x < min
        ? `is less than minimum; minimum=${min}`
        : max !== undefined && x > max
          ? `is greater than maximum; maximum=${max}`
          : undefined
    const list = enumOk && Array.isArray(e) ? (e as number[]) : undefined
    for (const key of ['default', 'const']) {
      const x = v[key]
      if (!Number.isSafeInteger(x)) continue
      const why = outside(x as number) ?? (list && !list.includes(x as number) ? 'is not in enum' : undefined)
      if (why) this.add('inconsistent_value', pathKey(path, key), `${key} ${why}; ${key}=${x}`)
    }
    list?.forEach((x, i) => {
      const why = outside(x)
      if (why)
        this.add('inconsistent_value', `${pathKey(path, 'enum')}[${i}]`, `enum value ${why}; value=${x}`)
    })
  }

  string(v: Obj, path: string): void {
    this.constDefault(v, path, (x) => typeof x === 'string', 'a string')
    const format = v['format']
    if (format !== undefined && (typeof format !== 'string' || !FORMATS.has(format))) {
      this.add(
        'invalid_format',
        pathKey(path, 'format'),
        `unknown string format; format=${displayValue(format)}`,
      )
    }
    this.range(v, 'minLength', 'maxLength', path, 0)
    this.range(v, 'minGraphemes', 'maxGraphemes', path, 0)
    const list = this.optStringArray(v, 'enum', path)
    const known = this.optStringArray(v, 'knownValues', path)
    // Values the schema itself gives must pass the field's own limits and format.
    const limit = (key: string): number | undefined => {
      const n = v[key]
      return Number.isSafeInteger(n) && (n as number) >= 0 ? (n as number) : undefined
    }
    const minB = limit('minLength')
    const maxB = limit('maxLength')
    const minG = limit('minGraphemes')
    const maxG = limit('maxGraphemes')
    const check = typeof format === 'string' ? FORMAT_CHECKS[format as LexStringFormat] : undefined
    const problem = (x: string): string | undefined => {
      if (maxB !== undefined && x.length > maxB / 3 && utf8Length(x) > maxB) {
        return `is longer than maxLength; maxLength=${maxB}`
      }
      if (minB !== undefined && utf8Length(x) < minB) return `is shorter than minLength; minLength=${minB}`
      if (maxG !== undefined && x.length > maxG && graphemeLength(x) > maxG) {
        return `has more graphemes than maxGraphemes; maxGraphemes=${maxG}`
      }
      if (minG !== undefined && graphemeLength(x) < minG) {
        return `has fewer graphemes than minGraphemes; minGraphemes=${minG}`
      }
      if (check !== undefined && !check(x)) return `is not a valid ${displayValue(format)}`
      return undefined
    }
    for (const key of ['default', 'const']) {
      const x = v[key]
      if (typeof x !== 'string') continue
      const why = problem(x) ?? (list && !list.includes(x) ? 'is not in enum' : undefined)
      if (why)
        this.add('inconsistent_value', pathKey(path, key), `${key} ${why}; ${key}=${JSON.stringify(x)}`)
    }
    for (const [key, values] of [
      ['enum', list],
      ['knownValues', known],
    ] as const) {
      values?.forEach((x, i) => {
        const why = problem(x)
        if (why) {
          this.add(
            'inconsistent_value',
            `${pathKey(path, key)}[${i}]`,
            `${key} value ${why}; value=${JSON.stringify(x)}`,
          )
        }
      })
    }
  }

  blob(v: Obj, path: string): void {
    this.optInt(v, 'maxSize', path, 0)
    const accept = this.optStringArray(v, 'accept', path)
    accept?.forEach((m, i) => {
      if (!MIME_PATTERN.test(m)) {
        this.add(
          'invalid_accept',
          `${pathKey(path, 'accept')}[${i}]`,
          `accept must be type/subtype, type/* or */*; value=${m}`,
        )
      }
    })
  }

  union(v: Obj, path: string): void {
    this.optBoolean(v, 'closed', path)
    const refs = v['refs']
    if (!Array.isArray(refs)) {
      this.add('missing_field', pathKey(path, 'refs'), 'union must have a refs array')
      return
    }
    refs.forEach((r, i) => {
      this.ref(r, `${pathKey(path, 'refs')}[${i}]`)
    })
    if (refs.length === 0 && v['closed'] === true) {
      this.add('empty_closed_union', path, 'a closed union must list at least one ref')
    }
  }

  array(v: Obj, path: string, itemTypes: ReadonlySet<string>): void {
    this.range(v, 'minLength', 'maxLength', path, 0)
    if (v['items'] === undefined) {
      this.add('missing_field', pathKey(path, 'items'), 'array must have items')
      return
    }
    this.field(v['items'], pathKey(path, 'items'), itemTypes)
  }

  propertyList(v: Obj, path: string, key: 'required' | 'nullable', props: Obj | undefined): void {
    const list = this.optStringArray(v, key, path)
    if (!list || !props) return
    list.forEach((name, i) => {
      if (!Object.hasOwn(props, name)) {
        this.add(
          key === 'required' ? 'required_not_defined' : 'nullable_not_defined',
          `${pathKey(path, key)}[${i}]`,
          `${key} names a property that is not defined; property=${name}`,
        )
      }
    })
  }

  properties(v: Obj, path: string, allowed: ReadonlySet<string>): Obj | undefined {
    const props = v['properties']
    if (!isObj(props)) {
      this.add('missing_field', pathKey(path, 'properties'), 'properties must be an object')
      return undefined
    }
    const ppath = pathKey(path, 'properties')
    for (const name of Object.keys(props)) this.field(props[name], pathKey(ppath, name), allowed)
    return props
  }

  object(v: Obj, path: string): void {
    const props = this.properties(v, path, FIELD_TYPES)
    this.propertyList(v, path, 'required', props)
    this.propertyList(v, path, 'nullable', props)
  }

  params(v: unknown, path: string): void {
    if (!isObj(v) || v['type'] !== 'params') {
      this.add('invalid_field', path, 'parameters must be a schema of type params')
      return
    }
    this.optString(v, 'description', path)
    const props = v['properties'] === undefined ? {} : this.paramProps(v, path)
    this.propertyList(v, path, 'required', props)
  }

  paramProps(v: Obj, path: string): Obj | undefined {
    const props = this.properties(v, path, PARAM_TYPES)
    if (!props) return undefined
    for (const name of Object.keys(props)) {
      const p = props[name]
      if (isObj(p) && p['type'] === 'array' && isObj(p['items'])) {
        const t = p['items']['type']
        if (typeof t === 'string' && !PARAM_ITEM_TYPES.has(t) && FIELD_TYPES.has(t)) {
          this.add(
            'type_not_allowed',
            pathKey(pathKey(pathKey(pathKey(path, 'properties'), name), 'items'), 'type'),
            `params arrays hold only boolean, integer, string or unknown; type=${t}`,
          )
        }
      }
    }
    return props
  }

  body(v: unknown, path: string): void {
    if (!isObj(v)) {
      this.add('invalid_field', path, 'body must be an object')
      return
    }
    this.optString(v, 'description', path)
    if (typeof v['encoding'] !== 'string') {
      this.add('missing_field', pathKey(path, 'encoding'), 'body must have a string encoding')
    }
    if (v['schema'] !== undefined) {
      this.field(v['schema'], pathKey(path, 'schema'), BODY_TYPES)
    }
  }

  errors(v: unknown, path: string): void {
    if (v === undefined) return
    if (!Array.isArray(v)) {
      this.add('invalid_field', path, 'errors must be an array')
      return
    }
    v.forEach((e, i) => {
      const p = `${path}[${i}]`
      if (!isObj(e) || typeof e['name'] !== 'string' || !/^\S+$/.test(e['name'])) {
        this.add('invalid_field', p, 'error must have a name without whitespace')
        return
      }
      this.optString(e, 'description', p)
    })
  }

  record(v: Obj, path: string): void {
    const key = v['key']
    if (key === undefined) {
      this.add('missing_field', pathKey(path, 'key'), 'record must have a key type')
    } else if (typeof key !== 'string' || !isValidKeyType(key)) {
      this.add(
        'invalid_record_key',
        pathKey(path, 'key'),
        `record key must be tid, nsid, any or literal:<rkey>; key=${displayValue(key)}`,
      )
    }
    const rec = v['record']
    if (!isObj(rec) || rec['type'] !== 'object') {
      this.add('invalid_field', pathKey(path, 'record'), 'record must be a schema of type object')
      return
    }
    this.schemaBody(rec, 'object', pathKey(path, 'record'))
  }

  xrpc(v: Obj, type: string, path: string): void {
    if (v['parameters'] !== undefined) this.params(v['parameters'], pathKey(path, 'parameters'))
    if (type === 'subscription') {
      const m = v['message']
      if (!isObj(m)) {
        this.add('missing_field', pathKey(path, 'message'), 'subscription must have a message')
      } else {
        this.optString(m, 'description', pathKey(path, 'message'))
        const s = m['schema']
        const spath = pathKey(pathKey(path, 'message'), 'schema')
        if (!isObj(s) || s['type'] !== 'union') {
          this.add('invalid_field', spath, 'subscription message schema must be a union')
        } else {
          this.schemaBody(s, 'union', spath)
        }
      }
    } else {
      if (v['output'] !== undefined) this.body(v['output'], pathKey(path, 'output'))
      if (type === 'procedure' && v['input'] !== undefined) this.body(v['input'], pathKey(path, 'input'))
    }
    this.errors(v['errors'], pathKey(path, 'errors'))
  }

  langMap(v: Obj, key: string, path: string): void {
    const m = v[key]
    if (m === undefined) return
    const p = pathKey(path, key)
    if (!isObj(m)) {
      this.add('invalid_field', p, `${key} must be a map of language to string`)
      return
    }
    for (const lang of Object.keys(m)) {
      if (!isValidLanguage(lang))
        this.add('invalid_language', pathKey(p, lang), `not a language tag; lang=${lang}`)
      else if (typeof m[lang] !== 'string')
        this.add('invalid_field', pathKey(p, lang), 'value must be a string')
    }
  }

  permissionSet(v: Obj, path: string): void {
    this.optString(v, 'title', path)
    this.optString(v, 'detail', path)
    this.langMap(v, 'title:lang', path)
    this.langMap(v, 'detail:lang', path)
    const perms = v['permissions']
    if (!Array.isArray(perms)) {
      this.add('missing_field', pathKey(path, 'permissions'), 'permission-set must have a permissions array')
      return
    }
    perms.forEach((p, i) => {
      this.permission(p, `${pathKey(path, 'permissions')}[${i}]`)
    })
  }

  permission(p: unknown, path: string): void {
    if (!isObj(p) || p['type'] !== 'permission') {
      this.add('invalid_permission', path, 'permission must be an object of type permission')
      return
    }
    const resource = p['resource']
    if (typeof resource !== 'string' || resource.length === 0) {
      this.add('invalid_permission', pathKey(path, 'resource'), 'permission must name a resource')
      return
    }
    for (const key of Object.keys(p)) {
      const x = p[key]
      const scalar = (y: unknown) =>
        typeof y === 'string' || typeof y === 'boolean' || Number.isSafeInteger(y)
      if (!(scalar(x) || (Array.isArray(x) && x.every(scalar)))) {
        this.add(
          'invalid_permission',
          pathKey(path, key),
          'permission fields hold strings, integers, booleans or arrays of them',
        )
      }
    }
    if (resource === 'repo') this.repoPermission(p, path)
    else if (resource === 'rpc') this.rpcPermission(p, path)
  }

  nonEmptyUnique(p: Obj, key: string, path: string, check: (s: string) => boolean): string[] | undefined {
    const list = p[key]
    const lp = pathKey(path, key)
    if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string')) {
      this.add('invalid_permission', lp, `${key} must be a non-empty array of strings`)
      return undefined
    }
    if (new Set(list).size !== list.length)
      this.add('invalid_permission', lp, `${key} must not repeat values`)
    list.forEach((s, i) => {
      if (!check(s)) this.add('invalid_permission', `${lp}[${i}]`, `invalid ${key} value; value=${s}`)
    })
    return list
  }

  repoPermission(p: Obj, path: string): void {
    this.nonEmptyUnique(p, 'collection', path, isValidNsid)
    if (p['action'] !== undefined) this.nonEmptyUnique(p, 'action', path, (s) => REPO_ACTIONS.has(s))
  }

  rpcPermission(p: Obj, path: string): void {
    // The interop catalog lists `lxm: ["*"]` with inheritAud, so a wildcard lxm is accepted here.
    const lxm = this.nonEmptyUnique(p, 'lxm', path, (s) => s === '*' || isValidNsid(s))
    const aud = p['aud']
    if (aud !== undefined && typeof aud !== 'string')
      this.add('invalid_permission', pathKey(path, 'aud'), 'aud must be a string')
    if (aud === undefined && p['inheritAud'] !== true) {
      this.add('invalid_permission', pathKey(path, 'aud'), 'aud is required unless inheritAud is true')
    }
    if (aud === '*' && lxm?.includes('*')) {
      this.add('invalid_permission', path, 'aud and lxm can not both be wildcards')
    }
  }

  def(v: unknown, name: string, path: string): void {
    if (!isObj(v)) {
      this.add('invalid_field', path, 'definition must be an object')
      return
    }
    const type = v['type']
    if (typeof type !== 'string') {
      this.add('missing_field', pathKey(path, 'type'), 'definition must have a string type')
      return
    }
    if (!DEF_TYPES.has(type)) {
      const known = FIELD_TYPES.has(type) || type === 'params' || type === 'permission'
      this.add(
        known ? 'type_not_allowed' : 'unknown_type',
        pathKey(path, 'type'),
        known ? `type can not be a named definition; type=${type}` : `unknown definition type; type=${type}`,
      )
      return
    }
    if (PRIMARY_TYPES.has(type) && name !== 'main') {
      this.add('primary_not_main', path, `primary definitions must be named main; type=${type}; name=${name}`)
    }
    this.optString(v, 'description', path)
    switch (type) {
      case 'record':
        this.record(v, path)
        break
      case 'query':
      case 'procedure':
      case 'subscription':
        this.xrpc(v, type, path)
        break
      case 'permission-set':
        this.permissionSet(v, path)
        break
      default:
        this.schemaBody(v, type, path)
        break
    }
  }
}

const BODY_TYPES = new Set(['object', 'ref', 'union'])

/** True for the record key types a `record` definition may declare. */
export function isValidKeyType(key: string): boolean {
  if (key === 'tid' || key === 'nsid' || key === 'any') return true
  return key.startsWith('literal:') && isValidRecordKey(key.slice(8))
}

/**
 * Checks that `value` is a valid lexicon document and returns it typed, or every problem found.
 * @example
 * const res = safeParseLexiconDoc(JSON.parse(text))
 * if (!res.success) console.log(res.issues.map((i) => `${i.path}: ${i.message}`))
 */
export function safeParseLexiconDoc(value: unknown): LexiconDocResult<LexiconDoc> {
  const c = new Checker()
  if (!isObj(value)) {
    c.add('not_object', '$', 'lexicon document must be an object')
    return { success: false, issues: c.issues }
  }
  if (value['lexicon'] !== 1)
    c.add('lexicon_version', '$.lexicon', `lexicon must be 1; lexicon=${displayValue(value['lexicon'])}`)
  const id = value['id']
  if (typeof id !== 'string' || !isValidNsid(id))
    c.add('invalid_id', '$.id', `id must be a valid NSID; id=${displayValue(id)}`)
  c.optInt(value, 'revision', '$', 0)
  c.optString(value, 'description', '$')
  const defs = value['defs']
  if (!isObj(defs)) {
    c.add('missing_field', '$.defs', 'defs must be an object')
  } else {
    const names = Object.keys(defs)
    if (names.length === 0) c.add('empty_defs', '$.defs', 'a lexicon must have at least one definition')
    for (const name of names) {
      const p = pathKey('$.defs', name)
      if (!DEF_NAME.test(name))
        c.add('invalid_def_name', p, `definition names are letters, digits, - and _; name=${name}`)
      else c.def(defs[name], name, p)
    }
  }
  return c.issues.length === 0
    ? { success: true, value: value as unknown as LexiconDoc }
    : { success: false, issues: c.issues }
}

/**
 * Checks that `value` is a valid lexicon document and returns it typed.
 * @throws {InvalidLexiconError} listing every problem with its path.
 * @example
 * const doc = parseLexiconDoc(JSON.parse(readFileSync('app/bsky/feed/post.json', 'utf8')))
 */
export function parseLexiconDoc(value: unknown): LexiconDoc {
  const res = safeParseLexiconDoc(value)
  if (!res.success) {
    const id = isObj(value) && typeof value['id'] === 'string' ? value['id'] : undefined
    throw new InvalidLexiconError(res.issues, id)
  }
  return res.value
}

/** True when `value` is a valid lexicon document. */
export function isValidLexiconDoc(value: unknown): value is LexiconDoc {
  return safeParseLexiconDoc(value).success
}
