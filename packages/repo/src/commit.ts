import { type Keypair, verifySignature } from '@rsky/crypto'
import { type Cid, cidForCbor, decode, encode, isCid, type LexValue } from '@rsky/dag-cbor'
import { isValidDid, isValidTid } from '@rsky/syntax'
import { InvalidCommitError } from './errors.ts'

/** A v3 commit before signing: what the signature covers. */
export interface UnsignedCommit {
  did: string
  version: 3
  /** Root of the MST holding the records. */
  data: Cid
  /** TID of this revision; strictly increasing per repository. */
  rev: string
  /** Previous commit; v3 repos leave it null. */
  prev: Cid | null
}

/** A signed v3 commit: the root block of a repository. */
export interface Commit extends UnsignedCommit {
  /** 64-byte compact low-S signature over the DAG-CBOR of the unsigned commit. */
  sig: Uint8Array
}

/** A v2 commit, still found in old repositories: `rev` may be absent. Read only. */
export interface LegacyV2Commit {
  did: string
  version: 2
  data: Cid
  rev?: string
  prev: Cid | null
  sig: Uint8Array
}

export type VersionedCommit = Commit | LegacyV2Commit

/** DAG-CBOR bytes of the unsigned part of a commit: what is signed. */
export function encodeUnsignedCommit(commit: UnsignedCommit | VersionedCommit): Uint8Array {
  const { sig: _sig, ...rest } = commit as UnsignedCommit & { sig?: Uint8Array }
  return encode(rest as unknown as LexValue)
}

/** DAG-CBOR bytes of a signed commit, and its CID. */
export function encodeCommit(commit: VersionedCommit): { bytes: Uint8Array; cid: Cid } {
  const bytes = encode(commit as unknown as LexValue)
  return { bytes, cid: cidForCbor(bytes) }
}

/**
 * Signs a commit with either curve.
 * @example const commit = await signCommit({ did, version: 3, data, rev: Tid.nextStr(), prev: null }, keypair)
 */
export async function signCommit(unsigned: UnsignedCommit, keypair: Keypair): Promise<Commit> {
  const sig = await keypair.sign(encodeUnsignedCommit(unsigned))
  return { ...unsigned, sig }
}

/**
 * Whether `commit.sig` verifies with `didKey` over the unsigned commit. The data is hashed once
 * inside verifySignature, the same way on secp256k1 and P-256 (rsky double-hashes P-256 here).
 */
export function verifyCommitSignature(commit: VersionedCommit, didKey: string): boolean {
  return verifySignature(didKey, encodeUnsignedCommit(commit), commit.sig)
}

function field(obj: Record<string, LexValue>, key: string): LexValue | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined
}

/**
 * Checks a decoded block is a v2 or v3 commit and returns it typed.
 * @throws InvalidCommitError naming the field that is wrong
 */
export function parseCommit(value: LexValue, cid?: Cid): VersionedCommit {
  const opts = cid ? { cid } : {}
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    value instanceof Uint8Array ||
    isCid(value)
  ) {
    throw new InvalidCommitError('not a map', opts)
  }
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
