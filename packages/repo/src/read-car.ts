// readRepoRecords' reading of the CAR outside browsers (through the package's "imports" map,
// #read-car): bytes into the typed-array CarBlockIndex, a stream through the CAR stream reader,
// every block hashed by @rsky/car (node:crypto in Node), then the records. Browsers get
// read-car.browser.ts (WebCrypto's sha256).
import type { CarSource } from '@rsky/car'
import { CarBlockIndex, indexCarStream } from './block-index.ts'
import type { ReadRepoRecordsOptions, RepoRecordEntry } from './read-records-core.ts'
import { recordsOf } from './records-of.ts'

/** The records of a repository CAR, every check of readRepoRecords (its options already checked). */
export async function* readCarRecords(
  car: Uint8Array | CarSource,
  opts: ReadRepoRecordsOptions,
): AsyncGenerator<RepoRecordEntry, void, undefined> {
  const index =
    car instanceof Uint8Array ? CarBlockIndex.fromBytes(car, opts.car) : await indexCarStream(car, opts.car)
  yield* recordsOf(index, opts)
}
