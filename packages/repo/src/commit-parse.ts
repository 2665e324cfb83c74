// Decoding and checking a commit block: what reading a repository needs, without the signature
// code (kept in commit.ts so that a read-only bundle does not carry elliptic-curve arithmetic).
import { type Cid, decodeBlock, isCid, isLexMap, type LexValue } from '@rsky/dag-cbor'
import { isValidDid, isValidTid } from '@rsky/syntax'
import type { VersionedCommit } from './commit-types.ts'
import { InvalidCommitError } from './errors.ts'

/**
 * Checks a decoded block is a v2 or v3 commit and returns it typed.
 * @throws InvalidCommitError naming the field that is wrong
 */
export function parseCommit(value: LexValue, cid?: Cid): VersionedCommit {
  const bad = (message: string): never => {
    throw new InvalidCommitError(message, { cid })
  }
  if (!isLexMap(value)) bad('not a map')
  const obj = value as Record<string, LexValue>
  // Own fields only: a name the prototype has is not a field of the commit.
  const field = (key: string): LexValue | undefined => (Object.hasOwn(obj, key) ? obj[key] : undefined)
  const did = field('did')
  const version = field('version')
  const rev = field('rev')
  const prev = field('prev')
  if (!isValidDid(did as string)) bad('bad did') // false for a non-string too
  if (version !== 3 && version !== 2) bad('bad version')
  if (!isCid(field('data'))) bad('bad data')
  if (!(field('sig') instanceof Uint8Array)) bad('bad sig')
  if (prev !== null && prev !== undefined && !isCid(prev)) bad('bad prev')
  // v3 carries a rev; v2 may.
  if ((version === 3 || rev !== undefined) && !isValidTid(rev as string)) bad('bad rev')
  if (version === 3 && prev === undefined) bad('no prev')
  // The checked fields are the object's own, so a copy holds them; a v2 commit's absent prev is null.
  return { ...obj, prev: prev ?? null } as unknown as VersionedCommit
}

/** Decodes and checks a commit block. @throws InvalidCommitError, DagCborDecodeError */
export function decodeCommit(bytes: Uint8Array, cid?: Cid): VersionedCommit {
  let value: LexValue
  try {
    value = decodeBlock(bytes)
  } catch (err) {
    throw new InvalidCommitError('not DAG-CBOR', { cid, cause: err })
  }
  return parseCommit(value, cid)
}
