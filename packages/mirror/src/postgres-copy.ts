// The bulk half of a Postgres backfill: a repository's records sent through
// `COPY … FROM STDIN (FORMAT binary)`. Binary rows carry each record's bytes as they are (the text
// format needs them hex-encoded, twice the bytes, and every text field checked for escapes), and
// are built straight into buffers. A small repository is encoded whole before anything is sent
// (`encodeRows`, under a byte bound); a larger one streams on from where that stopped, its records
// pulled from the iterator as the connection accepts data, so it never needs to fit in memory.
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import copyStreams from 'pg-copy-streams'
import type { RecordRow } from './sqlite-backfill.ts'

/** The COPY statement every backfill's rows are sent with. */
export const COPY_RECORDS =
  'COPY mirror_record (did, collection, rkey, cid, value) FROM STDIN (FORMAT binary)'

const CHUNK_BYTES = 1024 * 1024
/** The first buffer: a small repository (most of them) never pays for a large one. */
const FIRST_CHUNK_BYTES = 16 * 1024
/** "PGCOPY\n\377\r\n\0", then flags (0) and header extension length (0). */
export const COPY_HEADER: Buffer = Buffer.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
])
/** The end of binary COPY data: a field count of -1. */
export const COPY_TRAILER: Buffer = Buffer.from([0xff, 0xff])

/** Upper bound of one row's bytes: field count, 5 lengths, UTF-8 at most 3 bytes per UTF-16 unit. */
function rowBound(didBytes: Buffer, r: RecordRow, cid: string): number {
  return 2 + 20 + didBytes.length + 3 * (r.collection.length + r.rkey.length) + cid.length + r.record.length
}

/** Writes one row of `(did, collection, rkey, cid, value)` at `at`; returns the offset after it. */
function writeRow(buf: Buffer, at: number, didBytes: Buffer, r: RecordRow, cid: string): number {
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
  return at + 4 + r.record.length
}

function text(buf: Buffer, at: number, s: string): number {
  const n = buf.write(s, at + 4, 'utf8')
  buf.writeInt32BE(n, at)
  return at + 4 + n
}

/** A repository's rows encoded up front (no COPY header or trailer). */
export interface EncodedRows {
  /** The rows encoded so far. */
  bytes: Buffer
  /** How many rows `bytes` holds. */
  count: number
  /** Undefined when every record is in `bytes`; else the records still to read (past the bound). */
  rest: Iterator<RecordRow> | undefined
}

/**
 * Encodes the records of `did` as binary COPY rows until they are all in or `maxBytes` is passed
 * (then `rest` goes on from the next record). An error of `records` (a bad record) is thrown here,
 * before anything is sent.
 */
export function encodeRows(did: string, records: Iterable<RecordRow>, maxBytes: number): EncodedRows {
  const didBytes = Buffer.from(did, 'utf8')
  const it = records[Symbol.iterator]()
  let buf = Buffer.allocUnsafe(FIRST_CHUNK_BYTES)
  let at = 0
  let count = 0
  for (;;) {
    if (at >= maxBytes) return { bytes: buf.subarray(0, at), count, rest: it }
    const next = it.next()
    if (next.done === true) return { bytes: buf.subarray(0, at), count, rest: undefined }
    const r = next.value
    const cid = r.cid.toString()
    const need = rowBound(didBytes, r, cid)
    if (at + need > buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(buf.length * 2, at + need))
      buf.copy(grown, 0, 0, at)
      buf = grown
    }
    at = writeRow(buf, at, didBytes, r, cid)
    count++
  }
}

/**
 * Binary COPY data of `(did, collection, rkey, cid, value)`, in chunks of about 1 MiB: the header,
 * `head` (rows already encoded) when given, the rows of `records`, the trailer.
 */
export function* binaryCopyChunks(
  did: string,
  records: Iterable<RecordRow>,
  opts: { head?: Buffer; onRow?: () => void } = {},
): Generator<Buffer, void, undefined> {
  const didBytes = Buffer.from(did, 'utf8')
  const onRow = opts.onRow
  if (opts.head !== undefined && opts.head.length > 0) yield Buffer.concat([COPY_HEADER, opts.head])
  let buf = Buffer.allocUnsafe(opts.head === undefined ? FIRST_CHUNK_BYTES : CHUNK_BYTES)
  let at = 0
  if (opts.head === undefined || opts.head.length === 0) {
    COPY_HEADER.copy(buf, 0)
    at = COPY_HEADER.length
  }
  for (const r of records) {
    const cid = r.cid.toString()
    const need = rowBound(didBytes, r, cid)
    if (at + need > buf.length) {
      yield buf.subarray(0, at)
      // chunks double up to 1 MiB
      buf = Buffer.allocUnsafe(Math.max(Math.min(CHUNK_BYTES, buf.length * 2), need))
      at = 0
    }
    at = writeRow(buf, at, didBytes, r, cid)
    onRow?.()
  }
  if (at + COPY_TRAILER.length > buf.length) {
    yield buf.subarray(0, at)
    buf = Buffer.allocUnsafe(COPY_TRAILER.length)
    at = 0
  }
  COPY_TRAILER.copy(buf, at)
  yield buf.subarray(0, at + COPY_TRAILER.length)
}

/**
 * Copies the records of `did` into `mirror_record` on `client` (inside the caller's transaction),
 * after the rows of `head` when given; returns how many rows went in. An error thrown by `records`
 * (a bad record) aborts the COPY and rejects.
 */
export async function copyRecords(
  client: pg.ClientBase,
  did: string,
  records: Iterable<RecordRow>,
  head?: EncodedRows,
): Promise<number> {
  let count = head?.count ?? 0
  const sink = client.query(copyStreams.from(COPY_RECORDS))
  const onRow = (): void => {
    count++
  }
  await pipeline(
    Readable.from(
      binaryCopyChunks(did, records, head === undefined ? { onRow } : { head: head.bytes, onRow }),
      {
        objectMode: false,
        highWaterMark: 2,
      },
    ),
    sink,
  )
  return count
}
