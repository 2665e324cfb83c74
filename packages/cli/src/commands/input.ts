import { createReadStream, readFileSync, statSync } from 'node:fs'
import { UsageError } from '../errors.ts'
import { createProgress } from '../progress.ts'
import { sniffNotCar } from './sniff.ts'

type Stderr = { write(s: string): unknown; isTTY?: boolean }

/** A CAR file opened for streaming, with a progress bar on a terminal. `-` is stdin. */
export interface CarFile {
  /** The path as given (`-` for stdin). */
  path: string
  /** Size in bytes; 0 for stdin (unknown until read). */
  size: number
  /**
   * Chunks of the file; drives the progress bar as they are read. Raises NotACarError when the
   * first bytes show the input is not a CAR at all (empty, JSON, text, an archive, other bytes).
   */
  chunks(): AsyncIterable<Uint8Array>
}

const STDIN = '-'

/** The name used in messages: `stdin` for `-`. */
export const inputName = (path: string): string => (path === STDIN ? 'stdin' : path)

/** The size of an input file, 0 for stdin (`-`). @throws UsageError (`io`) unless readable */
export function statInput(path: string): number {
  return path === STDIN ? 0 : statFile(path)
}

/** @throws UsageError (`io`) when `path` is not a readable file */
function statFile(path: string): number {
  try {
    const st = statSync(path)
    if (!st.isFile()) throw new UsageError(`not a file: ${path}`, { io: true })
    return st.size
  } catch (err) {
    if (err instanceof UsageError) throw err
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      io: true,
      cause: err,
    })
  }
}

/** Enough of the start of a file to tell a CAR header from JSON, text or other bytes. */
const SNIFF_BYTES = 64

/** @throws UsageError (`io`) when the path is not a readable file */
export function openCarFile(path: string, stderr: Stderr): CarFile {
  const size = path === STDIN ? 0 : statFile(path)
  const name = inputName(path)
  return {
    path,
    size,
    async *chunks() {
      const progress = createProgress(`reading ${name}`, size, stderr)
      const source: AsyncIterable<Uint8Array> =
        path === STDIN ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 })
      let done = 0
      try {
        for await (const chunk of sniffedCar(name, source)) {
          done += chunk.length
          progress.update(done)
          yield chunk
        }
      } finally {
        progress.finish()
      }
    },
  }
}

/**
 * The chunks of `source` unchanged, except that a source whose first bytes show it is not a CAR
 * at all (empty, JSON, text, an archive, other bytes) raises NotACarError naming `name`.
 */
export async function* sniffedCar(
  name: string,
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  // Hold back the first bytes until there are enough to judge what the input is.
  let head: Uint8Array | undefined = new Uint8Array(0)
  for await (const chunk of source) {
    const bytes = chunk as Uint8Array
    if (head !== undefined) {
      const joined: Uint8Array = new Uint8Array(head.length + bytes.length)
      joined.set(head)
      joined.set(bytes, head.length)
      if (joined.length < SNIFF_BYTES) {
        head = joined
        continue
      }
      const notCar = sniffNotCar(name, joined, joined.length)
      if (notCar) throw notCar
      head = undefined
      yield joined
      continue
    }
    yield bytes
  }
  if (head !== undefined) {
    const notCar = sniffNotCar(name, head, head.length)
    if (notCar) throw notCar
    if (head.length > 0) yield head
  }
}

/** Reads a whole input file (or stdin for `-`) as bytes. @throws UsageError (`io`) */
export async function readInput(path: string): Promise<Uint8Array> {
  if (path !== STDIN) {
    statFile(path)
    try {
      return new Uint8Array(readFileSync(path))
    } catch (err) {
      throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
        io: true,
        cause: err,
      })
    }
  }
  const parts: Uint8Array[] = []
  for await (const chunk of process.stdin) parts.push(chunk as Uint8Array)
  return new Uint8Array(Buffer.concat(parts))
}

/** An input read as JSON (or stdin for `-`). @throws UsageError (`io`), InputJsonError */
export async function readJsonInput(path: string): Promise<unknown> {
  const bytes = await readInput(path)
  const text = new TextDecoder().decode(bytes)
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new InputJsonError(
      inputName(path),
      bytes.length === 0 ? 'the file is empty' : (err as Error).message,
    )
  }
}

/** An input that should hold JSON and does not (exit 1). */
export class InputJsonError extends Error {
  override name = 'InputJsonError'
  readonly code = 'NOT_JSON'
  readonly file: string
  constructor(file: string, detail: string) {
    super(`${file} is not JSON: ${detail}`)
    this.file = file
  }
}
