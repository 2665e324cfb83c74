import { type BlockMap, CarError, type CarReadOptions, readCarWithRoot } from '@rsky/car'
import { type Cid, decode, type LexValue } from '@rsky/dag-cbor'
import { MemoryBlockstore, MST, type RecordOp, verifyOpsByInversion } from '@rsky/mst'
import { type Commit, decodeCommit, encodeUnsignedCommit, InvalidCommitError } from '@rsky/repo'
import { Tid } from '@rsky/syntax'
import type { CommitEvent, SyncEvent } from './events.ts'
import type { SignatureVerifier } from './keys.ts'
import type { RepoState } from './repo-state.ts'

/**
 * Why a `#commit` or `#sync` event was not accepted. `CHAIN_BREAK` is an authentic event that
 * does not follow the stored state: the repository needs a resync.
 */
export type AuthRejectCode =
  | 'BAD_REV'
  | 'BAD_CAR'
  | 'COMMIT_CID_MISMATCH'
  | 'BAD_COMMIT'
  | 'DID_MISMATCH'
  | 'REV_MISMATCH'
  | 'KEY_UNAVAILABLE'
  | 'BAD_SIGNATURE'
  | 'STALE_REV'
  | 'FUTURE_REV'
  | 'BAD_OP'
  | 'MISSING_PREV_DATA'
  | 'MISSING_BLOCK'
  | 'BROKEN_PROOF'
  | 'CHAIN_BREAK'

/** A rejected event: the reason, a message naming what and where, and whether to resync. */
export interface AuthRejection {
  success: false
  code: AuthRejectCode
  message: string
  /** True when the repository must be fetched again (chain break). */
  resync: boolean
  /**
   * For `CHAIN_BREAK` only: what the signature covers (DID, rev, commit CID, tree root). The
   * event's ops, `prevData` and `since` are left out: they follow no trusted state, so nothing
   * proves them.
   */
  verified?: SignedCommitHead
}

/** The signed part of a commit: what its signature alone proves. */
export interface SignedCommitHead {
  seq: number
  did: string
  rev: string
  /** CID of the signed commit block. */
  commit: Cid
  /** MST root the commit signs. */
  data: Cid
}

/** One record operation whose CIDs the signed tree confirmed. */
export interface VerifiedOp {
  action: 'create' | 'update' | 'delete'
  path: string
  collection: string
  rkey: string
  cid: Cid | null
  prev: Cid | null
  /** The record block (creates and updates). */
  record: Uint8Array | null
  /**
   * The record decoded from `record` (DAG-CBOR data model: CIDs as `Cid`, bytes as `Uint8Array`),
   * decoded on first read; null for deletes and missing blocks.
   * @throws DagCborDecodeError (@rsky/dag-cbor) when the block is not valid DAG-CBOR
   */
  readonly value: LexValue | null
}

/**
 * A verified op whose `value` is decoded on first read. The getter sits on the prototype, so it is
 * not an own property: copies (`{ ...op }`, JSON) and comparisons skip it, and no property has to
 * be defined on each op (which cost about 1 µs an op).
 */
class LazyValueOp implements VerifiedOp {
  action: VerifiedOp['action']
  path: string
  collection: string
  rkey: string
  cid: Cid | null
  prev: Cid | null
  record: Uint8Array | null
  #decoded: LexValue | null | undefined

  constructor(op: Omit<VerifiedOp, 'value'>) {
    this.action = op.action
    this.path = op.path
    this.collection = op.collection
    this.rkey = op.rkey
    this.cid = op.cid
    this.prev = op.prev
    this.record = op.record
  }

  get value(): LexValue | null {
    if (this.#decoded === undefined) this.#decoded = this.record === null ? null : decode(this.record)
    return this.#decoded
  }
}

/** The op with its lazily decoded `value` (not an own property: copies and comparisons skip it). */
export function withRecordValue(op: Omit<VerifiedOp, 'value'>): VerifiedOp {
  return new LazyValueOp(op)
}

/** A `#commit` that passed every check. */
export interface VerifiedCommit {
  seq: number
  did: string
  rev: string
  since: string | null
  time: string
  /** CID of the signed commit block. */
  commit: Cid
  /** MST root after the commit. */
  data: Cid
  /** MST root before it (checked by inversion). */
  prevData: Cid
  ops: VerifiedOp[]
  blocks: BlockMap
  /**
   * True only with `lenient`: the commit had no `prevData` (or `since: null` after other commits),
   * so its ops and its place in the chain were accepted on the signature alone. `prevData` is then
   * the root assumed, not checked.
   */
  unproven?: boolean
}

/** Outcome of {@link authenticateCommit}. */
export type CommitAuthResult = { success: true; value: VerifiedCommit } | AuthRejection

/** Inputs of {@link authenticateCommit} and {@link authenticateSync} beyond the event. */
export interface AuthenticateOptions {
  /** Signature check against the account's key (e.g. an @rsky/identity `IdResolver`). */
  keys: SignatureVerifier
  /** The last verified state of this repository, if any. */
  prior?: RepoState | undefined
  /** Current time in ms (default `Date.now()`), for the future-rev check. */
  now?: number
  /** How far in the future a rev may be. Default 5 minutes. */
  maxClockDriftMs?: number
  /** Limits for reading the `blocks` CAR (hash checks are always on). */
  car?: Omit<CarReadOptions, 'verify'>
  /**
   * Require the block of every created or updated record (default true). Turn off only to check
   * proofs of streams that carry no record bodies, such as the interop proof fixtures.
   */
  requireRecords?: boolean
  /**
   * Accept commits that predate sync 1.1 (default false, as relays run it): a commit without
   * `prevData`, or with `since: null` from a bridge PDS, passes on its signature and is marked
   * `unproven` instead of rejected (`MISSING_PREV_DATA`, `CHAIN_BREAK`, `BROKEN_PROOF`).
   */
  lenient?: boolean
  /**
   * The DAG-CBOR body the `#commit` event was parsed from, when the caller still holds it (a
   * frame's body, see `frameBody`). A `CommitAuthPool` sends these bytes to its worker as they
   * are instead of encoding the event again; checking inline ignores them. They must be the bytes
   * of this very event (the pool refuses a result whose `seq` or `repo` differ).
   */
  body?: Uint8Array | undefined
}

const DEFAULT_DRIFT_MS = 5 * 60 * 1000
let emptyRoot: Promise<Cid> | undefined

/** Root CID of the empty MST, the `prevData` of a repository's first commit. */
export function emptyTreeRoot(): Promise<Cid> {
  emptyRoot ??= MST.create(new MemoryBlockstore()).getPointer()
  return emptyRoot
}

function reject(code: AuthRejectCode, message: string, resync = false): AuthRejection {
  return { success: false, code, message, resync }
}

function revProblem(rev: string, opts: AuthenticateOptions): AuthRejection | null {
  let timestampUs: number
  try {
    timestampUs = Tid.parse(rev).timestamp()
  } catch {
    return reject('BAD_REV', `rev is not a TID; rev=${String(rev).slice(0, 64)}`)
  }
  const prior = opts.prior
  if (prior !== undefined && rev <= prior.rev) {
    return reject('STALE_REV', `rev is not newer than the last seen; rev=${rev} last=${prior.rev}`)
  }
  const now = opts.now ?? Date.now()
  const drift = opts.maxClockDriftMs ?? DEFAULT_DRIFT_MS
  if (timestampUs / 1000 > now + drift) {
    return reject('FUTURE_REV', `rev is in the future; rev=${rev}`)
  }
  return null
}

type Loaded = { root: Cid; commit: Commit; blocks: BlockMap } | AuthRejection

function loadCommit(
  did: string,
  rev: string,
  car: Uint8Array,
  expected: Cid | null,
  opts: AuthenticateOptions,
): Loaded {
  let root: Cid
  let blocks: BlockMap
  try {
    ;({ root, blocks } = readCarWithRoot(car, { ...opts.car, verify: true }))
  } catch (err) {
    if (err instanceof CarError) return reject('BAD_CAR', `blocks is not a valid CAR; ${err.message}`)
    throw err
  }
  if (expected !== null && !root.equals(expected)) {
    return reject(
      'COMMIT_CID_MISMATCH',
      `CAR root is not the event's commit; root=${root} commit=${expected}`,
    )
  }
  const bytes = blocks.get(root)
  if (bytes === undefined) return reject('MISSING_BLOCK', `commit block is not in the CAR; cid=${root}`)
  let commit: Commit
  try {
    const c = decodeCommit(bytes, root)
    if (c.version !== 3) return reject('BAD_COMMIT', `commit is not version 3; cid=${root}`)
    commit = c
  } catch (err) {
    if (err instanceof InvalidCommitError) return reject('BAD_COMMIT', err.message)
    throw err
  }
  if (commit.did !== did)
    return reject('DID_MISMATCH', `commit is for another DID; event=${did} commit=${commit.did}`)
  if (commit.rev !== rev)
    return reject('REV_MISMATCH', `event rev differs from the commit's; event=${rev} commit=${commit.rev}`)
  return { root, commit, blocks }
}

async function checkSignature(
  did: string,
  commit: Commit,
  keys: SignatureVerifier,
): Promise<AuthRejection | null> {
  let ok: boolean
  try {
    ok = await keys.verifySignatureForDid(did, encodeUnsignedCommit(commit), commit.sig)
  } catch (err) {
    return reject(
      'KEY_UNAVAILABLE',
      `could not get the signing key; did=${did} cause=${(err as Error)?.message}`,
    )
  }
  return ok ? null : reject('BAD_SIGNATURE', `commit signature does not verify; did=${did} rev=${commit.rev}`)
}

function toRecordOps(
  evt: CommitEvent,
  blocks: BlockMap,
  requireRecords: boolean,
): { ops: RecordOp[]; verified: VerifiedOp[] } | AuthRejection {
  const ops: RecordOp[] = []
  const verified: VerifiedOp[] = []
  for (let i = 0; i < evt.ops.length; i++) {
    const op = evt.ops[i] as CommitEvent['ops'][number]
    const slash = op.path.indexOf('/')
    if (slash <= 0 || slash === op.path.length - 1)
      return reject('BAD_OP', `op path is not collection/rkey; index=${i} path=${op.path}`)
    const prev = op.prev ?? null
    let record: Uint8Array | null = null
    if (op.action === 'create') {
      if (op.cid === null || prev !== null)
        return reject('BAD_OP', `create needs cid and no prev; index=${i} path=${op.path}`)
      ops.push({ action: 'create', key: op.path, cid: op.cid, prev: null })
    } else if (op.action === 'update') {
      if (op.cid === null || prev === null)
        return reject('BAD_OP', `update needs cid and prev; index=${i} path=${op.path}`)
      ops.push({ action: 'update', key: op.path, cid: op.cid, prev })
    } else {
      if (op.cid !== null || prev === null)
        return reject('BAD_OP', `delete needs prev and a null cid; index=${i} path=${op.path}`)
      ops.push({ action: 'delete', key: op.path, cid: null, prev })
    }
    if (op.cid !== null) {
      record = blocks.get(op.cid) ?? null
      if (record === null && requireRecords)
        return reject('MISSING_BLOCK', `record block is not in the CAR; path=${op.path} cid=${op.cid}`)
    }
    verified.push(
      withRecordValue({
        action: op.action,
        path: op.path,
        collection: op.path.slice(0, slash),
        rkey: op.path.slice(slash + 1),
        cid: op.cid,
        prev,
        record,
      }),
    )
  }
  return { ops, verified }
}

/**
 * Authenticates a `#commit` event (sync 1.1): reads the `blocks` CAR with every hash checked,
 * checks the commit's DID and rev, that the rev is newer than the last seen and not in the
 * future, that every created or updated record block is present, that inverting the ops on the
 * signed tree yields `prevData`, the signature with the author's key, and finally that `since`
 * and `prevData` follow the stored state (`prior`). Bad events are results, never throws.
 * @example
 * const r = await authenticateCommit(evt, { keys: new IdResolver(), prior: await states.get(evt.repo) })
 * if (r.success) index(r.value.ops)
 * else if (r.resync) scheduleResync(evt.repo)
 */
export async function authenticateCommit(
  evt: CommitEvent,
  opts: AuthenticateOptions,
): Promise<CommitAuthResult> {
  const did = evt.repo
  const revBad = revProblem(evt.rev, opts)
  if (revBad) return revBad
  const loaded = loadCommit(did, evt.rev, evt.blocks, evt.commit, opts)
  if (!('commit' in loaded)) return loaded
  const { commit, blocks } = loaded
  const opsOut = toRecordOps(evt, blocks, opts.requireRecords !== false)
  if (!('ops' in opsOut)) return opsOut
  const prior = opts.prior
  const lenient = opts.lenient === true
  let prevData = evt.prevData
  // lenient: no prevData after a since, or a since: null that cannot be a first commit
  const unproven = lenient && prevData === undefined && (evt.since !== null || prior !== undefined)
  if (prevData === undefined) {
    if (evt.since !== null && !lenient)
      return reject('MISSING_PREV_DATA', `commit has since but no prevData; rev=${evt.rev}`)
    prevData = unproven && prior !== undefined ? prior.data : await emptyTreeRoot()
  }
  if (!unproven) {
    const inverted = await verifyOpsByInversion({
      root: commit.data,
      prevRoot: prevData,
      blocks,
      ops: opsOut.ops,
      // Every block was hash-checked by the CAR reader above; the tree need not hash them again.
      hashChecked: true,
    })
    if (!inverted.success) {
      const issue = inverted.issues[0]
      const code =
        issue?.code === 'MST_INVERT_BAD_OP' || issue?.code === 'MST_INVERT_DUPLICATE_KEY'
          ? 'BAD_OP'
          : 'BROKEN_PROOF'
      return reject(code, `ops do not invert to prevData; ${issue?.code}: ${issue?.message}`)
    }
  }
  const sigBad = await checkSignature(did, commit, opts.keys)
  if (sigBad) return sigBad
  const value: VerifiedCommit = {
    seq: evt.seq,
    did,
    rev: evt.rev,
    since: evt.since,
    time: evt.time,
    commit: evt.commit,
    data: commit.data,
    prevData,
    ops: opsOut.verified,
    blocks,
  }
  if (unproven) value.unproven = true
  // lenient: a since: null says nothing (bridge PDSes), the proven prevData decides
  const sinceBreaks = evt.since !== (prior?.rev ?? null) && !(lenient && evt.since === null)
  if (prior !== undefined && (sinceBreaks || !prevData.equals(prior.data))) {
    return {
      ...reject(
        'CHAIN_BREAK',
        `commit does not follow the stored state; since=${evt.since} last=${prior.rev} prevData=${prevData} data=${prior.data}`,
        true,
      ),
      verified: { seq: evt.seq, did, rev: evt.rev, commit: evt.commit, data: commit.data },
    }
  }
  return { success: true, value }
}

/**
 * Something that authenticates commits like {@link authenticateCommit}; a {@link Firehose} can
 * hand its commits to one (e.g. `CommitAuthPool` of `@rsky/sync/node`, which spreads them over
 * worker threads).
 */
export interface CommitAuthenticator {
  authenticateCommit(evt: CommitEvent, opts: AuthenticateOptions): Promise<CommitAuthResult>
}

/** An authenticated `#sync` event and what to do with it. */
export interface VerifiedSync {
  seq: number
  did: string
  rev: string
  commit: Cid
  data: Cid
  /** `none` when the stored tree already equals `data` (only the rev moves); otherwise `resync`. */
  action: 'none' | 'resync'
}

/** Outcome of {@link authenticateSync}. */
export type SyncAuthResult = { success: true; value: VerifiedSync } | AuthRejection

/**
 * Authenticates a `#sync` event: the CAR (hash-checked) holds the signed commit as its root, the
 * DID and rev match, the rev is newer than the last seen, and the signature verifies.
 */
export async function authenticateSync(evt: SyncEvent, opts: AuthenticateOptions): Promise<SyncAuthResult> {
  const revBad = revProblem(evt.rev, opts)
  if (revBad) return revBad
  const loaded = loadCommit(evt.did, evt.rev, evt.blocks, null, opts)
  if (!('commit' in loaded)) return loaded
  const sigBad = await checkSignature(evt.did, loaded.commit, opts.keys)
  if (sigBad) return sigBad
  const root = loaded.root
  const same = opts.prior?.data.equals(loaded.commit.data)
  return {
    success: true,
    value: {
      seq: evt.seq,
      did: evt.did,
      rev: evt.rev,
      commit: root,
      data: loaded.commit.data,
      action: same ? 'none' : 'resync',
    },
  }
}
