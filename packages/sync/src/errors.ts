/** Why a frame could not be decoded. Framing faults are hard errors: drop the connection. */
export type FrameErrorCode =
  | 'EMPTY_FRAME'
  | 'FRAME_TOO_LARGE'
  | 'BAD_HEADER_CBOR'
  | 'BAD_HEADER'
  | 'BAD_BODY_CBOR'
  | 'BAD_BODY'
  | 'MISSING_BODY'

/** Raised by {@link decodeFrame} for bytes that are not a valid `header || body` frame. */
export class FrameError extends Error {
  override name = 'FrameError'
  readonly code: FrameErrorCode
  /** Byte offset in the frame where the fault was found. */
  readonly offset: number
  constructor(code: FrameErrorCode, message: string, opts: { offset?: number; cause?: unknown } = {}) {
    super(`${message}; code=${code} offset=${opts.offset ?? 0}`, opts.cause ? { cause: opts.cause } : {})
    this.code = code
    this.offset = opts.offset ?? 0
  }
}

/** Raised by the stream clients for a failure they cannot recover from by reconnecting. */
export class StreamClosedError extends Error {
  override name = 'StreamClosedError'
  readonly code: 'STREAM_ERROR_FRAME' | 'STREAM_BAD_FRAME' | 'STREAM_STOPPED'
  /** The error name sent by the server in an error frame, if any. */
  readonly error: string | undefined
  constructor(
    code: 'STREAM_ERROR_FRAME' | 'STREAM_BAD_FRAME' | 'STREAM_STOPPED',
    message: string,
    opts: { error?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause ? { cause: opts.cause } : {})
    this.code = code
    this.error = opts.error
  }
}
