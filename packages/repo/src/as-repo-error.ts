import { InvalidMstKeyError, InvalidMstNodeError, MissingBlocksError } from '@rsky/mst'
import { MissingBlockError, RepoError } from './errors.ts'

/** The repository error for a tree error: RepoError BAD_TREE, with the tree's error as its cause. */
export function badTreeError(err: Error): RepoError {
  return new RepoError('BAD_TREE', `invalid record tree: ${err.message}`, { cause: err })
}

/** Maps the tree's own errors onto repository errors, so callers handle one family. */
export function asRepoError(err: unknown): unknown {
  if (err instanceof MissingBlocksError) return new MissingBlockError(err.cids[0]!, 'MST node')
  if (err instanceof InvalidMstNodeError || err instanceof InvalidMstKeyError) return badTreeError(err)
  return err
}
