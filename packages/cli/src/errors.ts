import { CarError } from '@rsky/car'
import { isCid } from '@rsky/dag-cbor'

/**
 * A mistake in how the command was called (exit code 2): a missing or malformed argument, or a
 * path argument that cannot be used (`io`: an input that cannot be read, an output that cannot be
 * written). The usage line follows the message unless `io` is set.
 */
export class UsageError extends Error {
  override name = 'UsageError'
  readonly code: 'USAGE' | 'IO' = 'USAGE'
  constructor(message: string, opts: { io?: boolean; cause?: unknown } = {}) {
    super(message, { cause: opts.cause })
    if (opts.io) this.code = 'IO'
  }
}

/** `repo get` found no record at the path (exit code 1). */
export class RecordNotFoundError extends Error {
  override name = 'RecordNotFoundError'
  readonly code = 'RECORD_NOT_FOUND'
  readonly path: string
  constructor(path: string) {
    super(`no record at ${path}`)
    this.path = path
  }
}

/** A failure while reading one of several input files (`repo diff`): names the file. */
export class InputFileError extends Error {
  override name = 'InputFileError'
  readonly file: string
  constructor(file: string, cause: unknown) {
    super(`${file}: ${describeError(cause)}`, { cause })
    this.file = file
  }
}

/**
 * A failure carrying what the command had learned before it (for `repo verify --json`: the DID,
 * rev and CIDs read from the commit). The exit code and the error line are those of `error`.
 */
export class ReportedFailure extends Error {
  override name = 'ReportedFailure'
  readonly error: unknown
  readonly report: Record<string, unknown>
  constructor(error: unknown, report: Record<string, unknown>) {
    super(error instanceof Error ? error.message : String(error), { cause: error })
    this.error = error
    this.report = report
  }
}

/**
 * Exit codes: 0 all well, 1 the input is invalid, 2 the command was called wrongly or a path or
 * service cannot be used.
 */
export const EXIT_OK = 0
export const EXIT_INVALID = 1
export const EXIT_USAGE = 2

/** A Node system error (ENOENT, ENOTDIR, EACCES, ...) from the file system. */
function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  if (!(err instanceof Error)) return false
  const e = err as NodeJS.ErrnoException
  return typeof e.syscall === 'string' && typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code)
}

const unwrap = (err: unknown): unknown => (err instanceof ReportedFailure ? err.error : err)

/** Codes of failures to reach a service (no answer, refused, timed out): exit 2 like unreadable files. */
const UNREACHABLE_CODES = new Set([
  'SERVICE_UNREACHABLE',
  'SERVICE_TIMEOUT',
  'NETWORK_ERROR',
  'RESOLUTION_TIMEOUT',
])

/** A service that could not be reached, as opposed to one that answered with bad data. */
function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return err instanceof Error && typeof code === 'string' && UNREACHABLE_CODES.has(code)
}

/**
 * The exit code of a failure: 2 for a usage error or a file that cannot be read or written
 * (a system error such as ENOTDIR or EACCES), 1 for everything else (invalid input data).
 */
export function exitCodeOf(err: unknown): number {
  let e = unwrap(err)
  if (e instanceof InputFileError) e = e.cause
  return e instanceof UsageError || isSystemError(e) || isUnreachable(e) ? EXIT_USAGE : EXIT_INVALID
}

/**
 * One line naming the problem, never a stack trace. Errors from the @rsky/* packages carry a
 * stable `code`, shown first so scripts can match on it.
 */
export function describeError(err: unknown): string {
  const e = unwrap(err)
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code
    const msg = e.message.split('\n')[0] ?? ''
    if (e instanceof UsageError || e instanceof InputFileError) return msg
    return typeof code === 'string' && code && !msg.includes(code) ? `${code}: ${msg}` : msg
  }
  return String(e)
}

/** The machine-readable description of a failure, `failure` in every `--json` error document. */
export interface FailureInfo {
  /** `usage` (exit 2), `io` (a path argument that cannot be read or written, exit 2) or `invalid` (exit 1). */
  kind: 'usage' | 'io' | 'invalid'
  /** The error's stable code (`CAR_HASH_MISMATCH`, `BAD_SIGNATURE`, `ENOTDIR`, `USAGE`, ...), or null. */
  code: string | null
  /** The error class (`CarBlockHashMismatchError`, `InvalidSignatureError`, ...). */
  name: string
  /** Its message, one line. */
  message: string
  /** The file involved: the input it came from when a command reads several (`repo diff`), or the path of a file-system error. */
  file: string | null
  /** The block involved (a mismatching block, a missing node or record, a bad node), or null. */
  cid: string | null
  /** The record path (`collection/rkey`) involved, or null. */
  path: string | null
  /** The byte offset in the CAR file, for damaged CAR data, or null. */
  offset: number | null
  /** The underlying error, when the error wraps one (e.g. the tree error behind BAD_TREE). */
  cause: { name: string; code: string | null; message: string } | null
}

const firstLine = (s: string): string => s.split('\n')[0] ?? ''
const codeOf = (e: unknown): string | null => {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' && code !== '' ? code : null
}

/** Where a failure happened and what it was, read from the error and the errors it wraps. */
export function describeFailure(err: unknown): FailureInfo {
  let e = unwrap(err)
  let file: string | null = null
  if (e instanceof InputFileError) {
    file = e.file
    e = e.cause
  }
  const kind: FailureInfo['kind'] =
    e instanceof UsageError
      ? e.code === 'IO'
        ? 'io'
        : 'usage'
      : isSystemError(e) || isUnreachable(e)
        ? 'io'
        : 'invalid'
  const info: FailureInfo = {
    kind,
    code: codeOf(e),
    name: e instanceof Error ? e.name : 'Error',
    message: e instanceof Error ? firstLine(e.message) : String(e),
    file,
    cid: null,
    path: null,
    offset: null,
    cause: null,
  }
  // The error and up to three causes: the first CID, record path and CAR offset found.
  let cur: unknown = e
  for (let depth = 0; depth < 4 && cur instanceof Error; depth++) {
    const fields = cur as unknown as Record<string, unknown>
    if (info.cid === null) {
      if (isCid(fields['cid'])) info.cid = String(fields['cid'])
      else if (Array.isArray(fields['cids']) && isCid(fields['cids'][0])) info.cid = String(fields['cids'][0])
    }
    if (info.path === null) {
      if (typeof fields['path'] === 'string' && !isSystemError(cur)) info.path = fields['path']
      else if (typeof fields['key'] === 'string' && fields['key'].includes('/')) info.path = fields['key']
      else if (typeof fields['what'] === 'string' && fields['what'].startsWith('record ')) {
        info.path = fields['what'].slice('record '.length)
      }
    }
    if (info.offset === null && cur instanceof CarError) info.offset = cur.offset
    if (info.file === null && isSystemError(cur) && typeof cur.path === 'string') info.file = cur.path
    else if (info.file === null && depth === 0 && typeof fields['file'] === 'string')
      info.file = fields['file']
    if (depth === 1) info.cause = { name: cur.name, code: codeOf(cur), message: firstLine(cur.message) }
    cur = cur.cause
  }
  return info
}
