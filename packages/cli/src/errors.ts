/** A mistake in how the command was called: exit code 2, with the usage line. */
export class UsageError extends Error {
  override name = 'UsageError'
  readonly code = 'USAGE'
}

/** Exit codes: 0 all well, 1 the input is invalid, 2 the command was called wrongly. */
export const EXIT_OK = 0
export const EXIT_INVALID = 1
export const EXIT_USAGE = 2

/**
 * One line naming the problem, never a stack trace. Errors from the @rsky/* packages carry a
 * stable `code`, shown first so scripts can match on it.
 */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    const msg = err.message.split('\n')[0] ?? ''
    return typeof code === 'string' && code && !msg.includes(code) ? `${code}: ${msg}` : msg
  }
  return String(err)
}
