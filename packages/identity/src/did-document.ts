// DID document schema check. Written by hand rather than with a schema library: it runs once per
// resolution on untrusted JSON and is on the hot path of every relay and AppView, so it walks each
// field once, allocates nothing on success and returns the input object itself.
import { isValidDid } from '@rsky/syntax'
import { DidDocumentInvalidError, type DocumentIssue } from './errors.ts'

/** A verification method entry (`Multikey` or a legacy suite; other types pass the schema untouched). */
export interface VerificationMethod {
  readonly id: string
  readonly type: string
  readonly controller: string
  readonly publicKeyMultibase?: string
  readonly publicKeyJwk?: Readonly<Record<string, unknown>>
}

/** A service entry; `serviceEndpoint` is a URL string or a map, as DID Core allows. */
export interface DidService {
  readonly id: string
  readonly type: string
  readonly serviceEndpoint: string | Readonly<Record<string, unknown>>
}

/** A DID document as far as atproto reads it; unknown members are kept as they came. */
export interface DidDocument {
  readonly '@context'?: string | readonly string[]
  readonly id: string
  readonly alsoKnownAs?: readonly string[]
  readonly verificationMethod?: readonly VerificationMethod[]
  readonly authentication?: readonly (string | VerificationMethod)[]
  readonly service?: readonly DidService[]
  readonly [key: string]: unknown
}

/** Outcome of {@link parseDidDocument}. */
export type DidDocumentResult =
  | { readonly success: true; readonly value: DidDocument }
  | { readonly success: false; readonly issues: readonly DocumentIssue[] }

/** Caps on untrusted documents; every one has a safe default. */
export interface DidDocumentLimits {
  /** Most entries in any one array (`alsoKnownAs`, `verificationMethod`, `service`, ...). Default 256. */
  readonly maxArrayItems?: number
  /** Longest string accepted in any checked field. Default 8192. */
  readonly maxStringLength?: number
}

const DEFAULT_MAX_ITEMS = 256
const DEFAULT_MAX_STRING = 8192

type Obj = Record<string, unknown>
interface Ctx {
  readonly issues: DocumentIssue[]
  readonly maxItems: number
  readonly maxString: number
}

const hasOwn = Object.prototype.hasOwnProperty

// Own-property read: a polluted Object.prototype must not make a field appear.
function own(o: Obj, key: string): unknown {
  return hasOwn.call(o, key) ? o[key] : undefined
}

function isPlainObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function issue(ctx: Ctx, code: string, path: string, message: string): false {
  ctx.issues.push({ code, path, message })
  return false
}

function checkString(ctx: Ctx, v: unknown, path: string): v is string {
  if (typeof v !== 'string') return issue(ctx, 'invalid_type', path, 'expected a string')
  if (v.length > ctx.maxString) return issue(ctx, 'too_long', path, `string longer than ${ctx.maxString}`)
  return true
}

function checkArray(ctx: Ctx, v: unknown, path: string): v is unknown[] {
  if (!Array.isArray(v)) return issue(ctx, 'invalid_type', path, 'expected an array')
  if (v.length > ctx.maxItems) return issue(ctx, 'too_many_items', path, `more than ${ctx.maxItems} items`)
  return true
}

function checkVerificationMethod(ctx: Ctx, v: unknown, path: string): void {
  if (!isPlainObject(v)) {
    issue(ctx, 'invalid_type', path, 'expected an object')
    return
  }
  checkString(ctx, own(v, 'id'), `${path}.id`)
  checkString(ctx, own(v, 'type'), `${path}.type`)
  checkString(ctx, own(v, 'controller'), `${path}.controller`)
  const mb = own(v, 'publicKeyMultibase')
  if (mb !== undefined) checkString(ctx, mb, `${path}.publicKeyMultibase`)
  const jwk = own(v, 'publicKeyJwk')
  if (jwk !== undefined && !isPlainObject(jwk))
    issue(ctx, 'invalid_type', `${path}.publicKeyJwk`, 'expected an object')
}

function checkService(ctx: Ctx, v: unknown, path: string): void {
  if (!isPlainObject(v)) {
    issue(ctx, 'invalid_type', path, 'expected an object')
    return
  }
  checkString(ctx, own(v, 'id'), `${path}.id`)
  checkString(ctx, own(v, 'type'), `${path}.type`)
  const ep = own(v, 'serviceEndpoint')
  if (typeof ep === 'string') checkString(ctx, ep, `${path}.serviceEndpoint`)
  else if (!isPlainObject(ep))
    issue(ctx, 'invalid_type', `${path}.serviceEndpoint`, 'expected a string or a map')
}

function checkContext(ctx: Ctx, v: unknown): void {
  if (typeof v === 'string') {
    checkString(ctx, v, '@context')
    return
  }
  if (!checkArray(ctx, v, '@context')) return
  for (let i = 0; i < v.length; i++) checkString(ctx, v[i], `@context[${i}]`)
}

/**
 * Checks that an untrusted value (parsed JSON) is a DID document atproto can read.
 * Returns the input itself on success; never throws.
 * @example
 * const r = parseDidDocument(JSON.parse(body))
 * if (!r.success) console.log(r.issues[0]?.path)
 */
export function parseDidDocument(value: unknown, limits: DidDocumentLimits = {}): DidDocumentResult {
  const ctx: Ctx = {
    issues: [],
    maxItems: limits.maxArrayItems ?? DEFAULT_MAX_ITEMS,
    maxString: limits.maxStringLength ?? DEFAULT_MAX_STRING,
  }
  if (!isPlainObject(value)) {
    issue(ctx, 'invalid_type', '', 'expected a JSON object')
    return { success: false, issues: ctx.issues }
  }
  const id = own(value, 'id')
  if (checkString(ctx, id, 'id') && !isValidDid(id)) issue(ctx, 'invalid_did', 'id', 'id is not a valid DID')

  const context = own(value, '@context')
  if (context !== undefined) checkContext(ctx, context)

  const aka = own(value, 'alsoKnownAs')
  if (aka !== undefined && checkArray(ctx, aka, 'alsoKnownAs')) {
    for (let i = 0; i < aka.length; i++) checkString(ctx, aka[i], `alsoKnownAs[${i}]`)
  }
  const vms = own(value, 'verificationMethod')
  if (vms !== undefined && checkArray(ctx, vms, 'verificationMethod')) {
    for (let i = 0; i < vms.length; i++) checkVerificationMethod(ctx, vms[i], `verificationMethod[${i}]`)
  }
  const auth = own(value, 'authentication')
  if (auth !== undefined && checkArray(ctx, auth, 'authentication')) {
    for (let i = 0; i < auth.length; i++) {
      const a = auth[i]
      if (typeof a === 'string') checkString(ctx, a, `authentication[${i}]`)
      else checkVerificationMethod(ctx, a, `authentication[${i}]`)
    }
  }
  const services = own(value, 'service')
  if (services !== undefined && checkArray(ctx, services, 'service')) {
    for (let i = 0; i < services.length; i++) checkService(ctx, services[i], `service[${i}]`)
  }
  if (ctx.issues.length > 0) return { success: false, issues: ctx.issues }
  return { success: true, value: value as unknown as DidDocument }
}

/**
 * Throwing form of {@link parseDidDocument}.
 * @throws {DidDocumentInvalidError} with the issues found.
 */
export function ensureValidDidDocument(value: unknown, limits?: DidDocumentLimits): DidDocument {
  const r = parseDidDocument(value, limits)
  if (!r.success) {
    const id = isPlainObject(value) ? own(value, 'id') : undefined
    throw new DidDocumentInvalidError(typeof id === 'string' ? id : undefined, r.issues)
  }
  return r.value
}

/** True when `value` passes {@link parseDidDocument}. */
export function isValidDidDocument(value: unknown): value is DidDocument {
  return parseDidDocument(value).success
}
