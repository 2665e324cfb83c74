/** Why the mirror refused or gave up on something. Stable: callers branch on it, never on messages. */
export type MirrorErrorCode =
  | 'BAD_DATABASE'
  | 'HOST_UNREACHABLE'
  | 'FETCH_FAILED'
  | 'FETCH_TOO_LARGE'
  | 'FETCH_TIMEOUT'
  | 'BAD_REPO'
  | 'REPO_DID_MISMATCH'
  | 'BAD_SIGNATURE'
  | 'KEY_UNAVAILABLE'
  | 'STALE_REPO'
  | 'BAD_EVENT'
  /** the host does not implement the listing a scope needs (`listReposByCollection`) */
  | 'SCOPE_UNSUPPORTED'
  /** a write of a leased partition whose lease this engine no longer holds (nothing was written) */
  | 'LEASE_LOST'
  /** leases asked of a store that has none (SQLite: one engine per file) */
  | 'LEASE_UNSUPPORTED'

/** An error of @rsky/mirror: `code` is stable, `did` names the repository when there is one. */
export class MirrorError extends Error {
  override readonly name = 'MirrorError'
  readonly code: MirrorErrorCode
  readonly did: string | undefined
  constructor(code: MirrorErrorCode, message: string, opts: { did?: string; cause?: unknown } = {}) {
    super(opts.did === undefined ? message : `${message}; did=${opts.did}`, { cause: opts.cause })
    this.code = code
    this.did = opts.did
  }
}
