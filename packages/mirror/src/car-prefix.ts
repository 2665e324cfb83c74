// The first bytes of a repository CAR, read before deciding how to verify it: a CAR that ends
// within `maxBytes` comes back whole (its block hashes can then be checked on another thread from
// a copy), a longer one as a source that gives the chunks already read and then the rest, so it
// streams as before. The source's own errors (size limits, timeouts, aborts) pass through.
import { type CarSource, carSourceChunks } from '@rsky/car'

/** What {@link readCarPrefix} found: the whole CAR, or a source that replays the part read. */
export type CarPrefix = { whole: Uint8Array } | { rest: CarSource }

function join(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array
  const out = new Uint8Array(size)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/**
 * Reads `source` until it ends or more than `maxBytes` arrived.
 * @throws what the source throws; TypeError for a source that is none of CarSource's forms
 */
export async function readCarPrefix(source: CarSource, maxBytes: number): Promise<CarPrefix> {
  if (source instanceof Uint8Array) return source.length <= maxBytes ? { whole: source } : { rest: source }
  const it = carSourceChunks(source)
  const read: Uint8Array[] = []
  let size = 0
  for (;;) {
    const r = await it.next()
    if (r.done === true) return { whole: join(read, size) }
    const chunk = r.value
    if (!(chunk instanceof Uint8Array))
      throw new TypeError('a CAR source gave a chunk that is not a Uint8Array')
    read.push(chunk)
    size += chunk.length
    if (size > maxBytes) break
  }
  async function* replay(): AsyncGenerator<Uint8Array, void, undefined> {
    let done = false
    try {
      yield* read.splice(0)
      for (;;) {
        const r = await it.next()
        if (r.done === true) {
          done = true
          return
        }
        yield r.value
      }
    } finally {
      // the reader stopped early (a bad CAR): let the source go (close the socket, the file)
      if (!done) await it.return?.()
    }
  }
  return { rest: replay() }
}
