// Compiles lexicon schemas into closures once, so validating data never re-reads the schema JSON.
// Each check returns the value (with defaults applied) or FAIL after pushing issues onto ctx.

import {
  blobObjectProblem,
  blobSource,
  bytesLength,
  checkDataValue,
  isLink,
  isPlainObject,
  mimeAccepted,
} from './data.ts'
import { displayValue, pathKey, type ValidationIssue, type ValidationIssueCode } from './errors.ts'
import { FORMAT_CHECKS, graphemeLength, utf8Length } from './strings.ts'
import type {
  LexArray,
  LexBlob,
  LexBoolean,
  LexBytes,
  LexFieldSchema,
  LexInteger,
  LexObject,
  LexParams,
  LexString,
  LexUnion,
} from './types.ts'

/** Returned by a check when the value is invalid (its issues are already in ctx). */
export const FAIL: unique symbol = Symbol('lexicon.fail')

/** Mutable state of one validation run: the issues so far, the current path and depth. */
export interface Ctx {
  readonly issues: ValidationIssue[]
  readonly path: (string | number)[]
  depth: number
  readonly maxDepth: number
}

/** A compiled schema. */
export type Check = (v: unknown, ctx: Ctx) => unknown

/** What the compiler needs from the registry: ref resolution and lazily compiled targets. */
export interface CompileHost {
  /** Full `nsid#name` of a ref written in document `baseId`. */
  resolve(ref: string, baseId: string): string
  /** Check for a `ref` to the definition `uri`. */
  refCheck(uri: string): Check
  /** Check for the union variant `uri` (an object or record). */
  variantCheck(uri: string): Check
  /** Whether object checks may be generated as JavaScript source (see {@link jitAvailable}). */
  readonly jit: boolean
}

let jitProbe: boolean | undefined

/**
 * Whether this runtime lets us build functions from source (`new Function`): false under a
 * Content-Security-Policy without `unsafe-eval` and on platforms that forbid code generation
 * (Cloudflare Workers), where the closure compiler is used instead.
 */
export function jitAvailable(): boolean {
  if (jitProbe === undefined) {
    try {
      jitProbe = new Function('return 1')() === 1
    } catch {
      jitProbe = false
    }
  }
  return jitProbe
}

let generated = 0

/**
 * Objects with more properties, and unions with more variants, keep the closure compiler: the
 * generated source (and its argument list) grows with them, and real lexicons stay far below.
 */
const MAX_GENERATED = 256

/**
 * Builds a check from JavaScript source: `names` are the free variables of `body`, bound to
 * `args` (checks, helpers, bounds: values never enter the source). `state` declares variables
 * kept between calls. Every function gets a distinct source, so V8's eval cache never makes two
 * checks share type feedback (each call site inside stays monomorphic).
 */
function generate(names: readonly string[], args: readonly unknown[], state: string, body: string): Check {
  const source = `'use strict'\n// check ${++generated}\n${state}return function check(v, ctx) {\n${body}\n}`
  return new Function(...names, source)(...args) as Check
}

/** Formats a path stack as `$.a.b[0]["c-d"]`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '$'
  for (const part of path) out = typeof part === 'number' ? `${out}[${part}]` : pathKey(out, part)
  return out
}

/** Records an issue at the current path and returns FAIL. */
export function report(ctx: Ctx, code: ValidationIssueCode, message: string): typeof FAIL {
  ctx.issues.push({ code, path: formatPath(ctx.path), message })
  return FAIL
}

const typeName = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : v instanceof Uint8Array ? 'bytes' : typeof v

/** Compiles a field schema (property, array item, body or message schema). */
export function compileField(def: LexFieldSchema, baseId: string, host: CompileHost): Check {
  switch (def.type) {
    case 'boolean':
      return compileBoolean(def)
    case 'integer':
      return compileInteger(def)
    case 'string':
      return compileString(def)
    case 'bytes':
      return compileBytes(def)
    case 'cid-link':
      return (v, ctx) =>
        isLink(v) ? v : report(ctx, 'invalid_type', `expected a CID link; got=${typeName(v)}`)
    case 'blob':
      return compileBlob(def)
    case 'unknown':
      return checkUnknown
    case 'array':
      return compileArray(def, baseId, host)
    case 'object':
      return compileObject(def, baseId, host)
    case 'ref': {
      const uri = host.resolve(def.ref, baseId)
      let target: Check | undefined
      // Resolved on first use so recursive schemas (thread views, embeds) compile without looping.
      return (v, ctx) => {
        if (target === undefined) target = host.refCheck(uri)
        return target(v, ctx)
      }
    }
    case 'union':
      return compileUnion(def, baseId, host)
    default:
      throw new TypeError(`unsupported schema type; type=${(def as { type: string }).type}`)
  }
}

function compileBoolean(def: LexBoolean): Check {
  const c = def.const
  return (v, ctx) => {
    if (typeof v !== 'boolean') return report(ctx, 'invalid_type', `expected a boolean; got=${typeName(v)}`)
    if (c !== undefined && v !== c) return report(ctx, 'const', `must be ${c}`)
    return v
  }
}

function compileInteger(def: LexInteger): Check {
  const { const: c, minimum: min, maximum: max } = def
  const allowed = def.enum ? new Set(def.enum) : undefined
  return (v, ctx) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      return report(ctx, 'invalid_type', `expected an integer; got=${typeName(v)}`)
    }
    if (c !== undefined && v !== c) return report(ctx, 'const', `must be ${c}; value=${v}`)
    if (allowed && !allowed.has(v))
      return report(ctx, 'enum', `must be one of ${[...allowed].join('|')}; value=${v}`)
    if (max !== undefined && v > max)
      return report(ctx, 'too_big', `can not be greater than ${max}; value=${v}`)
    if (min !== undefined && v < min)
      return report(ctx, 'too_small', `can not be less than ${min}; value=${v}`)
    return v
  }
}

function compileString(def: LexString): Check {
  const { const: c, minLength: minB, maxLength: maxB, minGraphemes: minG, maxGraphemes: maxG } = def
  const allowed = def.enum ? new Set(def.enum) : undefined
  const format = def.format ? FORMAT_CHECKS[def.format] : undefined
  const fname = def.format
  const bytes = minB !== undefined || maxB !== undefined
  const graphemes = minG !== undefined || maxG !== undefined
  return (v, ctx) => {
    if (typeof v !== 'string') return report(ctx, 'invalid_type', `expected a string; got=${typeName(v)}`)
    if (c !== undefined && v !== c) return report(ctx, 'const', `must be ${JSON.stringify(c)}`)
    if (allowed && !allowed.has(v)) return report(ctx, 'enum', `must be one of ${[...allowed].join('|')}`)
    const n = v.length
    if (bytes) {
      // UTF-8 length lies between n and 3n, so most strings skip the byte count.
      if (minB !== undefined && n * 3 < minB)
        return report(ctx, 'too_small', `must be at least ${minB} UTF-8 bytes`)
      if ((minB !== undefined && n < minB) || (maxB !== undefined && n * 3 > maxB)) {
        const len = utf8Length(v)
        if (maxB !== undefined && len > maxB) {
          return report(ctx, 'too_big', `must be at most ${maxB} UTF-8 bytes; length=${len}`)
        }
        if (minB !== undefined && len < minB) {
          return report(ctx, 'too_small', `must be at least ${minB} UTF-8 bytes; length=${len}`)
        }
      }
    }
    if (graphemes) {
      // Grapheme count is at most the UTF-16 length.
      if (minG !== undefined && n < minG)
        return report(ctx, 'too_small', `must be at least ${minG} graphemes`)
      if (minG !== undefined || (maxG !== undefined && n > maxG)) {
        const len = graphemeLength(v)
        if (maxG !== undefined && len > maxG) {
          return report(ctx, 'too_big', `must be at most ${maxG} graphemes; graphemes=${len}`)
        }
        if (minG !== undefined && len < minG) {
          return report(ctx, 'too_small', `must be at least ${minG} graphemes; graphemes=${len}`)
        }
      }
    }
    if (format && !format(v)) return report(ctx, 'format', `must be a valid ${fname}`)
    return v
  }
}

function compileBytes(def: LexBytes): Check {
  const { minLength: min, maxLength: max } = def
  return (v, ctx) => {
    const len = bytesLength(v)
    if (len < 0) return report(ctx, 'invalid_type', `expected bytes; got=${typeName(v)}`)
    if (max !== undefined && len > max)
      return report(ctx, 'too_big', `must be at most ${max} bytes; length=${len}`)
    if (min !== undefined && len < min)
      return report(ctx, 'too_small', `must be at least ${min} bytes; length=${len}`)
    return v
  }
}

function compileBlob(def: LexBlob): Check {
  const accept = def.accept?.map((a) => a.toLowerCase())
  const max = def.maxSize
  return (v, ctx) => {
    // The plain object itself, or a BlobRef instance's `original` (which has the `$type`).
    const src = blobSource(v)
    const problem = typeof src === 'string' ? src : blobObjectProblem(src)
    if (problem !== undefined) return report(ctx, 'invalid_type', problem)
    // No problem: a string mimeType, and a size unless it is a legacy blob.
    const blob = src as { $type?: string; mimeType: string; size: number }
    // An exact match with an accepted type (the usual case) needs no case folding or patterns.
    if (accept && !accept.includes(blob.mimeType) && !mimeAccepted(blob.mimeType, accept)) {
      return report(
        ctx,
        'blob_mime',
        `blob mimeType not accepted; mimeType=${blob.mimeType}; accept=${accept.join(',')}`,
      )
    }
    if (max !== undefined && blob.$type === 'blob' && blob.size > max) {
      return report(ctx, 'blob_size', `blob is larger than maxSize; size=${blob.size}; maxSize=${max}`)
    }
    return v
  }
}

/** `unknown`: any data-model map (not a blob, link or bytes), valid at every depth. */
export const checkUnknown: Check = (v, ctx) => {
  if (!isPlainObject(v)) return report(ctx, 'invalid_type', `unknown must be an object; got=${typeName(v)}`)
  if (v['$type'] === 'blob' || '$link' in v || '$bytes' in v) {
    return report(ctx, 'invalid_type', 'unknown must be an object, not a blob, link or bytes value')
  }
  const bad = checkDataValue(v, ctx.depth, ctx)
  if (bad) {
    ctx.issues.push({ code: 'invalid_data', path: formatPath(ctx.path) + bad[1], message: bad[0] })
    return FAIL
  }
  return v
}

const reportNotArray = (v: unknown, ctx: Ctx): typeof FAIL =>
  report(ctx, 'invalid_type', `expected an array; got=${typeName(v)}`)
const reportTooMany = (ctx: Ctx, max: number, n: number): typeof FAIL =>
  report(ctx, 'too_big', `must have at most ${max} items; length=${n}`)
const reportTooFew = (ctx: Ctx, min: number, n: number): typeof FAIL =>
  report(ctx, 'too_small', `must have at least ${min} items; length=${n}`)

/** Like {@link keyIssues} for an array index. */
function indexIssues(ctx: Ctx, from: number, index: number): number {
  const issues = ctx.issues
  const prefix = formatPath(ctx.path)
  for (let i = from; i < issues.length; i++) {
    const issue = issues[i] as { path: string }
    issue.path = `${prefix}[${index}]${issue.path.slice(prefix.length)}`
  }
  return issues.length
}

/** The array check below as generated source, with the item check inlined where it can be. */
function generateArrayCheck(def: LexArray, item: Check, baseId: string, host: CompileHost): Check {
  const names = [
    'FAIL',
    'reportNotArray',
    'reportTooMany',
    'reportTooFew',
    'reportTooDeep',
    'indexIssues',
    'c',
  ]
  const args: unknown[] = [
    FAIL,
    reportNotArray,
    reportTooMany,
    reportTooFew,
    reportTooDeep,
    indexIssues,
    item,
  ]
  let body = 'if (!Array.isArray(v)) return reportNotArray(v, ctx)\nconst n = v.length\n'
  if (def.maxLength !== undefined) {
    names.push('max')
    args.push(def.maxLength)
    body += 'if (n > max) return reportTooMany(ctx, max, n)\n'
  }
  if (def.minLength !== undefined) {
    names.push('min')
    args.push(def.minLength)
    body += 'if (n < min) return reportTooFew(ctx, min, n)\n'
  }
  body += 'if (++ctx.depth > ctx.maxDepth) return reportTooDeep(ctx)\n'
  body += 'let out = v, ok = true, done = ctx.issues.length\nfor (let i = 0; i < n; i++) {\nconst x = v[i]\n'
  const { call, state } = callFor(def.items, 'c', 0, baseId, host, names, args)
  const fast = inlineTest(def.items, 0, names, args)
  body += fast ? `const r = ${fast} ? x : ${call}\n` : `const r = ${call}\n`
  body += 'if (r === FAIL) {\nok = false\ndone = indexIssues(ctx, done, i)\n} else if (r !== x) {\n'
  body += 'if (out === v) out = v.slice()\nout[i] = r\n}\n}\nctx.depth--\nreturn ok ? out : FAIL'
  return generate(names, args, state, body)
}

function compileArray(def: LexArray, baseId: string, host: CompileHost): Check {
  const { minLength: min, maxLength: max } = def
  const item = compileField(def.items, baseId, host)
  if (host.jit) return generateArrayCheck(def, item, baseId, host)
  return (v, ctx) => {
    if (!Array.isArray(v)) return reportNotArray(v, ctx)
    const n = v.length
    if (max !== undefined && n > max) return reportTooMany(ctx, max, n)
    if (min !== undefined && n < min) return reportTooFew(ctx, min, n)
    if (++ctx.depth > ctx.maxDepth) return reportTooDeep(ctx)
    let out: unknown[] = v
    let ok = true
    const path = ctx.path
    for (let i = 0; i < n; i++) {
      const x = v[i]
      path.push(i)
      const r = item(x, ctx)
      path.pop()
      if (r === FAIL) ok = false
      else if (r !== x) {
        if (out === v) out = v.slice()
        out[i] = r
      }
    }
    ctx.depth--
    return ok ? out : FAIL
  }
}

interface Prop {
  readonly key: string
  readonly check: Check
  readonly required: boolean
  readonly nullable: boolean
  readonly hasDefault: boolean
  readonly defaultValue: unknown
  /** `__proto__` and friends are read with hasOwn so a prototype never passes for a value. */
  readonly own: boolean
  readonly def: LexFieldSchema
  readonly baseId: string
}

function compileProps(
  properties: Record<string, LexFieldSchema>,
  required: readonly string[] | undefined,
  nullable: readonly string[] | undefined,
  ctxIds: { baseId: string; host: CompileHost },
): Prop[] {
  const req = new Set(required)
  const nul = new Set(nullable)
  return Object.keys(properties).map((key) => {
    const def = properties[key] as LexFieldSchema
    const dflt = 'default' in def ? def.default : undefined
    return {
      key,
      check: compileField(def, ctxIds.baseId, ctxIds.host),
      required: req.has(key),
      nullable: nul.has(key),
      hasDefault: dflt !== undefined,
      defaultValue: dflt,
      own: key in Object.prototype,
      def,
      baseId: ctxIds.baseId,
    }
  })
}

function checkProps(props: readonly Prop[], v: Record<string, unknown>, ctx: Ctx): unknown {
  let out = v
  let ok = true
  const path = ctx.path
  for (let i = 0; i < props.length; i++) {
    const p = props[i] as Prop
    const x = p.own && !Object.hasOwn(v, p.key) ? undefined : v[p.key]
    if (x === undefined) {
      if (p.hasDefault) {
        if (out === v) out = { ...v }
        out[p.key] = p.defaultValue
      } else if (p.required) {
        path.push(p.key)
        report(ctx, 'required', `required property is missing; property=${p.key}`)
        path.pop()
        ok = false
      }
      continue
    }
    if (x === null && p.nullable) continue
    path.push(p.key)
    const r = p.check(x, ctx)
    path.pop()
    if (r === FAIL) ok = false
    else if (r !== x) {
      if (out === v) out = { ...v }
      out[p.key] = r
    }
  }
  return ok ? out : FAIL
}

/** A missing required property, reported at its own path. */
function reportRequired(ctx: Ctx, key: string): void {
  ctx.path.push(key)
  report(ctx, 'required', `required property is missing; property=${key}`)
  ctx.path.pop()
}

/**
 * Puts `key` into the paths of the issues from index `from` on. Generated object checks push no
 * path on the way down; when a property fails, its issues (reported with the path as it stood,
 * without this key) get the key inserted right after the current path.
 */
function keyIssues(ctx: Ctx, from: number, key: string): number {
  const issues = ctx.issues
  const prefix = formatPath(ctx.path)
  const part = pathKey('', key)
  for (let i = from; i < issues.length; i++) {
    const issue = issues[i] as { path: string }
    issue.path = prefix + part + issue.path.slice(prefix.length)
  }
  return issues.length
}

function reportNotObject(v: unknown, ctx: Ctx): typeof FAIL {
  return report(ctx, 'invalid_type', `expected an object; got=${typeName(v)}`)
}

function reportTooDeep(ctx: Ctx): typeof FAIL {
  ctx.depth--
  return report(ctx, 'too_deep', `nesting deeper than maxDepth; maxDepth=${ctx.maxDepth}`)
}

/**
 * The object check of {@link checkProps} written out as JavaScript source, one block per
 * property: each property is read by name (`v["text"]`, a monomorphic load where the generic
 * loop does a keyed lookup) and each property check is called from its own call site, so V8 can
 * inline it. Property names reach the source only through JSON.stringify (a string literal);
 * checks, bounds, defaults and helpers are passed in as arguments, never as source. Schemas with a key
 * of Object.prototype (`__proto__`, `constructor`...) keep the generic loop.
 */
function generateObjectCheck(props: readonly Prop[], host: CompileHost): Check {
  const names = ['isPlainObject', 'FAIL', 'reportNotObject', 'reportTooDeep', 'reportRequired', 'keyIssues']
  const args: unknown[] = [isPlainObject, FAIL, reportNotObject, reportTooDeep, reportRequired, keyIssues]
  let body =
    'if (!isPlainObject(v)) return reportNotObject(v, ctx)\n' +
    'if (++ctx.depth > ctx.maxDepth) return reportTooDeep(ctx)\n' +
    'let out = v, ok = true, x, r, done = ctx.issues.length\n'
  let state = ''
  for (let i = 0; i < props.length; i++) {
    const p = props[i] as Prop
    const k = JSON.stringify(p.key)
    names.push(`c${i}`)
    args.push(p.check)
    body += `x = v[${k}]\nif (x === undefined) {`
    if (p.hasDefault) {
      names.push(`d${i}`)
      args.push(p.defaultValue)
      body += `if (out === v) out = { ...v }\nout[${k}] = d${i}`
    } else if (p.required) {
      body += `reportRequired(ctx, ${k})\nok = false\ndone = ctx.issues.length`
    }
    body += `} else ${p.nullable ? 'if (x !== null) ' : ''}{\n`
    // A value the inline test accepts is one the full check would return unchanged; anything
    // else (including every invalid value) goes to the full check, which reports the issue.
    const fast = inlineTest(p.def, i, names, args)
    const target = callFor(p.def, `c${i}`, i, p.baseId, host, names, args)
    const call = target.call
    state += target.state
    body += fast ? `r = ${fast} ? x : ${call}\n` : `r = ${call}\n`
    body += `if (r === FAIL) {\nok = false\ndone = keyIssues(ctx, done, ${k})\n}`
    body += ` else if (r !== x) {\nif (out === v) out = { ...v }\nout[${k}] = r\n}\n}\n`
  }
  body += 'ctx.depth--\nreturn ok ? out : FAIL'
  return generate(names, args, state, body)
}

/**
 * The expression calling the full check of `def` on `x`: the compiled check `c`, or for a ref
 * its target itself, resolved on first use (recursive schemas) and then called from this call
 * site only instead of through the shared ref closure.
 */
function callFor(
  def: LexFieldSchema,
  c: string,
  i: number,
  baseId: string,
  host: CompileHost,
  names: string[],
  args: unknown[],
): { call: string; state: string } {
  if (def.type !== 'ref') return { call: `${c}(x, ctx)`, state: '' }
  const uri = host.resolve(def.ref, baseId)
  names.push(`rc${i}`)
  args.push(() => host.refCheck(uri))
  return { call: `(t${i} ??= rc${i}())(x, ctx)`, state: `let t${i}\n` }
}

/**
 * A JavaScript expression on `x` that is true only for values the compiled check of `def` would
 * accept unchanged, or undefined when there is no cheap one. Strings with a `const`, `enum` or
 * minimum, and integers and booleans with a `const` or `enum`, always take the full check.
 */
function inlineTest(def: LexFieldSchema, i: number, names: string[], args: unknown[]): string | undefined {
  switch (def.type) {
    case 'string': {
      if (
        def.const !== undefined ||
        def.enum ||
        def.minLength !== undefined ||
        def.minGraphemes !== undefined
      ) {
        return undefined
      }
      let test = "typeof x === 'string'"
      // UTF-8 length is at most 3 bytes per UTF-16 unit, graphemes at most one per unit: a
      // string this short passes both maxima without counting either.
      const bound = Math.min(
        def.maxLength === undefined ? Infinity : Math.floor(def.maxLength / 3),
        def.maxGraphemes ?? Infinity,
      )
      if (bound !== Infinity) {
        names.push(`n${i}`)
        args.push(bound)
        test += ` && x.length <= n${i}`
      }
      if (def.format) {
        names.push(`f${i}`)
        args.push(FORMAT_CHECKS[def.format])
        test += ` && f${i}(x)`
      }
      return test
    }
    case 'integer': {
      if (def.const !== undefined || def.enum) return undefined
      let test = "typeof x === 'number' && Number.isInteger(x)"
      if (def.minimum !== undefined) {
        names.push(`lo${i}`)
        args.push(def.minimum)
        test += ` && x >= lo${i}`
      }
      if (def.maximum !== undefined) {
        names.push(`hi${i}`)
        args.push(def.maximum)
        test += ` && x <= hi${i}`
      }
      return test
    }
    case 'boolean':
      return def.const === undefined ? "typeof x === 'boolean'" : undefined
    default:
      return undefined
  }
}

/** Compiles an `object` schema. */
export function compileObject(def: LexObject, baseId: string, host: CompileHost): Check {
  const props = compileProps(def.properties ?? {}, def.required, def.nullable, { baseId, host })
  if (host.jit && props.length <= MAX_GENERATED && !props.some((p) => p.own)) {
    return generateObjectCheck(props, host)
  }
  return (v, ctx) => {
    if (!isPlainObject(v)) return report(ctx, 'invalid_type', `expected an object; got=${typeName(v)}`)
    if (++ctx.depth > ctx.maxDepth) {
      ctx.depth--
      return report(ctx, 'too_deep', `nesting deeper than maxDepth; maxDepth=${ctx.maxDepth}`)
    }
    const r = checkProps(props, v, ctx)
    ctx.depth--
    return r
  }
}

/** Compiles XRPC `params`; an absent params object counts as empty. */
export function compileParams(def: LexParams, baseId: string, host: CompileHost): Check {
  const props = compileProps(def.properties ?? {}, def.required, undefined, { baseId, host })
  return (v, ctx) => {
    const value = v === undefined ? {} : v
    if (!isPlainObject(value))
      return report(ctx, 'invalid_type', `expected a params object; got=${typeName(v)}`)
    return checkProps(props, value, ctx)
  }
}

/** The `$type` a data value carries for the definition `nsid#name` (`main` is written bare). */
export function typeTag(uri: string): string {
  return uri.endsWith('#main') ? uri.slice(0, -5) : uri
}

function compileUnion(def: LexUnion, baseId: string, host: CompileHost): Check {
  const closed = def.closed === true
  const variants = new Map<string, { uri: string; check: Check | undefined }>()
  for (const ref of def.refs) {
    const uri = host.resolve(ref, baseId)
    const variant: { uri: string; check: Check | undefined } = { uri, check: undefined }
    variants.set(typeTag(uri), variant)
    // `$type` should name a main definition bare, but `nsid#main` is the same variant: validated
    // as such (as @atproto/lexicon does), never let through an open union unchecked.
    if (uri.endsWith('#main')) variants.set(uri, variant)
  }
  const names = def.refs.map((r) => typeTag(host.resolve(r, baseId))).join(',')
  if (host.jit && variants.size <= MAX_GENERATED) return generateUnionCheck(variants, closed, names, host)
  return (v, ctx) => {
    if (!isPlainObject(v))
      return report(ctx, 'invalid_type', `expected an object with $type; got=${typeName(v)}`)
    const t = v['$type']
    if (typeof t !== 'string') return report(ctx, 'union_type', 'union member must have a string $type')
    const variant = variants.get(t)
    if (variant === undefined) {
      return closed
        ? report(ctx, 'closed_union', `$type is not in the closed union; $type=${t}; refs=${names}`)
        : v
    }
    variant.check ??= host.variantCheck(variant.uri)
    return variant.check(v, ctx)
  }
}

/** The union check above as generated source: a `switch` on `$type`, one call site per variant. */
function generateUnionCheck(
  variants: ReadonlyMap<string, { uri: string }>,
  closed: boolean,
  refs: string,
  host: CompileHost,
): Check {
  const argNames = ['isPlainObject', 'reportUnionNotObject', 'reportUnionType', 'reportClosed', 'refs']
  const args: unknown[] = [isPlainObject, reportUnionNotObject, reportUnionType, reportClosed, refs]
  let state = ''
  let body =
    'if (!isPlainObject(v)) return reportUnionNotObject(v, ctx)\nconst t = v.$type\n' +
    "if (typeof t !== 'string') return reportUnionType(ctx)\nswitch (t) {\n"
  const uris = [...new Set([...variants.values()].map((x) => x.uri))]
  for (const [tag, variant] of variants) {
    const j = uris.indexOf(variant.uri)
    body += `case ${JSON.stringify(tag)}: return (t${j} ??= vc${j}())(v, ctx)\n`
  }
  uris.forEach((uri, j) => {
    argNames.push(`vc${j}`)
    args.push(() => host.variantCheck(uri))
    state += `let t${j}\n`
  })
  body += `}\nreturn ${closed ? 'reportClosed(ctx, t, refs)' : 'v'}`
  return generate(argNames, args, state, body)
}

const reportUnionNotObject = (v: unknown, ctx: Ctx): typeof FAIL =>
  report(ctx, 'invalid_type', `expected an object with $type; got=${typeName(v)}`)
const reportUnionType = (ctx: Ctx): typeof FAIL =>
  report(ctx, 'union_type', 'union member must have a string $type')
const reportClosed = (ctx: Ctx, t: string, refs: string): typeof FAIL =>
  report(ctx, 'closed_union', `$type is not in the closed union; $type=${t}; refs=${refs}`)

/**
 * A record: `$type` must equal `nsid`, then the record's object check. Generated (one call
 * site per record type) when the host allows it.
 */
export function compileRecordCheck(nsid: string, object: Check, host: CompileHost): Check {
  const reportNotRecord = (ctx: Ctx): typeof FAIL => report(ctx, 'invalid_type', 'record must be an object')
  const reportType = (v: Record<string, unknown>, ctx: Ctx): void => {
    ctx.path.push('$type')
    report(ctx, 'record_type', `record $type must be ${nsid}; $type=${displayValue(v['$type'])}`)
    ctx.path.pop()
  }
  if (host.jit) {
    return generate(
      ['isPlainObject', 'FAIL', 'reportNotRecord', 'reportType', 'object', 'nsid'],
      [isPlainObject, FAIL, reportNotRecord, reportType, object, nsid],
      '',
      'if (!isPlainObject(v)) return reportNotRecord(ctx)\n' +
        'if (v.$type === nsid) return object(v, ctx)\n' +
        'reportType(v, ctx)\nobject(v, ctx)\nreturn FAIL',
    )
  }
  return (v, ctx) => {
    if (!isPlainObject(v)) return reportNotRecord(ctx)
    let ok = true
    if (v['$type'] !== nsid) {
      reportType(v, ctx)
      ok = false
    }
    const r = object(v, ctx)
    return ok ? r : FAIL
  }
}
