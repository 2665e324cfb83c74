import { utf8 } from './bytes.ts'

/**
 * The order of record blocks in a space CAR. `canonical` is DAG-CBOR map-key order (shorter key
 * first, then bytewise), which the reference writes and the proposal requires; `lexicographic`
 * is plain bytewise order, which rsky-space writes.
 */
export type RecordOrder = 'canonical' | 'lexicographic'

const enc = (s: string): Uint8Array => utf8(s)

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

const isAscii = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false
  return true
}

/** Compares two keys in canonical DAG-CBOR map order (UTF-8 length first, then bytewise). */
export function compareCanonical(a: string, b: string): number {
  if (isAscii(a) && isAscii(b)) {
    if (a.length !== b.length) return a.length - b.length
    return a < b ? -1 : a > b ? 1 : 0
  }
  const ab = enc(a)
  const bb = enc(b)
  if (ab.length !== bb.length) return ab.length - bb.length
  return compareBytes(ab, bb)
}

/** Compares two keys bytewise over UTF-8 (Rust `String` order, as rsky's BTreeMap uses). */
export function compareLexicographic(a: string, b: string): number {
  if (isAscii(a) && isAscii(b)) return a < b ? -1 : a > b ? 1 : 0
  return compareBytes(enc(a), enc(b))
}

/** Sorts paths into the given record order (a new array). */
export function sortPaths(paths: Iterable<string>, order: RecordOrder): string[] {
  return [...paths].sort(order === 'canonical' ? compareCanonical : compareLexicographic)
}
