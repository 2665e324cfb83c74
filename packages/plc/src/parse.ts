// Strict parsing of untrusted operation JSON: exact field sets, exact types, the spec's key and
// size limits. Everything wrong is reported with a path; nothing is coerced or dropped.
import { parseDidKey } from '@rsky/crypto'
import { createCid, DAG_CBOR_CODEC, parseCid } from '@rsky/dag-cbor'
import { encodeOperation } from './encoding.ts'
import { OperationFormatError, type OperationIssue, type OperationIssueCode } from './errors.ts'
import type { SignedOperation } from './types.ts'

/** Largest operation the directory accepts, in DAG-CBOR bytes. */
export const MAX_OPERATION_BYTES = 7500
/** Rotation keys per operation: at least 1, at most this many. */
export const MAX_ROTATION_KEYS = 5
/** Verification methods per operation. */
export const MAX_VERIFICATION_METHODS = 10

/** Options of `validateOperation` / `parseOperation`. */
export interface ParseOperationOptions {
  /** Cap on the encoded size. Default {@link MAX_OPERATION_BYTES}. */
  readonly maxBytes?: number
  /** Accept a signed operation only (default true); false parses unsigned ones (no `sig`). */
  readonly signed?: boolean
}

/** Outcome of `validateOperation`. */
export type OperationValidation =
  | { readonly success: true; readonly value: SignedOperation }
  | { readonly success: false; readonly issues: readonly OperationIssue[] }

const FIELDS = {
  plc_operation: ['type', 'rotationKeys', 'verificationMethods', 'alsoKnownAs', 'services', 'prev'],
  plc_tombstone: ['type', 'prev'],
  create: ['type', 'signingKey', 'recoveryKey', 'handle', 'service', 'prev'],
} as const

type Issues = OperationIssue[]

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

// A lone surrogate cannot be encoded as UTF-8, so it would hash differently here and elsewhere.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

function add(issues: Issues, code: OperationIssueCode, path: string, message: string): void {
  issues.push({ code, path, message })
}

function checkString(issues: Issues, v: unknown, path: string): v is string {
  if (typeof v !== 'string') {
    add(issues, 'wrong-type', path, 'expected a string')
    return false
  }
  if (LONE_SURROGATE.test(v)) {
    add(issues, 'wrong-type', path, 'string is not well-formed unicode')
    return false
  }
  return true
}

// Rotation keys repeat across a log (and across accounts of one PDS): remember the verdicts.
const KEY_VERDICTS = new Map<string, boolean>()
const KEY_VERDICTS_MAX = 4096

function isRotationKey(key: string): boolean {
  let ok = KEY_VERDICTS.get(key)
  if (ok !== undefined) return ok
  try {
    parseDidKey(key)
    ok = true
  } catch {
    ok = false
  }
  if (KEY_VERDICTS.size >= KEY_VERDICTS_MAX) KEY_VERDICTS.delete(KEY_VERDICTS.keys().next().value as string)
  KEY_VERDICTS.set(key, ok)
  return ok
}

function checkRotationKey(issues: Issues, v: unknown, path: string): void {
  if (!checkString(issues, v, path)) return
  if (!isRotationKey(v)) add(issues, 'rotation-key-unsupported', path, 'not a secp256k1 or P-256 did:key')
}

// Signing keys may be any did:key (spec v0.2): `did:key:z` and base58btc characters.
const DID_KEY_SYNTAX = /^did:key:z[1-9A-HJ-NP-Za-km-z]+$/

/** Checks a `prev` CID string: CIDv1, dag-cbor, sha-256, canonical base32. */
export function isOperationCid(v: string): boolean {
  if (v.length !== 59 || !v.startsWith('bafyrei')) return false
  try {
    const cid = parseCid(v)
    const mh = cid.multihash
    if (cid.version !== 1 || cid.code !== DAG_CBOR_CODEC || mh.code !== 0x12 || mh.digest.length !== 32)
      return false
    return createCid(DAG_CBOR_CODEC, mh.digest.slice()).toString() === v
  } catch {
    return false
  }
}

function checkPrev(issues: Issues, v: unknown, nullable: boolean): void {
  if (v === null) {
    if (!nullable) add(issues, 'wrong-type', 'prev', 'a tombstone needs a prev')
    return
  }
  if (!checkString(issues, v, 'prev')) return
  if (!isOperationCid(v)) add(issues, 'prev-not-cid', 'prev', 'not a base32 dag-cbor sha-256 CIDv1')
}

function checkRegularFields(issues: Issues, op: Record<string, unknown>, cap: number): void {
  const rk = op['rotationKeys']
  if (!Array.isArray(rk)) add(issues, 'wrong-type', 'rotationKeys', 'expected an array')
  else if (rk.length < 1 || rk.length > MAX_ROTATION_KEYS)
    add(
      issues,
      'rotation-keys-count',
      'rotationKeys',
      `need 1 to ${MAX_ROTATION_KEYS} keys, got ${rk.length}`,
    )
  else {
    for (let i = 0; i < rk.length; i++) checkRotationKey(issues, rk[i], `rotationKeys[${i}]`)
    if (new Set(rk).size !== rk.length)
      add(issues, 'rotation-keys-duplicate', 'rotationKeys', 'a key is listed twice')
  }
  const vm = op['verificationMethods']
  if (!isPlainObject(vm)) add(issues, 'wrong-type', 'verificationMethods', 'expected an object')
  else {
    const names = Object.keys(vm)
    if (names.length > MAX_VERIFICATION_METHODS)
      add(
        issues,
        'verification-methods-count',
        'verificationMethods',
        `more than ${MAX_VERIFICATION_METHODS}`,
      )
    else
      for (const name of names) {
        const path = `verificationMethods.${name}`
        if (
          checkString(issues, name, path) &&
          checkString(issues, vm[name], path) &&
          !DID_KEY_SYNTAX.test(vm[name])
        )
          add(issues, 'verification-method-syntax', path, 'not a did:key')
      }
  }
  const aka = op['alsoKnownAs']
  if (!Array.isArray(aka)) add(issues, 'wrong-type', 'alsoKnownAs', 'expected an array')
  else if (aka.length > cap) add(issues, 'too-large', 'alsoKnownAs', 'more entries than the size cap allows')
  else for (let i = 0; i < aka.length; i++) checkString(issues, aka[i], `alsoKnownAs[${i}]`)
  const services = op['services']
  if (!isPlainObject(services)) add(issues, 'wrong-type', 'services', 'expected an object')
  else {
    const names = Object.keys(services)
    if (names.length > cap) add(issues, 'too-large', 'services', 'more entries than the size cap allows')
    else
      for (const name of names) {
        const path = `services.${name}`
        const s = services[name]
        if (!checkString(issues, name, path)) continue
        if (!isPlainObject(s)) {
          add(issues, 'wrong-type', path, 'expected an object')
          continue
        }
        for (const k of Object.keys(s))
          if (k !== 'type' && k !== 'endpoint')
            add(issues, 'unknown-field', `${path}.${k}`, 'not a service field')
        checkString(issues, s['type'], `${path}.type`)
        checkString(issues, s['endpoint'], `${path}.endpoint`)
      }
  }
}

/**
 * Checks untrusted JSON (already `JSON.parse`d) against the operation formats: exact fields, types,
 * rotation keys (1–5, distinct, secp256k1/P-256), at most 10 verification methods, a canonical CID
 * in `prev`, and the 7500-byte DAG-CBOR cap. Signatures are checked by the log rules, not here.
 * @example validateOperation(JSON.parse(text)).success
 */
export function validateOperation(value: unknown, options?: ParseOperationOptions): OperationValidation {
  const cap = options?.maxBytes ?? MAX_OPERATION_BYTES
  const signed = options?.signed ?? true
  const issues: Issues = []
  if (!isPlainObject(value)) {
    add(issues, 'not-object', '', 'an operation is a JSON object')
    return { success: false, issues }
  }
  const type = value['type']
  if (type !== 'plc_operation' && type !== 'plc_tombstone' && type !== 'create') {
    add(issues, 'unknown-type', 'type', 'type is not plc_operation, plc_tombstone or create')
    return { success: false, issues }
  }
  const allowed: readonly string[] = FIELDS[type]
  for (const k of Object.keys(value)) {
    if (!allowed.includes(k) && !(signed && k === 'sig'))
      add(issues, 'unknown-field', k, 'not a field of this type')
  }
  for (const k of signed ? [...allowed, 'sig'] : allowed) {
    if (!Object.hasOwn(value, k)) add(issues, 'missing-field', k, 'required')
  }
  if (issues.length > 0) return { success: false, issues }
  if (signed) checkString(issues, value['sig'], 'sig')
  if (type === 'plc_operation') {
    checkRegularFields(issues, value, cap)
    checkPrev(issues, value['prev'], true)
  } else if (type === 'plc_tombstone') {
    checkPrev(issues, value['prev'], false)
  } else {
    checkRotationKey(issues, value['recoveryKey'], 'recoveryKey')
    checkRotationKey(issues, value['signingKey'], 'signingKey')
    checkString(issues, value['handle'], 'handle')
    checkString(issues, value['service'], 'service')
    if (value['prev'] !== null) add(issues, 'prev-not-null', 'prev', 'a legacy create has a null prev')
  }
  if (issues.length > 0) return { success: false, issues }
  const op = value as unknown as SignedOperation
  const size = encodeOperation(op).length
  if (size > cap) {
    add(issues, 'too-large', '', `${size} bytes of DAG-CBOR, more than ${cap}`)
    return { success: false, issues }
  }
  return { success: true, value: op }
}

/**
 * `validateOperation` that throws.
 * @throws {OperationFormatError} with every issue found.
 * @example const op = parseOperation(JSON.parse(text))
 */
export function parseOperation(value: unknown, options?: ParseOperationOptions): SignedOperation {
  const result = validateOperation(value, options)
  if (!result.success) throw new OperationFormatError(result.issues)
  return result.value
}

/**
 * Parses operation JSON text (the form the directory serves and accepts).
 * @throws {OperationFormatError} for text that is not JSON or not an operation.
 */
export function parseOperationJson(text: string, options?: ParseOperationOptions): SignedOperation {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new OperationFormatError([{ code: 'not-json', path: '', message: 'not JSON text' }])
  }
  return parseOperation(value, options)
}
