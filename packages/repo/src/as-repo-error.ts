import { InvalidMstKeyError, InvalidMstNodeError, MissingBlocksError } from '@rsky/mst'
import { MissingBlockError, RepoError } from './errors.ts'

/** Maps the tree's own errors onto repository errors, so callers handle one family. */
export function asRepoError(err: unknown): unknown {
  if (err instanceof MissingBlocksError) return new MissingBlockError(err.cids[0]!, 'MST node')
  if (err instanceof InvalidMstNodeError || err instanceof InvalidMstKeyError) {
    return new RepoError('BAD_TREE', `invalid record tree: ${err.message}`, { cause: err })
  }
  return err
}
