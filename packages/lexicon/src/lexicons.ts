// The registry: documents by NSID, ref resolution, compiled validators cached per definition.

import { isValidNsid, isValidRecordKey, isValidTid } from '@rsky/syntax'
import {
  type Check,
  type CompileHost,
  type Ctx,
  compileField,
  compileObject,
  compileParams,
  compileRecordCheck,
  FAIL,
  formatPath,
  jitAvailable,
  report,
  typeTag,
} from './compile.ts'
import { isPlainObject } from './data.ts'
import {
  displayValue,
  LexiconNotFoundError,
  LexiconRefError,
  type LexiconRefIssue,
  LexiconValidationError,
  type ValidationIssue,
  type ValidationResult,
} from './errors.ts'
import { parseLexiconDoc } from './parse.ts'
import { checkAllRefs } from './refs.ts'
import type { LexiconDoc, LexRecord, LexUserType } from './types.ts'

/** Options of a registry. */
export interface LexiconsOptions {
  /** Deepest nesting of objects and arrays accepted in data (default 128). */
  maxDepth?: number
  /**
   * Compile object validators to JavaScript source with `new Function` (faster: each property
   * is read by name). Default: whenever the runtime allows it; `false` keeps the closure
   * compiler, which gives the same results (e.g. under a strict Content-Security-Policy).
   */
  jit?: boolean
}

/** Options of `validateRecord`. */
export interface ValidateRecordOptions {
  /** When given, also checked against the record's key type (tid, nsid, literal:x, any). */
  rkey?: string
}

/** Options of `validateSubscriptionMessage`. */
export interface ValidateMessageOptions {
  /**
   * Variant to use when the message has no `$type` (the frame header `t`, e.g. `#commit`); the
   * spec lets top-level subscription messages omit `$type`.
   */
  type?: string
}

const XRPC_TYPES = ['query', 'procedure', 'subscription'] as const

/**
 * A set of lexicon documents that validates records and XRPC data against them.
 * @example
 * const lex = new Lexicons([postDoc, facetDoc, ...])
 * const res = lex.validateRecord('app.bsky.feed.post', record)
 * if (!res.success) console.log(res.issues) // [{ code, path: '$.text', message }]
 */
export class Lexicons implements Iterable<LexiconDoc> {
  readonly #docs = new Map<string, LexiconDoc>()
  readonly #checks = new Map<string, Check>()
  // Records get their own map keyed by bare NSID: no key string is built on the hot path.
  readonly #records = new Map<string, Check>()
  #ctx: Ctx
  readonly #maxDepth: number
  readonly #host: CompileHost

  /**
   * @throws {InvalidLexiconError} when a document is not valid lexicon.
   * @throws {RangeError} when maxDepth is not a positive integer.
   */
  constructor(docs: Iterable<unknown> = [], options: LexiconsOptions = {}) {
    const maxDepth = options.maxDepth ?? 128
    if (!Number.isSafeInteger(maxDepth) || maxDepth < 1) {
      throw new RangeError(`maxDepth must be a positive integer; maxDepth=${maxDepth}`)
    }
    this.#maxDepth = maxDepth
    this.#ctx = { issues: [], path: [], depth: 0, maxDepth }
    this.#host = {
      resolve: (ref, baseId) => resolveRef(ref, baseId),
      refCheck: (uri) => this.#cached(`ref:${uri}`, () => this.#compileRef(uri)),
      variantCheck: (uri) => this.#cached(`var:${uri}`, () => this.#compileVariant(uri)),
      jit: options.jit !== false && jitAvailable(),
    }
    for (const doc of docs) this.add(doc)
  }

  /**
   * Parses a document and adds it; compiled validators are rebuilt on next use.
   * @throws {InvalidLexiconError} when the document is not valid lexicon.
   * @throws {TypeError} when a document with the same id is already registered.
   */
  add(doc: unknown): LexiconDoc {
    const parsed = parseLexiconDoc(doc)
    if (this.#docs.has(parsed.id)) throw new TypeError(`lexicon already registered; id=${parsed.id}`)
    this.#docs.set(parsed.id, parsed)
    this.#clear()
    return parsed
  }

  /** Removes a document by NSID; returns whether it was there. */
  remove(nsid: string): boolean {
    const had = this.#docs.delete(nsid)
    if (had) this.#clear()
    return had
  }

  /** True when a document with this NSID is registered. */
  has(nsid: string): boolean {
    return this.#docs.has(nsid)
  }

  /** The document for an NSID. */
  get(nsid: string): LexiconDoc | undefined {
    return this.#docs.get(nsid)
  }

  /** Number of documents. */
  get size(): number {
    return this.#docs.size
  }

  [Symbol.iterator](): Iterator<LexiconDoc> {
    return this.#docs.values()
  }

  /** A definition by `nsid` (its main) or `nsid#name`. */
  getDef(ref: string): LexUserType | undefined {
    const uri = resolveRef(ref, '')
    const hash = uri.indexOf('#')
    return this.#docs.get(uri.slice(0, hash))?.defs[uri.slice(hash + 1)]
  }

  /**
   * A definition, required to exist and optionally to have one of `types`.
   * @throws {LexiconNotFoundError} when it is missing or of another type.
   */
  getDefOrThrow<T extends LexUserType['type']>(
    ref: string,
    types?: readonly T[],
  ): Extract<LexUserType, { type: T }> {
    const def = this.getDef(ref)
    if (!def) throw new LexiconNotFoundError(resolveRef(ref, ''))
    if (types && !types.includes(def.type as T)) {
      throw new LexiconNotFoundError(
        resolveRef(ref, ''),
        `definition is a ${def.type}, expected ${types.join(' or ')}`,
      )
    }
    return def as Extract<LexUserType, { type: T }>
  }

  /** Resolves `#name`, `nsid` or `nsid#name` written in document `baseId` to `nsid#name`. */
  resolveRef(ref: string, baseId: string): string {
    return resolveRef(ref, baseId)
  }

  /** Checks every ref in every document: missing targets, wrong target types, required-field cycles. */
  checkRefs(): { issues: LexiconRefIssue[]; refs: number } {
    return checkAllRefs({
      docs: () => this.#docs.values(),
      resolve: resolveRef,
      getDef: (uri) => this.getDef(uri),
    })
  }

  /**
   * Like `checkRefs`, but throws.
   * @throws {LexiconRefError} listing every broken reference.
   */
  assertRefs(): number {
    const { issues, refs } = this.checkRefs()
    if (issues.length > 0) throw new LexiconRefError(issues)
    return refs
  }

  /**
   * Validates a record: `$type` must equal `nsid` and the value must match the record schema.
   * @throws {LexiconNotFoundError} when `nsid` is not a registered record type (a caller mistake).
   * @example
   * lex.validateRecord('app.bsky.feed.like', { $type: 'app.bsky.feed.like', subject, createdAt })
   */
  validateRecord(nsid: string, value: unknown, options?: ValidateRecordOptions): ValidationResult {
    let check = this.#records.get(nsid)
    if (check === undefined) {
      check = this.#compileRecord(nsid)
      this.#records.set(nsid, check)
    }
    const res = this.#run(check, value)
    if (options?.rkey !== undefined) {
      const def = this.getDefOrThrow(nsid, ['record'])
      if (!rkeyMatches(def.key, options.rkey)) {
        const issue = {
          code: 'record_key' as const,
          path: '$',
          message: `record key does not match key type; key=${def.key}; rkey=${options.rkey}`,
        }
        return { success: false, issues: res.success ? [issue] : [...res.issues, issue] }
      }
    }
    return res
  }

  /**
   * Validates data against any object, record or field definition (`nsid#name`).
   * @throws {LexiconNotFoundError} when the definition is missing or is an XRPC or token definition.
   */
  validate(ref: string, value: unknown): ValidationResult {
    const uri = resolveRef(ref, '')
    const def = this.getDefOrThrow(uri)
    if (def.type === 'record') return this.validateRecord(uri.slice(0, uri.indexOf('#')), value)
    return this.#run(this.#host.refCheck(uri), value)
  }

  /**
   * Validates XRPC query parameters (already typed: numbers, booleans, strings, arrays); defaults applied.
   * @throws {LexiconNotFoundError} when `nsid` is not a query, procedure or subscription.
   */
  validateXrpcParams(nsid: string, value: unknown): ValidationResult {
    const check = this.#cached(`params:${nsid}`, () => {
      const def = this.getDefOrThrow(nsid, XRPC_TYPES)
      return def.parameters ? compileParams(def.parameters, nsid, this.#host) : passThrough
    })
    return this.#run(check, value)
  }

  /**
   * Decodes HTTP query parameters (strings, as in a URL) by the params schema of `nsid`, then
   * validates them like {@link validateXrpcParams}. Integers must be decimal digits (`50`, `-5`),
   * booleans exactly `true` or `false` (the XRPC spec's rendering), an array comes from a repeated
   * parameter, and a parameter that is not an array may appear once. Anything else is an
   * `invalid_type` issue at the parameter's path, never a silent 0 or false. Parameters the schema
   * does not name are kept as strings.
   * @throws {LexiconNotFoundError} when `nsid` is not a query, procedure or subscription.
   * @example
   * lex.decodeXrpcParams('app.bsky.feed.getAuthorFeed', new URL(req.url).searchParams)
   * // { success: true, value: { actor: 'alice.test', limit: 50, ... } }
   */
  decodeXrpcParams(nsid: string, query: QueryParams): ValidationResult {
    const def = this.getDefOrThrow(nsid, XRPC_TYPES)
    const props = def.parameters?.properties ?? {}
    const given = new Map<string, string[]>()
    const put = (k: string, v: string) => {
      const list = given.get(k)
      if (list) list.push(v)
      else given.set(k, [v])
    }
    if (query instanceof URLSearchParams) {
      for (const [k, v] of query) put(k, v)
    } else {
      for (const k of Object.keys(query)) {
        const v = query[k]
        if (typeof v === 'string') put(k, v)
        else if (Array.isArray(v)) for (const x of v) put(k, displayValue(x))
      }
    }
    const out: Record<string, unknown> = {}
    const issues: ValidationIssue[] = []
    for (const [key, values] of given) {
      const prop = Object.hasOwn(props, key) ? props[key] : undefined
      let value: unknown
      if (prop === undefined) {
        value = values.length === 1 ? values[0] : values
      } else if (prop.type === 'array') {
        const items = values.map((x, i) => decodeParam(prop.items.type, x, key, i, issues))
        value = items
      } else if (values.length > 1) {
        issues.push({
          code: 'invalid_type',
          path: formatPath([key]),
          message: `parameter given more than once; count=${values.length}`,
        })
        continue
      } else {
        value = decodeParam(prop.type, values[0] as string, key, undefined, issues)
      }
      // defineProperty: a parameter named __proto__ stays an own property.
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
    }
    if (issues.length > 0) return { success: false, issues }
    return this.validateXrpcParams(nsid, out)
  }

  /**
   * Validates a procedure's input body (when its lexicon gives a schema).
   * @throws {LexiconNotFoundError} when `nsid` is not a procedure.
   */
  validateXrpcInput(nsid: string, value: unknown): ValidationResult {
    const check = this.#cached(`in:${nsid}`, () =>
      this.#compileBody(nsid, this.getDefOrThrow(nsid, ['procedure']).input?.schema),
    )
    return this.#run(check, value)
  }

  /**
   * Validates a query's or procedure's output body (when its lexicon gives a schema).
   * @throws {LexiconNotFoundError} when `nsid` is not a query or procedure.
   */
  validateXrpcOutput(nsid: string, value: unknown): ValidationResult {
    const check = this.#cached(`out:${nsid}`, () =>
      this.#compileBody(nsid, this.getDefOrThrow(nsid, ['query', 'procedure']).output?.schema),
    )
    return this.#run(check, value)
  }

  /**
   * Validates one subscription (event stream) message against the subscription's message union.
   * @throws {LexiconNotFoundError} when `nsid` is not a subscription.
   */
  validateSubscriptionMessage(
    nsid: string,
    value: unknown,
    options: ValidateMessageOptions = {},
  ): ValidationResult {
    const def = this.getDefOrThrow(nsid, ['subscription'])
    const union = this.#cached(`msg:${nsid}`, () => compileField(def.message.schema, nsid, this.#host))
    if (options.type === undefined || (isPlainObject(value) && typeof value['$type'] === 'string')) {
      return this.#run(union, value)
    }
    const uri = resolveRef(options.type, nsid)
    const allowed = def.message.schema.refs.some((r) => resolveRef(r, nsid) === uri)
    if (!allowed) {
      return {
        success: false,
        issues: [
          {
            code: 'closed_union',
            path: '$',
            message: `message type is not in the union; type=${typeTag(uri)}`,
          },
        ],
      }
    }
    return this.#run(this.#host.variantCheck(uri), value)
  }

  /** Like `validateRecord`, but returns the value or throws. @throws {LexiconValidationError} */
  assertValidRecord(nsid: string, value: unknown, options?: ValidateRecordOptions): unknown {
    return unwrap(this.validateRecord(nsid, value, options))
  }

  /** Like `validate`, but returns the value or throws. @throws {LexiconValidationError} */
  assertValid(ref: string, value: unknown): unknown {
    return unwrap(this.validate(ref, value))
  }

  /** Like `validateXrpcParams`, but returns the value or throws. @throws {LexiconValidationError} */
  assertValidXrpcParams(nsid: string, value: unknown): unknown {
    return unwrap(this.validateXrpcParams(nsid, value))
  }

  /** Like `validateXrpcInput`, but returns the value or throws. @throws {LexiconValidationError} */
  assertValidXrpcInput(nsid: string, value: unknown): unknown {
    return unwrap(this.validateXrpcInput(nsid, value))
  }

  /** Like `validateXrpcOutput`, but returns the value or throws. @throws {LexiconValidationError} */
  assertValidXrpcOutput(nsid: string, value: unknown): unknown {
    return unwrap(this.validateXrpcOutput(nsid, value))
  }

  /** Like `validateSubscriptionMessage`, but returns the value or throws. @throws {LexiconValidationError} */
  assertValidSubscriptionMessage(nsid: string, value: unknown, options?: ValidateMessageOptions): unknown {
    return unwrap(this.validateSubscriptionMessage(nsid, value, options))
  }

  #run(check: Check, value: unknown): ValidationResult {
    // One context is reused across runs (validation is synchronous and never re-enters the
    // registry); it is reset here in case an earlier run threw part way.
    const ctx = this.#ctx
    if (ctx.path.length !== 0) ctx.path.length = 0
    ctx.depth = 0
    const r = check(value, ctx)
    if (r !== FAIL) return { success: true, value: r }
    const issues = ctx.issues
    this.#ctx = { issues: [], path: [], depth: 0, maxDepth: this.#maxDepth }
    return { success: false, issues }
  }

  #clear(): void {
    this.#checks.clear()
    this.#records.clear()
  }

  #cached(key: string, build: () => Check): Check {
    let check = this.#checks.get(key)
    if (check === undefined) {
      check = build()
      this.#checks.set(key, check)
    }
    return check
  }

  #compileRecord(nsid: string): Check {
    const def = this.getDefOrThrow(nsid, ['record'])
    return recordCheck(nsid, def, this.#host)
  }

  #compileRef(uri: string): Check {
    const def = this.getDefOrThrow(uri)
    const baseId = uri.slice(0, uri.indexOf('#'))
    switch (def.type) {
      case 'record':
        return recordCheck(baseId, def, this.#host)
      case 'token':
      case 'query':
      case 'procedure':
      case 'subscription':
      case 'permission-set':
        throw new LexiconNotFoundError(uri, `a ref can not point at a ${def.type}`)
      default:
        return compileField(def, baseId, this.#host)
    }
  }

  #compileVariant(uri: string): Check {
    const def = this.getDefOrThrow(uri, ['object', 'record'])
    const baseId = uri.slice(0, uri.indexOf('#'))
    return compileObject(def.type === 'record' ? def.record : def, baseId, this.#host)
  }

  #compileBody(nsid: string, schema: Parameters<typeof compileField>[0] | undefined): Check {
    if (!schema) return passThrough
    const inner = compileField(schema, nsid, this.#host)
    // A body with a schema is always a JSON object, even when the schema is a ref or union.
    return (v, ctx) =>
      isPlainObject(v) ? inner(v, ctx) : report(ctx, 'invalid_type', 'body must be an object')
  }
}

const passThrough: Check = (v) => v

/** HTTP query parameters: a URLSearchParams, or an object of strings (arrays for repeated ones). */
export type QueryParams = URLSearchParams | Readonly<Record<string, string | readonly string[] | undefined>>

const DECIMAL = /^-?[0-9]{1,16}$/

/** One query-string value by its schema type; pushes an issue and returns undefined when it does not decode. */
function decodeParam(
  type: string,
  s: string,
  key: string,
  index: number | undefined,
  issues: ValidationIssue[],
): unknown {
  const fail = (what: string): undefined => {
    issues.push({
      code: 'invalid_type',
      path: formatPath(index === undefined ? [key] : [key, index]),
      message: `expected ${what} in the query string; value=${JSON.stringify(s.slice(0, 64))}`,
    })
    return undefined
  }
  switch (type) {
    case 'integer': {
      const n = DECIMAL.test(s) ? Number(s) : Number.NaN
      return Number.isSafeInteger(n) ? (n === 0 ? 0 : n) : fail('an integer (decimal digits)')
    }
    case 'boolean':
      return s === 'true' ? true : s === 'false' ? false : fail('true or false')
    default:
      // Strings as they are; `unknown` has no query-string form, so its validation reports it.
      return s
  }
}

function recordCheck(nsid: string, def: LexRecord, host: CompileHost): Check {
  return compileRecordCheck(nsid, compileObject(def.record, nsid, host), host)
}

function rkeyMatches(keyType: string, rkey: string): boolean {
  if (!isValidRecordKey(rkey)) return false
  if (keyType === 'tid') return isValidTid(rkey)
  if (keyType === 'nsid') return isValidNsid(rkey)
  if (keyType.startsWith('literal:')) return rkey === keyType.slice(8)
  return true
}

function unwrap(res: ValidationResult): unknown {
  if (!res.success) throw new LexiconValidationError(res.issues)
  return res.value
}

/**
 * Resolves a lexicon reference to `nsid#name`: `#name` is local to `baseId`, a bare `nsid` means its main.
 * @throws {TypeError} for a local ref without a base document.
 */
export function resolveRef(ref: string, baseId: string): string {
  const hash = ref.indexOf('#')
  if (hash === -1) return `${ref}#main`
  if (hash === 0) {
    if (!baseId) throw new TypeError(`local ref needs a base document; ref=${ref}`)
    return `${baseId}${ref}`
  }
  return ref
}
