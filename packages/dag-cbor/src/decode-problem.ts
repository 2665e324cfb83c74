// What each decode error code means, for DagCborDecodeError's message (errors.ts); browsers get
// decode-problem.browser.ts instead (#decode-problem).
import type { DagCborDecodeErrorCode } from './errors.ts'

// One description per code: the code names the rule, the offset the byte, so the call sites
// need no sentence of their own (a browser bundle that decodes carries each sentence once).
const DECODE_PROBLEMS: Readonly<Record<DagCborDecodeErrorCode, string>> = {
  EMPTY_INPUT: 'no bytes to decode',
  INPUT_TOO_LARGE: 'input longer than maxInputLength',
  TRUNCATED: 'input ends inside an item',
  TRAILING_BYTES: 'bytes remain after the item',
  INDEFINITE_LENGTH: 'indefinite lengths are not allowed',
  RESERVED_ADDITIONAL_INFO: 'reserved additional information',
  NON_MINIMAL_INTEGER: 'integer or length not in its shortest form',
  INTEGER_OUT_OF_RANGE: 'integer outside the safe range ±(2^53-1)',
  FLOAT_NOT_ALLOWED: 'floats are not in the AT data model',
  UNSUPPORTED_SIMPLE_VALUE: 'simple values other than true, false and null are not in the data model',
  UNSUPPORTED_TAG: 'only tag 42 (CID) is allowed',
  INVALID_CID: 'malformed CID',
  MAP_KEY_NOT_STRING: 'map keys must be strings',
  MAP_KEYS_UNSORTED: 'map keys not in canonical order',
  DUPLICATE_MAP_KEY: 'map key appears twice',
  INVALID_UTF8: 'string is not valid UTF-8',
  MAX_DEPTH_EXCEEDED: 'nesting deeper than maxDepth',
  MAX_LENGTH_EXCEEDED: 'collection longer than maxCollectionLength',
  NOT_A_MAP: 'top-level value is not a map',
}

/** The sentence describing `code`. */
export function describeDecodeProblem(code: DagCborDecodeErrorCode): string {
  return DECODE_PROBLEMS[code]
}
