import { type Cid, isCid, isLexMap, type LexMap, type LexValue } from '@rsky/dag-cbor'
import { isValidDatetime, isValidDid, isValidHandle, isValidTid } from '@rsky/syntax'
import type { Frame } from './frame.ts'

/** A record operation of a `#commit` event (`com.atproto.sync.subscribeRepos#repoOp`). */
export interface RepoOp {
  action: 'create' | 'update' | 'delete'
  /** `collection/rkey`. */
  path: string
  cid: Cid | null
  /** The CID the op replaced (updates and deletes; sync 1.1). */
  prev?: Cid | undefined
}

/** `#commit`: a signed repository commit with its CAR slice. */
export interface CommitEvent {
  $type: '#commit'
  seq: number
  repo: string
  commit: Cid
  rev: string
  since: string | null
  blocks: Uint8Array
  ops: RepoOp[]
  blobs: Cid[]
  prevData?: Cid | undefined
  /** Deprecated; consumers ignore it. */
  tooBig: boolean
  rebase?: boolean | undefined
  time: string
}

/** `#sync`: declares the current commit of a repository. */
export interface SyncEvent {
  $type: '#sync'
  seq: number
  did: string
  blocks: Uint8Array
  rev: string
  time: string
}

/** `#identity`: the account's DID document or handle may have changed. */
export interface IdentityEvent {
  $type: '#identity'
  seq: number
  did: string
  time: string
  handle?: string | undefined
}

/** `#account`: the account's hosting status at the emitting service. */
export interface AccountEvent {
  $type: '#account'
  seq: number
  did: string
  time: string
  active: boolean
  status?: string | undefined
}

/** `#info`: informational message such as `OutdatedCursor`; carries no `seq`. */
export interface InfoEvent {
  $type: '#info'
  name: string
  message?: string | undefined
}

/** A message type this version does not know, passed through untouched. */
export interface UnknownEvent {
  $type: 'unknown'
  t: string
  body: LexMap
}

/** A signed or unsigned label (`com.atproto.label.defs#label`). */
export interface Label {
  ver?: number | undefined
  src: string
  uri: string
  cid?: string | undefined
  val: string
  neg?: boolean | undefined
  cts: string
  exp?: string | undefined
  sig?: Uint8Array | undefined
}

/** `#labels` of `com.atproto.label.subscribeLabels`. */
export interface LabelsEvent {
  $type: '#labels'
  seq: number
  labels: Label[]
}

/** Messages of `com.atproto.sync.subscribeRepos`. */
export type RepoEvent = CommitEvent | SyncEvent | IdentityEvent | AccountEvent | InfoEvent | UnknownEvent
/** Messages of `com.atproto.label.subscribeLabels`. */
export type LabelEvent = LabelsEvent | InfoEvent | UnknownEvent

/** One problem found in a message body. */
export interface EventIssue {
  code: 'MISSING_FIELD' | 'WRONG_TYPE' | 'BAD_FORMAT' | 'TOO_LONG' | 'NOT_A_MESSAGE'
  path: string
  message: string
}

/** Outcome of parsing a message body against its lexicon shape. */
export type EventResult<T> = { success: true; value: T } | { success: false; issues: EventIssue[] }

/** Size limits applied while parsing events (lexicon maxima by default). */
export interface EventLimits {
  /** `#commit` `blocks` bytes. Default 2,000,000. */
  maxCommitBlocks?: number
  /** `#commit` ops. Default 200. */
  maxOps?: number
  /** `#sync` `blocks` bytes. Default 10,000. */
  maxSyncBlocks?: number
  /** Labels in one `#labels` message. Default 10,000. */
  maxLabels?: number
}

/** The lexicon maxima used by default. */
export const EVENT_LIMITS: Required<EventLimits> = {
  maxCommitBlocks: 2_000_000,
  maxOps: 200,
  maxSyncBlocks: 10_000,
  maxLabels: 10_000,
}

type Check = (v: LexValue) => string | null
const integer: Check = (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? null : 'an integer')
const seqCheck: Check = (v) =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? null : 'a sequence number'
const bool: Check = (v) => (typeof v === 'boolean' ? null : 'a boolean')
const str: Check = (v) => (typeof v === 'string' ? null : 'a string')
const did: Check = (v) => (typeof v === 'string' && isValidDid(v) ? null : 'a DID')
const tid: Check = (v) => (typeof v === 'string' && isValidTid(v) ? null : 'a TID')
const datetime: Check = (v) => (typeof v === 'string' && isValidDatetime(v) ? null : 'a datetime')
const handle: Check = (v) => (typeof v === 'string' && isValidHandle(v) ? null : 'a handle')
const cidLink: Check = (v) => (isCid(v) ? null : 'a CID link')
const bytes: Check = (v) => (v instanceof Uint8Array ? null : 'bytes')

class Reader {
  readonly issues: EventIssue[] = []
  readonly body: LexMap
  readonly base: string
  constructor(body: LexMap, base: string) {
    this.body = body
    this.base = base
  }
  get(key: string, check: Check, required: boolean, nullable = false): LexValue | undefined {
    const v = Object.hasOwn(this.body, key) ? this.body[key] : undefined
    const path = `${this.base}${key}`
    if (v === undefined) {
      if (required) this.issues.push({ code: 'MISSING_FIELD', path, message: `${path} is required` })
      return undefined
    }
    if (v === null && nullable) return null
    const want = check(v as LexValue)
    if (want !== null) {
      const code = typeof v === 'string' && want !== 'a string' ? 'BAD_FORMAT' : 'WRONG_TYPE'
      this.issues.push({ code, path, message: `${path} must be ${want}` })
      return undefined
    }
    return v
  }
  max(key: string, length: number, max: number): void {
    if (length > max) {
      const path = `${this.base}${key}`
      this.issues.push({ code: 'TOO_LONG', path, message: `${path} is longer than ${max}; length=${length}` })
    }
  }
}

function done<T>(r: Reader, value: T): EventResult<T> {
  return r.issues.length > 0 ? { success: false, issues: r.issues } : { success: true, value }
}

function parseOp(v: LexValue, index: number, issues: EventIssue[]): RepoOp | undefined {
  const base = `ops[${index}]`
  if (!isLexMap(v)) {
    issues.push({ code: 'WRONG_TYPE', path: base, message: `${base} must be an object` })
    return undefined
  }
  const r = new Reader(v, `${base}.`)
  const action = r.get('action', str, true) as string | undefined
  const path = r.get('path', str, true) as string | undefined
  const cid = r.get('cid', cidLink, true, true) as Cid | null | undefined
  const prev = r.get('prev', cidLink, false) as Cid | undefined
  issues.push(...r.issues)
  if (action === undefined || path === undefined || cid === undefined) return undefined
  if (action !== 'create' && action !== 'update' && action !== 'delete') {
    issues.push({
      code: 'BAD_FORMAT',
      path: `${base}.action`,
      message: `${base}.action is not create, update or delete`,
    })
    return undefined
  }
  return prev === undefined ? { action, path, cid } : { action, path, cid, prev }
}

/** Checks a `#commit` body against `com.atproto.sync.subscribeRepos#commit`. */
export function parseCommitEvent(body: LexMap, limits: EventLimits = {}): EventResult<CommitEvent> {
  const lim = { ...EVENT_LIMITS, ...limits }
  const r = new Reader(body, '')
  const seq = r.get('seq', seqCheck, true) as number
  const repo = r.get('repo', did, true) as string
  const commit = r.get('commit', cidLink, true) as Cid
  const rev = r.get('rev', tid, true) as string
  const since = r.get('since', tid, true, true) as string | null
  const blocks = r.get('blocks', bytes, true) as Uint8Array | undefined
  const rawOps = r.get('ops', (v) => (Array.isArray(v) ? null : 'an array'), true) as LexValue[] | undefined
  const rawBlobs = r.get('blobs', (v) => (Array.isArray(v) ? null : 'an array'), true) as
    | LexValue[]
    | undefined
  const prevData = r.get('prevData', cidLink, false) as Cid | undefined
  const tooBig = r.get('tooBig', bool, true) as boolean
  // `rebase` is listed as required but deprecated; current producers omit it, so it stays optional.
  const rebase = r.get('rebase', bool, false) as boolean | undefined
  const time = r.get('time', datetime, true) as string
  if (blocks) r.max('blocks', blocks.length, lim.maxCommitBlocks)
  const ops: RepoOp[] = []
  if (rawOps) {
    r.max('ops', rawOps.length, lim.maxOps)
    if (rawOps.length <= lim.maxOps) {
      rawOps.forEach((op, i) => {
        const parsed = parseOp(op, i, r.issues)
        if (parsed) ops.push(parsed)
      })
    }
  }
  const blobs: Cid[] = []
  if (rawBlobs) {
    rawBlobs.forEach((b, i) => {
      if (isCid(b)) blobs.push(b)
      else
        r.issues.push({ code: 'WRONG_TYPE', path: `blobs[${i}]`, message: `blobs[${i}] must be a CID link` })
    })
  }
  return done(r, {
    $type: '#commit',
    seq,
    repo,
    commit,
    rev,
    since,
    blocks: blocks as Uint8Array,
    ops,
    blobs,
    prevData,
    tooBig,
    rebase,
    time,
  })
}

/** Checks a `#sync` body. */
export function parseSyncEvent(body: LexMap, limits: EventLimits = {}): EventResult<SyncEvent> {
  const lim = { ...EVENT_LIMITS, ...limits }
  const r = new Reader(body, '')
  const seq = r.get('seq', seqCheck, true) as number
  const d = r.get('did', did, true) as string
  const blocks = r.get('blocks', bytes, true) as Uint8Array | undefined
  const rev = r.get('rev', tid, true) as string
  const time = r.get('time', datetime, true) as string
  if (blocks) r.max('blocks', blocks.length, lim.maxSyncBlocks)
  return done(r, { $type: '#sync', seq, did: d, blocks: blocks as Uint8Array, rev, time })
}

/** Checks an `#identity` body; `handle` is optional (it may be absent or `handle.invalid`). */
export function parseIdentityEvent(body: LexMap): EventResult<IdentityEvent> {
  const r = new Reader(body, '')
  const seq = r.get('seq', seqCheck, true) as number
  const d = r.get('did', did, true) as string
  const time = r.get('time', datetime, true) as string
  const h = r.get('handle', handle, false) as string | undefined
  return done(r, { $type: '#identity', seq, did: d, time, handle: h })
}

/** Checks an `#account` body. */
export function parseAccountEvent(body: LexMap): EventResult<AccountEvent> {
  const r = new Reader(body, '')
  const seq = r.get('seq', seqCheck, true) as number
  const d = r.get('did', did, true) as string
  const time = r.get('time', datetime, true) as string
  const active = r.get('active', bool, true) as boolean
  const status = r.get('status', str, false) as string | undefined
  return done(r, { $type: '#account', seq, did: d, time, active, status })
}

/** Checks an `#info` body. */
export function parseInfoEvent(body: LexMap): EventResult<InfoEvent> {
  const r = new Reader(body, '')
  const name = r.get('name', str, true) as string
  const message = r.get('message', str, false) as string | undefined
  return done(r, { $type: '#info', name, message })
}

function parseLabel(v: LexValue, i: number, issues: EventIssue[]): Label | undefined {
  const base = `labels[${i}]`
  if (!isLexMap(v)) {
    issues.push({ code: 'WRONG_TYPE', path: base, message: `${base} must be an object` })
    return undefined
  }
  const r = new Reader(v, `${base}.`)
  const label: Label = {
    ver: r.get('ver', integer, false) as number | undefined,
    src: r.get('src', did, true) as string,
    uri: r.get('uri', str, true) as string,
    cid: r.get('cid', str, false) as string | undefined,
    val: r.get('val', str, true) as string,
    neg: r.get('neg', bool, false) as boolean | undefined,
    cts: r.get('cts', datetime, true) as string,
    exp: r.get('exp', datetime, false) as string | undefined,
    sig: r.get('sig', bytes, false) as Uint8Array | undefined,
  }
  if (typeof label.val === 'string') r.max('val', label.val.length, 128)
  issues.push(...r.issues)
  for (const k of Object.keys(label) as (keyof Label)[]) if (label[k] === undefined) delete label[k]
  return label
}

/** Checks a `#labels` body of `com.atproto.label.subscribeLabels`. */
export function parseLabelsEvent(body: LexMap, limits: EventLimits = {}): EventResult<LabelsEvent> {
  const lim = { ...EVENT_LIMITS, ...limits }
  const r = new Reader(body, '')
  const seq = r.get('seq', seqCheck, true) as number
  const raw = r.get('labels', (v) => (Array.isArray(v) ? null : 'an array'), true) as LexValue[] | undefined
  const labels: Label[] = []
  if (raw) {
    r.max('labels', raw.length, lim.maxLabels)
    if (raw.length <= lim.maxLabels) {
      raw.forEach((l, i) => {
        const parsed = parseLabel(l, i, r.issues)
        if (parsed) labels.push(parsed)
      })
    }
  }
  return done(r, { $type: '#labels', seq, labels })
}

function notMessage(frame: Frame): EventResult<never> {
  return {
    success: false,
    issues: [{ code: 'NOT_A_MESSAGE', path: '', message: `frame is not a message frame; op=${frame.op}` }],
  }
}

/**
 * Types a `subscribeRepos` message frame. Unknown `t` values pass through as `unknown` events.
 * @example
 * const r = parseRepoEvent(decodeFrame(bytes))
 * if (r.success && r.value.$type === '#commit') ...
 */
export function parseRepoEvent(frame: Frame, limits?: EventLimits): EventResult<RepoEvent> {
  if (frame.op !== 1) return notMessage(frame)
  const body = frame.body as LexMap
  switch (frame.t) {
    case '#commit':
      return parseCommitEvent(body, limits)
    case '#sync':
      return parseSyncEvent(body, limits)
    case '#identity':
      return parseIdentityEvent(body)
    case '#account':
      return parseAccountEvent(body)
    case '#info':
      return parseInfoEvent(body)
    default:
      return { success: true, value: { $type: 'unknown', t: frame.t as string, body } }
  }
}

/** Types a `subscribeLabels` message frame. */
export function parseLabelEvent(frame: Frame, limits?: EventLimits): EventResult<LabelEvent> {
  if (frame.op !== 1) return notMessage(frame)
  const body = frame.body as LexMap
  if (frame.t === '#labels') return parseLabelsEvent(body, limits)
  if (frame.t === '#info') return parseInfoEvent(body)
  return { success: true, value: { $type: 'unknown', t: frame.t as string, body } }
}

/** The body of a typed event, ready for {@link encodeMessageFrame} (drops `$type`). */
export function eventToBody(event: RepoEvent | LabelEvent): LexMap {
  if (event.$type === 'unknown') return event.body
  const out: LexMap = {}
  for (const [k, v] of Object.entries(event)) {
    if (k === '$type' || v === undefined) continue
    out[k] = v as LexValue
  }
  return out
}
