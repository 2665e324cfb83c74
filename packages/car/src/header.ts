// The CAR header section, read without the DAG-CBOR decoder: a browser app that only reads
// blocks should not ship a whole decoder for one small map. Two passes over the header bytes:
// first a strict DAG-CBOR check that builds nothing (the rules of @rsky/dag-cbor's `decode` with
// its default limits), then a walk of the now-trusted top-level map for `version` and `roots`.
// test/header.test.ts holds it equal to `decode` followed by the old checks, on fast-check inputs
// and the hostile tables: the same headers accepted (with the same roots), the same rejected for
// the same reason.
import { type Cid, decodeCid } from '@rsky/dag-cbor'
import { CarInvalidHeaderError } from './errors.ts'
import type { CarHeader } from './types.ts'

// `decode`'s default limits (DEFAULT_DECODE_MAX_DEPTH, DEFAULT_MAX_COLLECTION_LENGTH and
// DEFAULT_MAX_INPUT_LENGTH of @rsky/dag-cbor), written out: importing them would bring the
// decoder module's top-level tables into the bundle. test/header.test.ts checks they still match.
const MAX_DEPTH = 512
const MAX_COLLECTION = 1_000_000
const MAX_INPUT = 16 * 1024 * 1024
/** @internal The limits (depth, collection, input), for the test. */
export const HEADER_CBOR_LIMITS: readonly number[] = [MAX_DEPTH, MAX_COLLECTION, MAX_INPUT]

const utf8 = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function isUtf8(b: Uint8Array, start: number, len: number): boolean {
  // A header is small: TextDecoder's fatal mode on every string is the shortest correct check.
  try {
    utf8.decode(b.subarray(start, start + len))
    return true
  } catch {
    return false
  }
}

/** Where the last item header read by {@link argument} ends. */
let argEnd = 0

/**
 * The argument of the item whose initial byte is at `p`, or -1 when the header is truncated, not
 * minimal, reserved, indefinite, or above 2^53-1. Sets `argEnd`.
 */
function argument(b: Uint8Array, p: number): number {
  const info = (b[p] as number) & 31
  if (info < 24) {
    argEnd = p + 1
    return info
  }
  const n = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0
  if (n === 0 || p + 1 + n > b.length) return -1
  let v = 0
  for (let i = 1; i <= n; i++) v = v * 256 + (b[p + i] as number)
  argEnd = p + 1 + n
  // The smallest value each width may hold (shorter forms are required below it).
  const min = n === 1 ? 24 : n === 2 ? 0x100 : n === 4 ? 0x10000 : 0x100000000
  return v < min || v > Number.MAX_SAFE_INTEGER ? -1 : v
}

/** End of the CID byte string after a tag 42 at `p` (the tag's own header read), or -1. */
function cidEnd(b: Uint8Array, p: number): number {
  const ib = b[p]
  if (ib === undefined || ib >> 5 !== 2 || (ib & 31) > 25) return -1
  const len = argument(b, p)
  const start = argEnd
  if (len < 2 || len > b.length - start || b[start] !== 0) return -1
  try {
    decodeCid(b.subarray(start + 1, start + len))
  } catch {
    return -1
  }
  return start + len
}

/** Where the values of the top-level map's `version` and `roots` keys start (-1: absent), set by {@link isStrictDagCbor}. */
let versionAt = -1
let rootsAt = -1

/**
 * Whether `b` is one strict DAG-CBOR item filling it exactly (what `decode` accepts with its
 * default limits): minimal headers, no floats or simple values but true/false/null, integers
 * within ±(2^53-1), valid UTF-8, string map keys in canonical order without duplicates, tag 42
 * (a CID) only, at most 512 deep and 1,000,000 entries per collection. Iterative: hostile
 * nesting cannot overflow the stack.
 */
export function isStrictDagCbor(b: Uint8Array): boolean {
  const end = b.length
  versionAt = -1
  rootsAt = -1
  if (end === 0 || end > MAX_INPUT) return false
  // Per open container: items still to read (a map counts keys and values), whether it is a
  // map, and where its previous key starts and how long it is (-1: none yet).
  const left: number[] = []
  const isMap: boolean[] = []
  const keyAt: number[] = []
  const keyLen: number[] = []
  let depth = 0
  let p = 0
  for (;;) {
    if (p >= end) return false
    const ib = b[p] as number
    const major = ib >> 5
    const d = depth - 1
    if (d >= 0 && isMap[d] && (left[d] as number) % 2 === 0) {
      // A map key: a text string after the previous key (shorter first, then bytewise).
      if (major !== 3) return false
      const len = argument(b, p)
      const s = argEnd
      if (len < 0 || len > end - s) return false
      const prev = keyAt[d] as number
      if (prev >= 0) {
        const prevLen = keyLen[d] as number
        if (len < prevLen) return false
        if (len === prevLen) {
          let i = 0
          while (i < len && b[prev + i] === b[s + i]) i++
          if (i === len || (b[prev + i] as number) > (b[s + i] as number)) return false
        }
      }
      if (!isUtf8(b, s, len)) return false
      if (d === 0 && len < 8) {
        // A key of the top-level map: note where the header's two values start.
        const key = utf8.decode(b.subarray(s, s + len))
        if (key === 'version') versionAt = s + len
        else if (key === 'roots') rootsAt = s + len
      }
      keyAt[d] = s
      keyLen[d] = len
      left[d] = (left[d] as number) - 1
      p = s + len
      continue
    }
    if (major === 7) {
      if (ib < 0xf4 || ib > 0xf6) return false
      p++
    } else {
      const arg = argument(b, p)
      if (arg < 0) return false
      p = argEnd
      if (major === 1) {
        if (arg > Number.MAX_SAFE_INTEGER - 1) return false
      } else if (major === 2 || major === 3) {
        if (arg > end - p || (major === 3 && !isUtf8(b, p, arg))) return false
        p += arg
      } else if (major === 4 || major === 5) {
        const map = major === 5
        if (arg > (end - p) / (map ? 2 : 1) || arg > MAX_COLLECTION) return false
        if (depth >= MAX_DEPTH) return false
        if (arg > 0) {
          left[depth] = map ? arg * 2 : arg
          isMap[depth] = map
          keyAt[depth] = -1
          depth++
          continue
        }
      } else if (major === 6) {
        if (arg !== 42) return false
        p = cidEnd(b, p)
        if (p < 0) return false
      }
    }
    // The item is complete: count it in its container, closing the containers it fills.
    while (depth > 0) {
      const n = (left[depth - 1] as number) - 1
      left[depth - 1] = n
      if (n > 0) break
      depth--
    }
    if (depth === 0) return p === end
  }
}

/**
 * Reads and checks a CAR header: strict DAG-CBOR, a map with `version: 1` and `roots`, an array
 * of CIDs; other keys are allowed. `offset` is the file offset of the section, for errors.
 * @throws {CarInvalidHeaderError} saying which rule failed.
 */
export function readCarHeader(bytes: Uint8Array, offset: number): CarHeader {
  const fail = (reason: string): never => {
    throw new CarInvalidHeaderError({ reason, offset })
  }
  if (!isStrictDagCbor(bytes)) fail('not DAG-CBOR')
  if (bytes[0]! >> 5 !== 5) fail('not a map')
  const version = versionAt
  const roots = rootsAt
  if (version < 0) fail('no version')
  if (bytes[version] !== 1)
    fail(bytes[version]! >> 5 ? 'bad version' : `bad version ${argument(bytes, version)}`)
  if (roots < 0) fail('no roots')
  if (bytes[roots]! >> 5 !== 4) fail('roots not an array')
  const count = argument(bytes, roots)
  const out: Cid[] = []
  for (let i = 0, q = argEnd; i < count; i++) {
    // A CID is tag 42 (0xd8 0x2a), then its byte string (checked by the scan: 0x00, then a CID).
    if (bytes[q] !== 0xd8 || bytes[q + 1] !== 0x2a) fail('root not a CID')
    const len = argument(bytes, q + 2)
    q = argEnd + len
    out.push(decodeCid(bytes.subarray(argEnd + 1, q)))
  }
  return { version: 1, roots: out }
}
