// The item loop is chosen through the package's "imports" map (#decode-item): Node and servers get
// decode-item.ts (shared stacks, string caches, a one-byte key path: speed), browsers
// decode-item.browser.ts (the same rules, codes and offsets in fewer bytes).
import { decodeItem } from '#decode-item'
import { Cid } from './cid.ts'
import { DagCborDecodeError } from './errors.ts'
import type { LexMap, LexValue } from './lex.ts'

export { EMPTY_BYTES } from './empty-bytes.ts'

/** Limits of {@link decode}. Every cap has a safe default. */
export interface DecodeOptions {
  /** Deepest nesting of arrays and maps. Default 512. */
  maxDepth?: number
  /** Largest input accepted, in bytes. Default 16 MiB. */
  maxInputLength?: number
  /** Most entries in one array or map. Default 1,000,000. */
  maxCollectionLength?: number
}

/** Default {@link DecodeOptions.maxDepth}. */
export const DEFAULT_DECODE_MAX_DEPTH = 512
/** Default {@link DecodeOptions.maxInputLength}. */
export const DEFAULT_MAX_INPUT_LENGTH: number = 16 * 1024 * 1024
/** Default {@link DecodeOptions.maxCollectionLength}. */
export const DEFAULT_MAX_COLLECTION_LENGTH = 1_000_000

/**
 * Most heap a decoded value keeps alive per input byte, in bytes, on 64-bit V8 (Node, Chrome),
 * with some margin: the costliest shape measured is a list of empty maps, 64 bytes per input byte
 * (one input byte, a 56-byte object and its 8-byte slot). Empty byte strings share one view and
 * arrays are allocated at their exact length, so no shape costs more; `@ipld/dag-cbor` needs
 * up to 117. A decode at the default 16 MiB cap can therefore hold about 1.1 GiB: lower
 * `maxInputLength` where that is too much. Checked shape by shape in `test/memory.test.ts`.
 */
export const DECODE_MAX_HEAP_PER_INPUT_BYTE = 72

function limit(value: number, name: string): number {
  if (!(Number.isSafeInteger(value) && value >= 0))
    throw new RangeError(`decode: ${name} must be a non-negative integer`)
  return value
}

/**
 * Decodes one strict DAG-CBOR item filling `bytes` exactly, per the AT data model: no floats,
 * no indefinite lengths, minimal integer and length headers, string map keys sorted
 * length-first then bytewise without duplicates, tag 42 (CID) only, integers within ±(2^53-1),
 * valid UTF-8. Byte strings and CIDs in the result are views into `bytes` (no copying), so do not
 * mutate `bytes` while you use the result; every empty byte string is one shared, frozen empty
 * view. The result holds at most {@link DECODE_MAX_HEAP_PER_INPUT_BYTE} bytes of heap per input
 * byte, whatever the shape of the input.
 * @throws {DagCborDecodeError} with a `code` and the byte `offset` of the fault
 * @throws {TypeError} when `bytes` is not a Uint8Array
 * @throws {RangeError} for a negative or non-integer limit
 * @example
 * const record = decode(blockBytes) as { $type: string; text: string }
 */
export function decode(bytes: Uint8Array, options?: DecodeOptions): LexValue {
  // bytes first: a bad argument is a TypeError before any option is looked at
  if (!(bytes instanceof Uint8Array)) notBytes()
  let maxDepth = DEFAULT_DECODE_MAX_DEPTH
  let maxInput = DEFAULT_MAX_INPUT_LENGTH
  let maxCollection = DEFAULT_MAX_COLLECTION_LENGTH
  if (options !== undefined) {
    if (options.maxDepth !== undefined) maxDepth = limit(options.maxDepth, 'maxDepth')
    if (options.maxInputLength !== undefined) maxInput = limit(options.maxInputLength, 'maxInputLength')
    if (options.maxCollectionLength !== undefined)
      maxCollection = limit(options.maxCollectionLength, 'maxCollectionLength')
  }
  return decodeWithin(bytes, maxDepth, maxInput, maxCollection)
}

/**
 * {@link decode} at the default limits, for readers that pass no options (the blocks of a CAR: its
 * header, MST nodes, commits, records): the same checks and errors, and a bundle built on it
 * carries no option handling. @internal
 * @throws {DagCborDecodeError} as decode; {TypeError} when `bytes` is not a Uint8Array
 */
export function decodeBlock(bytes: Uint8Array): LexValue {
  return decodeWithin(
    bytes,
    DEFAULT_DECODE_MAX_DEPTH,
    DEFAULT_MAX_INPUT_LENGTH,
    DEFAULT_MAX_COLLECTION_LENGTH,
  )
}

function notBytes(): never {
  throw new TypeError('decode: bytes must be a Uint8Array')
}

function decodeWithin(
  bytes: Uint8Array,
  maxDepth: number,
  maxInput: number,
  maxCollection: number,
): LexValue {
  if (!(bytes instanceof Uint8Array)) notBytes()
  const end = bytes.length
  if (end === 0) throw new DagCborDecodeError('EMPTY_INPUT', 0)
  if (end > maxInput) throw new DagCborDecodeError('INPUT_TOO_LARGE', 0, `maxInputLength=${maxInput}`)
  return decodeItem(bytes, maxDepth, maxCollection)
}

/**
 * {@link decode} for a record or other block whose top level must be a map.
 * @throws {DagCborDecodeError} as decode, and `NOT_A_MAP` (offset 0) for any other top-level value
 * @example const post = decodeRecord(block); post['$type']
 */
export function decodeRecord(bytes: Uint8Array, options?: DecodeOptions): LexMap {
  const value = decode(bytes, options)
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    value instanceof Uint8Array ||
    value instanceof Cid
  ) {
    throw new DagCborDecodeError('NOT_A_MAP', 0)
  }
  return value
}
