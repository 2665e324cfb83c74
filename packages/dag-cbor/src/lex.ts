import { Cid } from './cid.ts'

/**
 * A value of the AT data model: what DAG-CBOR decodes to and encodes from. Numbers are
 * integers only (safe range); bytes are `Uint8Array`; links are {@link Cid}.
 */
export type LexValue = null | boolean | number | string | Uint8Array | Cid | LexValue[] | LexMap

/** A map of the data model: string keys (the order carries no meaning). */
export interface LexMap {
  [key: string]: LexValue
}

/** True when `value` is a plain object usable as a {@link LexMap} (not an array, bytes, CID or class instance). */
export function isLexMap(value: unknown): value is LexMap {
  if (value === null || typeof value !== 'object') return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * Deep equality of two data-model values: CIDs by bytes, byte arrays by content, maps regardless
 * of key order. Iterative, so deep values cannot overflow the stack.
 */
export function lexEquals(a: LexValue, b: LexValue): boolean {
  const stack: [unknown, unknown][] = [[a, b]]
  while (stack.length > 0) {
    const [x, y] = stack.pop() as [unknown, unknown]
    if (x === y) continue
    if (x === null || y === null || typeof x !== 'object' || typeof y !== 'object') return false
    if (x instanceof Cid || y instanceof Cid) {
      if (!(x instanceof Cid && y instanceof Cid && x.equals(y))) return false
      continue
    }
    if (x instanceof Uint8Array || y instanceof Uint8Array) {
      if (!(x instanceof Uint8Array && y instanceof Uint8Array) || x.length !== y.length) return false
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false
      continue
    }
    if (Array.isArray(x) || Array.isArray(y)) {
      if (!(Array.isArray(x) && Array.isArray(y)) || x.length !== y.length) return false
      for (let i = 0; i < x.length; i++) stack.push([x[i], y[i]])
      continue
    }
    const xo = x as Record<string, unknown>
    const yo = y as Record<string, unknown>
    const xk = Object.keys(xo).filter((k) => xo[k] !== undefined)
    const yk = Object.keys(yo).filter((k) => yo[k] !== undefined)
    if (xk.length !== yk.length) return false
    for (const k of xk) {
      if (!Object.hasOwn(yo, k)) return false
      stack.push([xo[k], yo[k]])
    }
  }
  return true
}
