// Request bodies as web streams with a byte cap (shared by the fetch host and binary inputs).
import { XrpcError } from './errors.ts'

/** The 413 raised when a body passes its cap. */
export function tooLarge(): XrpcError {
  return new XrpcError('PayloadTooLarge', 'request entity too large', { status: 413 })
}

/** A pass-through stream that errors with a 413 XrpcError once more than `maxBytes` flow through. */
export function limitStream(maxBytes: number): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength
      if (seen > maxBytes) controller.error(tooLarge())
      else controller.enqueue(chunk)
    },
  })
}

/**
 * Reads a stream to the end into one buffer, stopping (and cancelling the stream) at `maxBytes`.
 * @throws {XrpcError} 413 when the body is larger than `maxBytes`; 400 when the stream fails.
 */
export async function readAllLimited(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<Uint8Array> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>
      try {
        step = await reader.read()
      } catch (cause) {
        if (cause instanceof XrpcError) throw cause
        throw new XrpcError('InvalidRequest', 'request body could not be read', { status: 400, cause })
      }
      if (step.done) break
      total += step.value.byteLength
      if (total > maxBytes) {
        reader.cancel().catch(() => {})
        throw tooLarge()
      }
      chunks.push(step.value)
    }
  } finally {
    reader.releaseLock()
  }
  return concatChunks(chunks, total)
}

/** One buffer holding `chunks` in order. */
export function concatChunks(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array
  const out = new Uint8Array(total)
  let o = 0
  for (const c of chunks) {
    out.set(c, o)
    o += c.byteLength
  }
  return out
}
