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

/**
 * The frontend messages: Query(sql), then the COPY's data as one CopyData and CopyDone. The chunks
 * are not copied: the result is a list of buffers, the chunks among them, to be written together.
 */
export function pipelinedMessages(sql: string, copy: readonly Uint8Array[] | undefined): Uint8Array[] {
  const textBytes = Buffer.byteLength(sql, 'utf8')
  let data = 0
  if (copy !== undefined) for (const chunk of copy) data += chunk.length
  const head = Buffer.allocUnsafe(1 + 4 + textBytes + 1 + (copy === undefined ? 0 : 1 + 4))
  head[0] = QUERY
  head.writeInt32BE(4 + textBytes + 1, 1)
  head.write(sql, 5, 'utf8')
  let at = 5 + textBytes
  head[at++] = 0
  if (copy === undefined) return [head]
  head[at] = COPY_DATA
  head.writeInt32BE(4 + data, at + 1)
  const done = Buffer.allocUnsafe(1 + 4)
  done[0] = COPY_DONE
  done.writeInt32BE(4, 1)
  return [head, ...copy.filter((chunk) => chunk.length > 0), done]
}

/** The part of pg's connection a submittable query writes to. */
interface Connection {
  stream: { write(data: Uint8Array): boolean; writable?: boolean; cork?(): void; uncork?(): void }
}

/**
 * A query object `pg` runs like its own (`client.query(submittable)`): it writes its messages in
 * one socket write and gathers each statement's result until the server is ready again.
 */
class PipelinedQuery {
  readonly #bytes: readonly Uint8Array[]
  readonly #results: StatementResult[] = []
  #rows: (string | null)[][] = []
  readonly #resolve: (r: StatementResult[]) => void
  readonly #reject: (err: Error) => void
  #settled = false

  constructor(
    bytes: readonly Uint8Array[],
    resolve: (r: StatementResult[]) => void,
    reject: (err: Error) => void,
  ) {
    this.#bytes = bytes
    this.#resolve = resolve
    this.#reject = reject
  }

  submit(connection: Connection): Error | undefined {
    if (connection.stream.writable === false) return new Error('Connection terminated: the socket is closed')
    // one socket write (writev) of every piece
    const stream = connection.stream
    stream.cork?.()
    for (const piece of this.#bytes) stream.write(piece)
    stream.uncork?.()
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
