// The bulk half of a Postgres backfill: a repository's records sent through
// `COPY … FROM STDIN (FORMAT binary)`. Binary rows carry each record's bytes as they are (the text
// format needs them hex-encoded, twice the bytes, and every text field checked for escapes), and
// are built straight into 1 MiB buffers. Records are pulled from any iterable as the connection
// accepts data, so a repository larger than memory streams through.
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import copyStreams from 'pg-copy-streams'
import type { RecordRow } from './sqlite-backfill.ts'

const CHUNK_BYTES = 1024 * 1024
/** The first chunk: a small repository (most of them) never pays for a 1 MiB buffer. */
const FIRST_CHUNK_BYTES = 64 * 1024
/** "PGCOPY\n\377\r\n\0", then flags (0) and header extension length (0). */
const HEADER = Buffer.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
])
const TRAILER = Buffer.from([0xff, 0xff])

/** Binary COPY rows of `(did, collection, rkey, cid, value)`, in chunks of about 1 MiB. */
export function* binaryCopyChunks(
  did: string,
  records: Iterable<RecordRow>,
  onRow?: () => void,
): Generator<Buffer, void, undefined> {
  const didBytes = Buffer.from(did, 'utf8')
  let buf = Buffer.allocUnsafe(FIRST_CHUNK_BYTES)
  HEADER.copy(buf, 0)
  let at = HEADER.length
  for (const r of records) {
    const cid = r.cid.toString()
    // upper bound: field count, 5 lengths, UTF-8 at most 3 bytes per UTF-16 unit
    const need =
      2 + 20 + didBytes.length + 3 * (r.collection.length + r.rkey.length) + cid.length + r.record.length
    if (at + need > buf.length) {
      yield buf.subarray(0, at)
      // chunks double up to 1 MiB
      buf = Buffer.allocUnsafe(Math.max(Math.min(CHUNK_BYTES, buf.length * 2), need))
      at = 0
    }
    buf.writeInt16BE(5, at)
    at += 2
    buf.writeInt32BE(didBytes.length, at)
    didBytes.copy(buf, at + 4)
    at += 4 + didBytes.length
    at = text(buf, at, r.collection)
    at = text(buf, at, r.rkey)
    at = text(buf, at, cid)
    buf.writeInt32BE(r.record.length, at)
    buf.set(r.record, at + 4)
    at += 4 + r.record.length
    onRow?.()
  }
  if (at + TRAILER.length > buf.length) {
    yield buf.subarray(0, at)
    buf = Buffer.allocUnsafe(TRAILER.length)
    at = 0
  }
  TRAILER.copy(buf, at)
  yield buf.subarray(0, at + TRAILER.length)
}

function text(buf: Buffer, at: number, s: string): number {
  const n = buf.write(s, at + 4, 'utf8')
  buf.writeInt32BE(n, at)
  return at + 4 + n
}

/**
 * Copies the records of `did` into `mirror_record` on `client` (inside the caller's transaction);
 * returns how many. An error thrown by `records` (a bad record) aborts the COPY and rejects.
 */
export async function copyRecords(
  client: pg.ClientBase,
  did: string,
  records: Iterable<RecordRow>,
): Promise<number> {
  let count = 0
  const sink = client.query(
    copyStreams.from('COPY mirror_record (did, collection, rkey, cid, value) FROM STDIN (FORMAT binary)'),
  )
  await pipeline(
    Readable.from(
      binaryCopyChunks(did, records, () => {
        count++
      }),
      { objectMode: false, highWaterMark: 2 },
    ),
    sink,
  )
  return count
}
