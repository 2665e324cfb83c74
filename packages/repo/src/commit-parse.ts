// Decoding and checking a commit block: what reading a repository needs, without the signature
// code (kept in commit.ts so that a read-only bundle does not carry elliptic-curve arithmetic).
import { type Cid, decode, isCid, isLexMap, type LexValue } from '@rsky/dag-cbor'
import { isValidDid, isValidTid } from '@rsky/syntax'
import type { Commit, LegacyV2Commit, VersionedCommit } from './commit-types.ts'
import { InvalidCommitError } from './errors.ts'

function field(obj: Record<string, LexValue>, key: string): LexValue | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined
}

/**
 * Checks a decoded block is a v2 or v3 commit and returns it typed.
 * @throws InvalidCommitError naming the field that is wrong
 */
export function parseCommit(value: LexValue, cid?: Cid): VersionedCommit {
  const opts = cid ? { cid } : {}
  if (!isLexMap(value)) throw new InvalidCommitError('not a map', opts)
  const obj = value as Record<string, LexValue>
  const did = field(obj, 'did')
  const version = field(obj, 'version')
  const data = field(obj, 'data')
  const rev = field(obj, 'rev')
  const prev = field(obj, 'prev')
  const sig = field(obj, 'sig')
  if (typeof did !== 'string' || !isValidDid(did))
    throw new InvalidCommitError('did is not a valid DID', opts)
  if (version !== 3 && version !== 2)
    throw new InvalidCommitError(`unsupported version ${String(version)}`, opts)
  if (!isCid(data)) throw new InvalidCommitError('data is not a CID link', opts)
  if (!(sig instanceof Uint8Array)) throw new InvalidCommitError('sig is not bytes', opts)
  if (prev !== null && prev !== undefined && !isCid(prev))
    throw new InvalidCommitError('prev is not a CID link or null', opts)
  if (version === 3) {
    if (typeof rev !== 'string' || !isValidTid(rev))
      throw new InvalidCommitError('rev is not a valid TID', opts)
    if (prev === undefined)
      throw new InvalidCommitError('prev is missing (v3 commits carry prev: null)', opts)
    return { ...(obj as object), did, version, data, rev, prev, sig } as Commit
  }
  if (rev !== undefined && (typeof rev !== 'string' || !isValidTid(rev))) {
    throw new InvalidCommitError('rev is not a valid TID', opts)
  }
  return {
    ...(obj as object),
    did,
    version,
    data,
    prev: prev ?? null,
    sig,
    ...(rev ? { rev } : {}),
  } as LegacyV2Commit
}

/** Decodes and checks a commit block. @throws InvalidCommitError, DagCborDecodeError */
export function decodeCommit(bytes: Uint8Array, cid?: Cid): VersionedCommit {
  let value: LexValue
  try {
    value = decode(bytes)
  } catch (err) {
    throw new InvalidCommitError('block is not valid DAG-CBOR', { ...(cid ? { cid } : {}), cause: err })
  }
  return parseCommit(value, cid)
}
