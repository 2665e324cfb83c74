// The browser's scanCar (through the package's "imports" map, #scan-car; other runtimes get
// scan.ts's, built on the SectionParser that the stream reader shares): scan-sections.ts's one loop
// over bytes in memory with each block's sha256 checked in JavaScript as it is reached. The same
// checks in the same order and the same errors (class, code, offset, fields, blocksRead), in fewer
// bytes. test/scan-car.browser.test.ts holds the two equal.
import { Cid } from '@rsky/dag-cbor'
import { sha256Matches } from '#digest'
import { CarBlockHashMismatchError } from './errors.ts'
import { scanCarSections } from './scan-sections.ts'
import type { CarBlockVisitor } from './stream.ts'
import type { CarHeader, CarReadOptions } from './types.ts'

/**
 * Reads a CAR held in memory and hands each block to `visit` as a position (see scan.ts).
 * @throws CarError subclasses (with `offset` and `blocksRead`); TypeError when `bytes` is not a Uint8Array
 */
export function scanCar(bytes: Uint8Array, visit: CarBlockVisitor, opts?: CarReadOptions): CarHeader {
  return scanCarSections(
    bytes,
    (buf, at, len) => visit(buf, at, len),
    opts,
    (buf, at, len, offset) => {
      if (!sha256Matches(buf.subarray(at + 36, at + 36 + len), buf, at + 4))
        throw new CarBlockHashMismatchError({
          cid: new Cid(buf, at, 36, 1, buf[at + 1] as number, 2),
          offset,
        })
    },
  )
}
