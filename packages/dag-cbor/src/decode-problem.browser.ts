// The browser's decode-problem.ts (#decode-problem): one phrase for every decode error, so a
// browser bundle does not carry a sentence per code; the message still names the code and offset.
import type { DagCborDecodeErrorCode } from './errors.ts'

/** The description of every decode error code in browsers. */
export function describeDecodeProblem(_code: DagCborDecodeErrorCode): string {
  return 'not strict DAG-CBOR'
}
