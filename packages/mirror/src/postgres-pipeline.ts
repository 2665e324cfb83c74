// One round trip for a whole small write: a simple query of several statements, one of them
// `COPY … FROM STDIN`, written to the socket in one piece together with the COPY's data and its end
// (the server reads the data when it reaches the COPY; `pg` and pg-copy-streams would wait for the
// server's go-ahead first, a round trip and a wake-up more, and send each chunk as two writes).
// If a statement before the COPY fails, the server skips the rest of the query and ignores the
// CopyData and CopyDone that follow (the protocol says so), so the connection stays usable.
import type pg from 'pg'

/** What one statement of the query returned: its command tag and its rows as text. */
export interface StatementResult {
  /** The command tag (`SELECT 1`, `COPY 400`, `COMMIT`). */
  command: string
  /** Rows in text format (`null` for SQL NULL). */
  rows: (string | null)[][]
}

const QUERY = 0x51 // 'Q'
const COPY_DATA = 0x64 // 'd'
const COPY_DONE = 0x63 // 'c'

/** The frontend messages: Query(sql), then one CopyData per chunk and CopyDone, in one buffer. */
export function pipelinedMessages(sql: string, copy: readonly Uint8Array[] | undefined): Buffer {
  const textBytes = Buffer.byteLength(sql, 'utf8')
  let size = 1 + 4 + textBytes + 1
  if (copy !== undefined) {
    for (const chunk of copy) size += 1 + 4 + chunk.length
    size += 1 + 4
  }
  const out = Buffer.allocUnsafe(size)
  out[0] = QUERY
  out.writeInt32BE(4 + textBytes + 1, 1)
  out.write(sql, 5, 'utf8')
  let at = 5 + textBytes
  out[at++] = 0
  if (copy !== undefined) {
    for (const chunk of copy) {
      out[at] = COPY_DATA
      out.writeInt32BE(4 + chunk.length, at + 1)
      out.set(chunk, at + 5)
      at += 5 + chunk.length
    }
    out[at] = COPY_DONE
    out.writeInt32BE(4, at + 1)
  }
  return out
}

/** The part of pg's connection a submittable query writes to. */
interface Connection {
  stream: { write(data: Uint8Array): boolean; writable?: boolean }
}

/**
 * A query object `pg` runs like its own (`client.query(submittable)`): it writes its messages in
 * one socket write and gathers each statement's result until the server is ready again.
 */
class PipelinedQuery {
  readonly #bytes: Buffer
  readonly #results: StatementResult[] = []
  #rows: (string | null)[][] = []
  readonly #resolve: (r: StatementResult[]) => void
  readonly #reject: (err: Error) => void
  #settled = false

  constructor(bytes: Buffer, resolve: (r: StatementResult[]) => void, reject: (err: Error) => void) {
    this.#bytes = bytes
    this.#resolve = resolve
    this.#reject = reject
  }

  submit(connection: Connection): Error | undefined {
    if (connection.stream.writable === false) return new Error('Connection terminated: the socket is closed')
    connection.stream.write(this.#bytes)
    return undefined
  }

  // pg calls these with the server's messages, in order
  handleRowDescription(): void {
    this.#rows = []
  }

  handleDataRow(msg: { fields: (string | null)[] }): void {
    this.#rows.push(msg.fields)
  }

  handleCommandComplete(msg: { text: string }): void {
    this.#results.push({ command: msg.text, rows: this.#rows })
    this.#rows = []
  }

  handleEmptyQuery(): void {}

  /** The data went out with the query: nothing to do on the server's go-ahead. */
  handleCopyInResponse(): void {}

  handleCopyData(): void {}

  handlePortalSuspended(): void {}

  handleError(err: Error): void {
    if (this.#settled) return
    this.#settled = true
    this.#reject(err)
  }

  handleReadyForQuery(): void {
    if (this.#settled) return
    this.#settled = true
    this.#resolve(this.#results)
  }
}

/**
 * Runs `sql` (statements separated by `;`, no parameters: values go in as escaped literals) on
 * `client`, with `copy` as the data of the one `COPY … FROM STDIN` among them, in one socket write.
 * Resolves with each statement's result in order; rejects with the server's error (the statements
 * after the failing one did not run).
 */
export function runPipelined(
  client: pg.ClientBase,
  sql: string,
  copy?: readonly Uint8Array[],
): Promise<StatementResult[]> {
  if (sql.includes('\u0000')) throw new TypeError('runPipelined: sql must not hold a NUL character')
  const bytes = pipelinedMessages(sql, copy)
  return new Promise((resolve, reject) => {
    client.query(new PipelinedQuery(bytes, resolve, reject) as unknown as pg.QueryConfig)
  })
}
