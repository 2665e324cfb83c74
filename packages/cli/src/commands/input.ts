import { createReadStream, statSync } from 'node:fs'
import { UsageError } from '../errors.ts'
import { createProgress } from '../progress.ts'

/** A CAR file opened for streaming, with a progress bar on a terminal. */
export interface CarFile {
  path: string
  size: number
  /** Chunks of the file; drives the progress bar as they are read. */
  chunks(): AsyncIterable<Uint8Array>
}

/** @throws UsageError (`io`) when the path is not a readable file */
export function openCarFile(path: string, stderr: { write(s: string): unknown; isTTY?: boolean }): CarFile {
  let size: number
  try {
    const st = statSync(path)
    if (!st.isFile()) throw new UsageError(`not a file: ${path}`, { io: true })
    size = st.size
  } catch (err) {
    if (err instanceof UsageError) throw err
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      io: true,
      cause: err,
    })
  }
  return {
    path,
    size,
    async *chunks() {
      const progress = createProgress(`reading ${path}`, size, stderr)
      let done = 0
      try {
        for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
          done += (chunk as Buffer).length
          progress.update(done)
          yield chunk as Uint8Array
        }
      } finally {
        progress.finish()
      }
    },
  }
}
