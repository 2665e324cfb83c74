import { BlockMap, CidSet } from '@rsky/car'
import type { Keypair } from '@rsky/crypto'
import { type Cid, decode, encodeWithCid, isCid, type LexValue } from '@rsky/dag-cbor'
import { getCoveringProof, getInversionProof, MST, mstDiff, type RecordOp } from '@rsky/mst'
import { ensureValidNsid, ensureValidRecordKey, ensureValidTid, Tid } from '@rsky/syntax'
import { type Commit, decodeCommit, encodeCommit, signCommit, type VersionedCommit } from './commit.ts'
import { InvalidCommitError, InvalidRecordError, MissingBlockError } from './errors.ts'
import { addRemovedRecordBlocks } from './shared-blocks.ts'
import type { RepoStorage } from './storage.ts'

/** One write to apply; records are data-model values (CIDs as Cid, bytes as Uint8Array). */
export type RecordWrite =
  | { action: 'create'; collection: string; rkey: string; record: LexValue }
  | { action: 'update'; collection: string; rkey: string; record: LexValue }
  | { action: 'delete'; collection: string; rkey: string }

/** A record operation of a commit, as the firehose carries it: `prev` is the CID it replaced. */
export interface CommitOp {
  action: 'create' | 'update' | 'delete'
  /** `collection/rkey`. */
  path: string
  cid: Cid | null
  prev: Cid | null
}

/** Everything a commit changes, and everything a firehose `#commit` event needs. */
export interface CommitData {
  /** CID of the new commit block. */
  cid: Cid
  commit: Commit
  rev: string
  /** Revision of the commit this one follows (null for the first). */
  since: string | null
  /** MST root before this commit (null for the first). */
  prevData: Cid | null
  /** Blocks new in this commit: records, MST nodes, the commit itself. */
  newBlocks: BlockMap
  /** Blocks a reader needs to check the ops: covering and inversion proofs of the new tree, plus the commit. */
  relevantBlocks: BlockMap
  /** Blocks no longer referenced: old MST nodes and replaced record blocks. */
  removedCids: CidSet
  /** Record operations in key order. */
  ops: CommitOp[]
}

/** A record as stored: its path parts, CID and decoded value. */
export interface RepoRecord {
  collection: string
  rkey: string
  cid: Cid
  value: LexValue
}

function dataKey(collection: string, rkey: string): string {
  return `${collection}/${rkey}`
}

function splitKey(key: string): { collection: string; rkey: string } {
  const slash = key.indexOf('/')
  return { collection: key.slice(0, slash), rkey: key.slice(slash + 1) }
}

function isRecordMap(value: LexValue): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    !isCid(value)
  )
}

/**
 * A signed repository over a RepoStorage. Values are immutable: applying writes returns a new Repo.
 * @example
 * const storage = new MemoryRepoStorage()
 * let repo = await Repo.create({ storage, did, keypair })
 * repo = await repo.applyWrites([{ action: 'create', collection: 'app.bsky.feed.post', rkey, record }], keypair)
 */
export class Repo {
  readonly storage: RepoStorage
  readonly cid: Cid
  /** The head commit: v3, or v2 for an old repository (readable; writes refuse it). */
  readonly commit: VersionedCommit
  readonly data: MST

  private constructor(storage: RepoStorage, cid: Cid, commit: VersionedCommit, data: MST) {
    this.storage = storage
    this.cid = cid
    this.commit = commit
    this.data = data
  }

  get did(): string {
    return this.commit.did
  }

  /** Revision of the head commit; empty for a v2 commit that has none. */
  get rev(): string {
    return this.commit.rev ?? ''
  }

  /**
   * Formats the first commit of a repository (empty, or with `writes`) without storing it.
   * Only creates are allowed.
   */
  static async formatInitCommit(opts: {
    storage: RepoStorage
    did: string
    keypair: Keypair
    writes?: RecordWrite[]
    rev?: string
  }): Promise<CommitData> {
    return formatCommitFrom({ ...opts, prev: null, writes: opts.writes ?? [] })
  }

  /** Creates, signs and stores a new repository. */
  static async create(opts: {
    storage: RepoStorage
    did: string
    keypair: Keypair
    writes?: RecordWrite[]
    rev?: string
  }): Promise<Repo> {
    const commit = await Repo.formatInitCommit(opts)
    await opts.storage.applyCommit(commit)
    return Repo.load(opts.storage, commit.cid)
  }

  /**
   * Loads the repository whose commit is `cid` (default: the storage root). A v2 repository
   * loads for reading (records, lists, walks, export); formatting a commit on it throws.
   * @throws MissingBlockError, InvalidCommitError
   */
  static async load(storage: RepoStorage, cid?: Cid): Promise<Repo> {
    const root = cid ?? (await storage.getRoot())
    if (!root) throw new InvalidCommitError('storage has no root commit')
    const bytes = await storage.getBytes(root)
    if (!bytes) throw new MissingBlockError(root, 'commit')
    const commit = decodeCommit(bytes, root)
    return new Repo(storage, root, commit, MST.load(storage, commit.data))
  }

  /**
   * Formats (signs, but does not store) a commit applying `writes` to this repository. An
   * explicit `rev` must be a TID later than the current one.
   * @throws InvalidTidError (@rsky/syntax) for a malformed `rev`; RangeError when it is not later
   * than the current one; InvalidCommitError on a v2 repository
   */
  async formatCommit(
    writes: RecordWrite[],
    keypair: Keypair,
    opts: { rev?: string } = {},
  ): Promise<CommitData> {
    return formatCommitFrom({
      storage: this.storage,
      did: this.did,
      keypair,
      writes,
      prev: { cid: this.cid, commit: this.commit, data: this.data },
      ...opts,
    })
  }

  /**
   * Formats (signs, but does not store) a commit of the same tree with a new key and revision, as
   * after a signing-key rotation. It changes no record: `ops` is empty and only the commit block
   * is new.
   * @throws InvalidTidError (@rsky/syntax) for a malformed `rev`; RangeError when it is not later than the current one; InvalidCommitError on a v2 repository
   * @example const commit = await repo.formatResignCommit(Tid.nextStr(repo.rev), newKeypair)
   */
  async formatResignCommit(rev: string, keypair: Keypair): Promise<CommitData> {
    refuseV2(this.commit, this.cid)
    ensureValidTid(rev)
    if (rev <= this.rev)
      throw new RangeError(`a resigned commit needs a later rev; rev=${rev} current=${this.rev}`)
    const commit = await signCommit(
      { did: this.did, version: 3, data: this.commit.data, rev, prev: null },
      keypair,
    )
    const encoded = encodeCommit(commit)
    const newBlocks = new BlockMap([[encoded.cid, encoded.bytes]])
    return {
      cid: encoded.cid,
      commit,
      rev,
      since: this.rev,
      prevData: this.commit.data,
      newBlocks,
      relevantBlocks: new BlockMap(newBlocks),
      removedCids: new CidSet([this.cid]),
      ops: [],
    }
  }

  /** Signs the current tree again with `keypair` at revision `rev`, stores it, and returns the repository at it. */
  async resignCommit(rev: string, keypair: Keypair): Promise<Repo> {
    return this.applyCommit(await this.formatResignCommit(rev, keypair))
  }

  /**
   * Stores a formatted commit and returns the repository at it.
   * @throws InvalidTidError (@rsky/syntax) when `commit.rev` is not a TID: nothing is stored, so
   * the storage never points at a head `Repo.load` can not read
   */
  async applyCommit(commit: CommitData): Promise<Repo> {
    ensureValidTid(commit.rev)
    await this.storage.applyCommit(commit)
    return Repo.load(this.storage, commit.cid)
  }

  /** Formats, stores and returns the repository after `writes`. */
  async applyWrites(writes: RecordWrite[], keypair: Keypair): Promise<Repo> {
    return this.applyCommit(await this.formatCommit(writes, keypair))
  }

  /** CID of a record, or null. */
  async getRecordCid(collection: string, rkey: string): Promise<Cid | null> {
    return this.data.get(dataKey(collection, rkey))
  }

  /**
   * A record's decoded value, or null when absent.
   * @throws MissingBlockError when the tree names a block the store lacks; InvalidRecordError
   */
  async getRecord(collection: string, rkey: string): Promise<LexValue | null> {
    const cid = await this.getRecordCid(collection, rkey)
    if (!cid) return null
    return readRecord(this.storage, dataKey(collection, rkey), cid)
  }

  /** Records of one collection in rkey order, a page at a time. */
  async listCollection(
    collection: string,
    opts: { after?: string; limit?: number } = {},
  ): Promise<RepoRecord[]> {
    ensureValidNsid(collection)
    const prefix = `${collection}/`
    const leaves = await this.data.list({
      after: opts.after === undefined ? prefix : dataKey(collection, opts.after),
      before: `${collection}0`, // '0' follows '/' in ASCII: the end of this collection
      ...(opts.limit === undefined ? {} : { limit: opts.limit }),
    })
    const out: RepoRecord[] = []
    for (const leaf of leaves) {
      const { rkey } = splitKey(leaf.key)
      out.push({
        collection,
        rkey,
        cid: leaf.value,
        value: await readRecord(this.storage, leaf.key, leaf.value),
      })
    }
    return out
  }

  /** Every record in key order (collection, then rkey). */
  async *walkRecords(): AsyncGenerator<RepoRecord, void, undefined> {
    for await (const leaf of this.data.walkLeaves()) {
      const { collection, rkey } = splitKey(leaf.key)
      yield { collection, rkey, cid: leaf.value, value: await readRecord(this.storage, leaf.key, leaf.value) }
    }
  }
}

async function readRecord(storage: RepoStorage, path: string, cid: Cid): Promise<LexValue> {
  const bytes = await storage.getBytes(cid)
  if (!bytes) throw new MissingBlockError(cid, 'record')
  let value: LexValue
  try {
    value = decode(bytes)
  } catch (err) {
    throw new InvalidRecordError(path, 'not DAG-CBOR', { cid, cause: err })
  }
  if (!isRecordMap(value)) throw new InvalidRecordError(path, 'not a map', { cid })
  return value
}

/** Writes go on v3 commits only; a v2 repository is read-only here. */
function refuseV2(commit: VersionedCommit, cid: Cid): void {
  if (commit.version !== 3) throw new InvalidCommitError('cannot write to a v2 repository', { cid })
}

/**
 * The revision of a new commit: `rev` when given (a TID later than `prevRev`), else the next TID.
 * Checked before anything is signed, so a bad revision never reaches storage.
 */
function nextRev(rev: string | undefined, prevRev: string | undefined): string {
  if (rev === undefined) return Tid.nextStr(prevRev)
  ensureValidTid(rev)
  if (prevRev !== undefined && rev <= prevRev)
    throw new RangeError(`a commit needs a later rev; rev=${rev} current=${prevRev}`)
  return rev
}

async function formatCommitFrom(opts: {
  storage: RepoStorage
  did: string
  keypair: Keypair
  writes: RecordWrite[]
  prev: { cid: Cid; commit: VersionedCommit; data: MST } | null
  rev?: string
}): Promise<CommitData> {
  const { storage, did, keypair, writes, prev } = opts
  if (prev) refuseV2(prev.commit, prev.cid)
  const prevRev = prev?.commit.rev
  const rev = nextRev(opts.rev, prevRev)
  const before = prev ? prev.data : MST.create(storage)
  let tree = before
  const newBlocks = new BlockMap()
  const touched = new Set<string>()
  for (const write of writes) {
    ensureValidNsid(write.collection)
    ensureValidRecordKey(write.rkey)
    const key = dataKey(write.collection, write.rkey)
    if (touched.has(key)) throw new RangeError(`two writes to one record in a commit; path=${key}`)
    touched.add(key)
    if (write.action === 'delete') {
      tree = await tree.delete(key)
    } else {
      if (!isRecordMap(write.record)) throw new InvalidRecordError(key, 'a record must be a map')
      const { cid, bytes } = encodeWithCid(write.record)
      newBlocks.set(cid, bytes)
      tree = write.action === 'create' ? await tree.add(key, cid) : await tree.update(key, cid)
    }
  }

  const diff = await mstDiff(prev ? before : null, tree)
  newBlocks.addMap(diff.newBlocks)
  const removedCids = new CidSet(diff.deletedNodes)
  // A record block still used by another key, or written again, must stay.
  await addRemovedRecordBlocks(removedCids, diff.ops, tree)

  const dataCid = await tree.getPointer()
  const commit = await signCommit({ did, version: 3, data: dataCid, rev, prev: null }, keypair)
  const encoded = encodeCommit(commit)
  newBlocks.set(encoded.cid, encoded.bytes)
  // The previous commit block is no longer the head: a store may drop it (as @atproto/repo does).
  if (prev && !prev.cid.equals(encoded.cid)) removedCids.add(prev.cid)

  const ops: CommitOp[] = diff.ops.map((op: RecordOp) => ({
    action: op.action,
    path: op.key,
    cid: op.cid,
    prev: op.prev,
  }))
  const relevantBlocks = new BlockMap()
  if (ops.length > 0) {
    relevantBlocks.addMap(
      await getCoveringProof(
        tree,
        ops.map((o) => o.path),
      ),
    )
    relevantBlocks.addMap(await getInversionProof(tree, diff.ops))
  }
  relevantBlocks.set(encoded.cid, encoded.bytes)
  for (const op of ops) {
    if (op.cid) {
      const bytes = newBlocks.get(op.cid)
      if (bytes) relevantBlocks.set(op.cid, bytes)
    }
  }
  return {
    cid: encoded.cid,
    commit,
    rev,
    since: prevRev ?? null,
    prevData: prev ? prev.commit.data : null,
    newBlocks,
    relevantBlocks,
    removedCids,
    ops,
  }
}
