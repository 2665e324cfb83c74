// scanCar with the block hashes from an asynchronous sha256, WebCrypto's by default (what a browser
// has without shipping one): the sections are scanned first without hashing (scan-sections.ts), then
// hashed in batches, and only then handed to `visit`. The first fault is the one scanCar would raise:
// a block whose hash does not match before the section the scan stopped at wins over the scan's
// error. test/scan-car-async.test.ts holds it equal to scanCar.
import { Cid } from '@rsky/dag-cbor'
import { CarBlockHashMismatchError, CarError } from './errors.ts'
import { scanCarSections } from './scan-sections.ts'
import type { CarBlockVisitor } from './stream.ts'
import type { CarHeader, CarReadOptions } from './types.ts'

/** An asynchronous sha256 (e.g. WebCrypto's `crypto.subtle.digest('SHA-256', data)`). */
export type AsyncSha256 = (data: Uint8Array) => Promise<ArrayBuffer | Uint8Array>

const webSha256: AsyncSha256 = (data) => crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>)

// Digests in flight at once: enough to keep WebCrypto busy, few enough to bound the copies it makes.
const BATCH = 1024

/**
 * {@link scanCar} for a CAR in memory with the hashes from `sha256` (WebCrypto's by default, which
 * needs a secure context in browsers): the same checks, the same first error (class, code, offset,
 * fields, blocksRead), and the same blocks handed to `visit`, each once every hash has matched.
 * @internal
 * @throws CarError subclasses (with `offset` and `blocksRead`); TypeError when `bytes` is not a Uint8Array
 */
export async function scanCarAsync(
  bytes: Uint8Array,
  visit: CarBlockVisitor,
  opts?: CarReadOptions,
  sha256: AsyncSha256 = webSha256,
): Promise<CarHeader> {
  const spans: number[] = [] // per block: where its CID starts, its length, its section's offset
  let header: CarHeader | undefined
  let fault: unknown
  try {
    header = scanCarSections(bytes, (_, at, len, offset) => spans.push(at, len, offset), opts)
  } catch (err) {
    if (!(err instanceof CarError)) throw err
    fault = err
  }
  if (opts?.verify !== false) {
    for (let i = 0; i < spans.length; i += 3 * BATCH) {
      const batch = spans.slice(i, i + 3 * BATCH)
      const pending: Promise<ArrayBuffer | Uint8Array>[] = []
      for (let j = 0; j < batch.length; j += 3) {
        const at = batch[j] as number
        pending.push(sha256(bytes.subarray(at + 36, at + 36 + (batch[j + 1] as number))))
      }
      const digests = await Promise.all(pending)
      for (let j = 0; j < batch.length; j += 3) {
        const d = new Uint8Array(digests[j / 3] as ArrayBuffer)
        const at = batch[j] as number
        let k = 0
        while (k < 32 && d[k] === bytes[at + 4 + k]) k++
        if (k < 32) {
          const err = new CarBlockHashMismatchError({
            cid: new Cid(bytes, at, 36, 1, bytes[at + 1] as number, 2),
            offset: batch[j + 2] as number,
          })
          err.blocksRead = (i + j) / 3
          throw err
        }
      }
    }
  }
  if (header === undefined) throw fault
  for (let i = 0; i < spans.length; i += 3) visit(bytes, spans[i] as number, spans[i + 1] as number)
  return header
}
