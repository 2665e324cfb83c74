import { fromBase64, toBase64 } from './base64.ts'
import { typedBlobRefIssue } from './blob.ts'
import { formatPath } from './canonical.ts'
import { Cid } from './cid.ts'
import { parseCid } from './cid-parse.ts'
import { InvalidCidError, LexJsonError, type LexJsonErrorCode } from './errors.ts'
import type { LexMap, LexValue } from './lex.ts'

/** Options of {@link jsonToLex} and {@link lexToJson}. */
export interface LexJsonOptions {
  /** Deepest nesting of arrays and objects. Default 512, as in decode. */
  maxDepth?: number
}

const DEFAULT_MAX_DEPTH = 512

/** A validation issue: what is wrong and where. */
export interface LexJsonIssue {
  code: LexJsonErrorCode
  path: string
  message: string
}

/** Result of {@link safeJsonToLex}. */
export type LexJsonResult = { success: true; value: LexValue } | { success: false; issues: LexJsonIssue[] }

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

// Paths are kept as segments and formatted only when an error is thrown, so converting a large
// body builds no strings. `segs[0..depth)` leads to the value at `depth`.
type Segments = (string | number)[]

function pathOf(segs: Segments, depth: number, extra?: string): string {
  return extra === undefined
    ? formatPath(segs, depth)
    : formatPath([...segs.slice(0, depth), extra], depth + 1)
}

function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  // assigning "__proto__" would swap the prototype; define an own property instead
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, configurable: true, writable: true })
  else obj[key] = value
}

function convert(json: unknown, segs: Segments, depth: number, maxDepth: number): LexValue {
  switch (typeof json) {
    case 'string':
    case 'boolean':
      return json
    case 'number':
      if (Number.isSafeInteger(json)) return json
      if (Number.isInteger(json)) {
        throw new LexJsonError(
          'INTEGER_OUT_OF_RANGE',
          pathOf(segs, depth),
          'integer is outside the safe range ±(2^53-1)',
        )
      }
      throw new LexJsonError(
        'FLOAT_NOT_ALLOWED',
        pathOf(segs, depth),
        `floats are not in the AT data model: ${json}`,
      )
    case 'object': {
      if (json === null) return null
      if (depth >= maxDepth) {
        throw new LexJsonError(
          'MAX_DEPTH_EXCEEDED',
          pathOf(segs, depth),
          `nesting deeper than maxDepth=${maxDepth}`,
        )
      }
      if (Array.isArray(json)) {
        const out: LexValue[] = new Array(json.length)
        for (let i = 0; i < json.length; i++) {
          segs[depth] = i
          out[i] = convert(json[i], segs, depth + 1, maxDepth)
        }
        return out
      }
      if (!isPlainObject(json)) {
        throw new LexJsonError('UNSUPPORTED_TYPE', pathOf(segs, depth), 'only plain objects are JSON objects')
      }
      if ('$link' in json) return convertLink(json, segs, depth)
      if ('$bytes' in json) return convertBytes(json, segs, depth)
      if ('$type' in json) {
        const t = json['$type']
        if (typeof t !== 'string' || t.length === 0) {
          throw new LexJsonError(
            'INVALID_TYPE_FIELD',
            pathOf(segs, depth, '$type'),
            '$type must be a non-empty string',
          )
        }
        if (t === 'blob') {
          const issue = typedBlobRefIssue(json)
          if (issue)
            throw new LexJsonError('INVALID_BLOB', pathOf(segs, depth), `invalid blob ref: ${issue.message}`)
        }
      }
      const out: LexMap = {}
      for (const key of Object.keys(json)) {
        const v = json[key]
        if (v === undefined) continue
        segs[depth] = key
        setOwn(out, key, convert(v, segs, depth + 1, maxDepth))
      }
      return out
    }
    default:
      throw new LexJsonError('UNSUPPORTED_TYPE', pathOf(segs, depth), `${typeof json} is not a JSON value`)
  }
}

function convertLink(json: Record<string, unknown>, segs: Segments, depth: number): Cid {
  const link = json['$link']
  if (Object.keys(json).length !== 1) {
    throw new LexJsonError('INVALID_LINK', pathOf(segs, depth), 'a $link object must have no other fields')
  }
  if (typeof link !== 'string')
    throw new LexJsonError('INVALID_LINK', pathOf(segs, depth), '$link must be a string')
  try {
    return parseCid(link)
  } catch (e) {
    if (e instanceof InvalidCidError) {
      throw new LexJsonError('INVALID_LINK', pathOf(segs, depth), `$link is not a CID (${e.code})`)
    }
    throw e
  }
}

function convertBytes(json: Record<string, unknown>, segs: Segments, depth: number): Uint8Array {
  const b64 = json['$bytes']
  if (Object.keys(json).length !== 1) {
    throw new LexJsonError('INVALID_BYTES', pathOf(segs, depth), 'a $bytes object must have no other fields')
  }
  if (typeof b64 !== 'string') {
    throw new LexJsonError('INVALID_BYTES', pathOf(segs, depth), '$bytes must be a base64 string')
  }
  const bytes = fromBase64(b64)
  if (bytes === undefined)
    throw new LexJsonError('INVALID_BYTES', pathOf(segs, depth), '$bytes is not valid base64')
  return bytes
}

/**
 * Converts the AT JSON form to a data-model value: `{ $link }` becomes a {@link Cid},
 * `{ $bytes }` a `Uint8Array`. Enforces the data-model rules: integers only, `$link`/`$bytes`
 * objects with no other fields, `$type` a non-empty string, `$type: 'blob'` objects well formed.
 * @throws {LexJsonError} with a `code` and the `path` of the offending value
 * @example jsonToLex({ a: { $link: 'bafyrei...' } }).a instanceof Cid // true
 */
export function jsonToLex(json: unknown, options?: LexJsonOptions): LexValue {
  return guardStack(() => convert(json, [], 0, options?.maxDepth ?? DEFAULT_MAX_DEPTH))
}

// A maxDepth raised far past the default can still exhaust the JS stack: report it as depth.
function guardStack<T>(run: () => T): T {
  try {
    return run()
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new LexJsonError(
        'MAX_DEPTH_EXCEEDED',
        '$',
        'value nests deeper than the JS stack allows; lower maxDepth',
      )
    }
    throw e
  }
}

/**
 * Like {@link jsonToLex} but for a record or other top-level object: the value must be a JSON object.
 * @throws {LexJsonError} (`NOT_AN_OBJECT` when the top level is not an object)
 */
export function jsonToLexMap(json: unknown, options?: LexJsonOptions): LexMap {
  if (!isPlainObject(json)) throw new LexJsonError('NOT_AN_OBJECT', '$', 'top-level value must be an object')
  return jsonToLex(json, options) as LexMap
}

/**
 * {@link jsonToLexMap} returning a result instead of throwing.
 * @example const r = safeJsonToLexMap(body); if (!r.success) console.log(r.issues)
 */
export function safeJsonToLexMap(json: unknown, options?: LexJsonOptions): LexJsonResult {
  try {
    return { success: true, value: jsonToLexMap(json, options) }
  } catch (e) {
    if (e instanceof LexJsonError)
      return { success: false, issues: [{ code: e.code, path: e.path, message: e.message }] }
    throw e
  }
}

/**
 * Converts a data-model value to the AT JSON form: CIDs become `{ $link }`, bytes `{ $bytes }`
 * (unpadded base64). The result is ready for `JSON.stringify`.
 * @throws {LexJsonError} for values outside the data model or nesting past `maxDepth`
 * @example JSON.stringify(lexToJson(decode(block)))
 */
export function lexToJson(value: LexValue, options?: LexJsonOptions): unknown {
  return guardStack(() => toJson(value, [], 0, options?.maxDepth ?? DEFAULT_MAX_DEPTH))
}

function toJson(value: unknown, segs: Segments, depth: number, maxDepth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      if (Number.isSafeInteger(value)) return value
      throw new LexJsonError(
        'FLOAT_NOT_ALLOWED',
        pathOf(segs, depth),
        `not an integer in the safe range: ${value}`,
      )
    case 'object': {
      if (value === null) return null
      if (value instanceof Cid) return { $link: value.toString() }
      if (value instanceof Uint8Array) return { $bytes: toBase64(value) }
      if (depth >= maxDepth) {
        throw new LexJsonError(
          'MAX_DEPTH_EXCEEDED',
          pathOf(segs, depth),
          `nesting deeper than maxDepth=${maxDepth}`,
        )
      }
      if (Array.isArray(value)) {
        const out: unknown[] = new Array(value.length)
        for (let i = 0; i < value.length; i++) {
          segs[depth] = i
          out[i] = toJson(value[i], segs, depth + 1, maxDepth)
        }
        return out
      }
      if (!isPlainObject(value)) {
        throw new LexJsonError(
          'UNSUPPORTED_TYPE',
          pathOf(segs, depth),
          'only plain objects are data-model maps',
        )
      }
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(value)) {
        const v = value[key]
        if (v === undefined) continue
        segs[depth] = key
        setOwn(out, key, toJson(v, segs, depth + 1, maxDepth))
      }
      return out
    }
    default:
      throw new LexJsonError(
        'UNSUPPORTED_TYPE',
        pathOf(segs, depth),
        `${typeof value} is not in the data model`,
      )
  }
}
