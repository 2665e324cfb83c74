import type { Cid } from '@rsky/dag-cbor'

/** A key that breaks the MST key rules (`collection/rkey`, at most 1024 chars, `[a-zA-Z0-9_~\-:.]`). */
export class InvalidMstKeyError extends Error {
  override name = 'InvalidMstKeyError'
  readonly code = 'MST_INVALID_KEY'
  readonly key: string
  readonly reason: string
  constructor(key: string, reason: string) {
    super(`invalid MST key: ${reason}; key=${JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}…` : key)}`)
    this.key = key
    this.reason = reason
  }
}

/** Blocks the tree needed are not in the block source. Carries every missing CID. */
export class MissingBlocksError extends Error {
  override name = 'MissingBlocksError'
  readonly code = 'MST_MISSING_BLOCKS'
  readonly cids: readonly Cid[]
  readonly context: string
  constructor(context: string, cids: readonly Cid[]) {
    super(`missing ${context} blocks; count=${cids.length} first=${cids[0]?.toString() ?? ''}`)
    this.cids = cids
    this.context = context
  }
}

/** An MST node block that is not a well-formed, canonical node, or breaks the tree's structure rules. */
export class InvalidMstNodeError extends Error {
  override name = 'InvalidMstNodeError'
  // `declare`d: set by the constructor (no class field declarations in a bundle).
  declare readonly code: string
  /** CID of the offending node when known. */
  declare readonly cid: Cid | undefined
  /** Byte offset inside the node block when the problem is an encoding one. */
  declare readonly offset: number | undefined
  constructor(
    code: string,
    message: string,
    opts: { cid?: Cid | undefined; offset?: number | undefined } = {},
  ) {
    super(
      `${message}; cid=${opts.cid ?? 'unknown'}${opts.offset === undefined ? '' : ` offset=${opts.offset}`}`,
    )
    this.code = code
    this.cid = opts.cid
    this.offset = opts.offset
  }
}

/** `add` of a key already present, or `update`/`delete` of an absent one. */
export class MstKeyConflictError extends Error {
  override name = 'MstKeyConflictError'
  readonly code: 'MST_KEY_EXISTS' | 'MST_KEY_NOT_FOUND'
  readonly key: string
  constructor(code: 'MST_KEY_EXISTS' | 'MST_KEY_NOT_FOUND', key: string) {
    super(`${code === 'MST_KEY_EXISTS' ? 'key already in tree' : 'key not in tree'}; key=${key}`)
    this.code = code
    this.key = key
  }
}
