// Checking the root block of a repository CAR as a commit. The signature check is passed in, so
// that reading records without a key never reaches the elliptic-curve code: verify.ts passes
// `verifyCommitSignature`, the light `@rsky/repo/read` entry passes what its caller gave.
import type { Cid } from '@rsky/dag-cbor'
import { decodeCommit } from './commit-parse.ts'
import type { VersionedCommit } from './commit-types.ts'
import { DidMismatchError, InvalidCarRootError, InvalidCommitError, InvalidSignatureError } from './errors.ts'

/** Whether `commit.sig` verifies with the did:key `didKey` (e.g. `verifyCommitSignature` of `@rsky/repo`). */
export type CommitSignatureCheck = (commit: VersionedCommit, didKey: string) => boolean

/** What the caller already knows about the commit. @internal */
export interface CommitExpectations {
  did?: string
  key?: string
}

/**
 * Decodes the root block as a commit and checks DID and, when `opts.key` is given, the signature
 * with `verify`. @internal
 * @throws InvalidCarRootError, DidMismatchError, InvalidSignatureError; TypeError when a key is
 *   given without a way to check it
 */
export function checkCommitWith(
  root: Cid,
  bytes: Uint8Array | undefined,
  opts: CommitExpectations,
  verify: CommitSignatureCheck | undefined,
): { commit: VersionedCommit; signature: 'valid' | 'unchecked' } {
  if (opts.key !== undefined && verify === undefined) {
    throw new TypeError('a key needs verifyCommitSignature')
  }
  if (!bytes) throw new InvalidCarRootError('root block missing', { cid: root })
  let commit: VersionedCommit
  try {
    commit = decodeCommit(bytes, root)
  } catch (err) {
    if (!(err instanceof InvalidCommitError)) throw err
    throw new InvalidCarRootError(`root is not a commit (${err.message})`, { cause: err })
  }
  if (opts.did !== undefined && commit.did !== opts.did) throw new DidMismatchError(opts.did, commit.did)
  const key = opts.key
  // verify is defined whenever key is (checked first)
  if (key !== undefined && !(verify as CommitSignatureCheck)(commit, key))
    throw new InvalidSignatureError(key, { cid: root })
  return { commit, signature: key === undefined ? 'unchecked' : 'valid' }
}
