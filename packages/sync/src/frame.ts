import {
  DagCborDecodeError,
  type DecodeOptions,
  decode,
  encode,
  isLexMap,
  type LexMap,
  type LexValue,
} from '@rsky/dag-cbor'
import { FrameError } from './errors.ts'

/** A regular message frame (`op: 1`); `t` is the short type such as `#commit`. */
export interface MessageFrame {
  op: 1
  t: string
  body: LexMap
}

/** An error frame (`op: -1`); the stream closes after it. */
export interface ErrorFrame {
  op: -1
  body: { error: string; message?: string | undefined }
}

/** A frame with an `op` this version does not know; callers should ignore it. */
export interface UnknownFrame {
  op: number
  t?: string | undefined
  body: LexValue
}

/** Any decoded frame. Test `op === 1` / `op === -1`; anything else is an {@link UnknownFrame}. */
export type Frame = MessageFrame | ErrorFrame | UnknownFrame

/** Limits of {@link decodeFrame}. */
export interface FrameDecodeOptions {
  /** Largest frame accepted, in bytes. Default 5 MiB (the firehose's hard limit). */
  maxFrameSize?: number
  /** Largest header accepted, in bytes. Default 1 KiB. */
  maxHeaderSize?: number
  /** Limits passed to the body's DAG-CBOR decoder (depth, collection length). */
  body?: Omit<DecodeOptions, 'maxInputLength'>
}

/** Default {@link FrameDecodeOptions.maxFrameSize}: 5 MiB. */
export const DEFAULT_MAX_FRAME_SIZE: number = 5 * 1024 * 1024
/** Default {@link FrameDecodeOptions.maxHeaderSize}. */
export const DEFAULT_MAX_HEADER_SIZE = 1024

const HEADER_DECODE: DecodeOptions = { maxDepth: 4, maxCollectionLength: 16 }

function checkLimit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!(Number.isSafeInteger(value) && value > 0))
    throw new RangeError(`decodeFrame: ${name} must be a positive integer`)
  return value
}

/**
 * Where the first CBOR item of `buf` ends, scanning at most `limit` bytes. The walk is a counter
 * of pending items, so nesting cannot recurse; the strict decoder then checks the item itself.
 */
function firstItemEnd(buf: Uint8Array, limit: number): number {
  let pos = 0
  let pending = 1
  while (pending > 0) {
    if (pos >= limit) return -1
    const ib = buf[pos++] as number
    const major = ib >> 5
    const info = ib & 31
    let arg = info
    if (info >= 24) {
      const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0
      if (size === 0 || pos + size > limit) return -1
      arg = 0
      for (let i = 0; i < size; i++) arg = arg * 256 + (buf[pos + i] as number)
      pos += size
    }
    pending--
    if (major === 2 || major === 3) pos += arg
    else if (major === 4) pending += arg
    else if (major === 5) pending += arg * 2
    else if (major === 6) pending += 1
    if (pos > limit || pending > limit) return -1
  }
  return pos
}

/**
 * Decodes one event-stream frame: a DAG-CBOR header `{op, t}` followed by a DAG-CBOR body.
 * Error frames (`op: -1`) are returned typed; frames with an unknown `op` come back as such.
 * @throws {FrameError} for an empty, oversized or malformed frame (a hard error per the spec)
 * @throws {RangeError} for a bad limit
 * @example
 * const frame = decodeFrame(bytes)
 * if (frame.op === 1 && frame.t === '#commit') handle(frame.body)
 */
export function decodeFrame(bytes: Uint8Array, options: FrameDecodeOptions = {}): Frame {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeFrame: bytes must be a Uint8Array')
  const maxFrame = checkLimit(options.maxFrameSize, DEFAULT_MAX_FRAME_SIZE, 'maxFrameSize')
  const maxHeader = checkLimit(options.maxHeaderSize, DEFAULT_MAX_HEADER_SIZE, 'maxHeaderSize')
  if (bytes.length === 0) throw new FrameError('EMPTY_FRAME', 'frame has no bytes')
  if (bytes.length > maxFrame) {
    throw new FrameError(
      'FRAME_TOO_LARGE',
      `frame is larger than maxFrameSize; size=${bytes.length} max=${maxFrame}`,
    )
  }
  const headerEnd = firstItemEnd(bytes, Math.min(bytes.length, maxHeader))
  if (headerEnd < 0) {
    throw new FrameError('BAD_HEADER_CBOR', `header is not one CBOR item within maxHeaderSize=${maxHeader}`)
  }
  let header: LexValue
  try {
    header = decode(bytes.subarray(0, headerEnd), HEADER_DECODE)
  } catch (err) {
    const offset = err instanceof DagCborDecodeError ? err.offset : 0
    throw new FrameError('BAD_HEADER_CBOR', 'header is not valid DAG-CBOR', { offset, cause: err })
  }
  if (!isLexMap(header)) throw new FrameError('BAD_HEADER', 'header is not a map')
  const op = Object.hasOwn(header, 'op') ? header.op : undefined
  const t = Object.hasOwn(header, 't') ? header.t : undefined
  if (typeof op !== 'number') throw new FrameError('BAD_HEADER', 'header op is not an integer')
  if (t !== undefined && typeof t !== 'string') throw new FrameError('BAD_HEADER', 'header t is not a string')
  if (op === 1 && t === undefined) throw new FrameError('BAD_HEADER', 'message header has no t')
  if (headerEnd === bytes.length)
    throw new FrameError('MISSING_BODY', 'frame has a header but no body', { offset: headerEnd })
  let body: LexValue
  try {
    body = decode(bytes.subarray(headerEnd), { ...options.body, maxInputLength: maxFrame })
  } catch (err) {
    const offset = headerEnd + (err instanceof DagCborDecodeError ? err.offset : 0)
    throw new FrameError('BAD_BODY_CBOR', 'body is not valid DAG-CBOR', { offset, cause: err })
  }
  if (op === 1) {
    if (!isLexMap(body)) throw new FrameError('BAD_BODY', 'message body is not a map', { offset: headerEnd })
    return { op: 1, t: t as string, body }
  }
  if (op === -1) {
    if (!isLexMap(body)) throw new FrameError('BAD_BODY', 'error body is not a map', { offset: headerEnd })
    const error = Object.hasOwn(body, 'error') ? body.error : undefined
    const message = Object.hasOwn(body, 'message') ? body.message : undefined
    if (typeof error !== 'string')
      throw new FrameError('BAD_BODY', 'error frame has no error name', { offset: headerEnd })
    if (message !== undefined && typeof message !== 'string') {
      throw new FrameError('BAD_BODY', 'error frame message is not a string', { offset: headerEnd })
    }
    return { op: -1, body: { error, message } }
  }
  return { op, t, body }
}

/**
 * The bytes of a frame's body: what follows its `{op, t}` header, as {@link decodeFrame} reads it
 * (a view, not a copy). For handing a decoded event's own bytes on, e.g. to a worker thread.
 * @throws {FrameError} `BAD_HEADER_CBOR` when the header is not one CBOR item within `maxHeaderSize`
 * @example
 * const frame = decodeFrame(bytes)
 * const body = frameBody(bytes) // decode(body) is frame.body
 */
export function frameBody(bytes: Uint8Array, maxHeaderSize: number = DEFAULT_MAX_HEADER_SIZE): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('frameBody: bytes must be a Uint8Array')
  const max = checkLimit(maxHeaderSize, DEFAULT_MAX_HEADER_SIZE, 'maxHeaderSize')
  const end = firstItemEnd(bytes, Math.min(bytes.length, max))
  if (end < 0)
    throw new FrameError('BAD_HEADER_CBOR', `header is not one CBOR item within maxHeaderSize=${max}`)
  return bytes.subarray(end)
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

/**
 * Encodes a message frame `{op: 1, t}` + `body` (the server side of a stream, and tests).
 * @throws {TypeError} when `t` is not a string or `body` is not a map
 * @example const bytes = encodeMessageFrame('#identity', { seq: 1, did, time })
 */
export function encodeMessageFrame(t: string, body: LexMap): Uint8Array {
  if (typeof t !== 'string') throw new TypeError('encodeMessageFrame: t must be a string')
  if (!isLexMap(body)) throw new TypeError('encodeMessageFrame: body must be a map')
  return concat(encode({ op: 1, t }), encode(body))
}

/**
 * Encodes an error frame `{op: -1}` + `{error, message?}`.
 * @example const bytes = encodeErrorFrame('FutureCursor', 'cursor is ahead of the stream')
 */
export function encodeErrorFrame(error: string, message?: string): Uint8Array {
  if (typeof error !== 'string') throw new TypeError('encodeErrorFrame: error must be a string')
  const body: LexMap = message === undefined ? { error } : { error, message }
  return concat(encode({ op: -1 }), encode(body))
}

/** Encodes any {@link Frame} (inverse of {@link decodeFrame}). */
export function encodeFrame(frame: Frame): Uint8Array {
  if (frame.op === 1) return encodeMessageFrame((frame as MessageFrame).t, frame.body as LexMap)
  if (frame.op === -1) {
    const body = (frame as ErrorFrame).body
    return encodeErrorFrame(body.error, body.message)
  }
  const t = (frame as UnknownFrame).t
  const header: LexMap = t === undefined ? { op: frame.op } : { op: frame.op, t }
  return concat(encode(header), encode(frame.body))
}
