// How a buffered commit is kept in the database: the verified commit as DAG-CBOR, so a repository
// still backfilling keeps its live events durably and applies them after, without checking the
// signature or the proof again (both passed before the event was buffered).
import { Cid, decode, encode, type LexMap, type LexValue } from '@rsky/dag-cbor'
import type { PreparedCommit, RecordChange } from './types.ts'

const ACTIONS: ReadonlySet<string> = new Set(['create', 'update', 'delete'])

/** Encodes a prepared commit for the buffer table. */
export function encodePreparedCommit(c: PreparedCommit): Uint8Array {
  const ops: LexValue[] = c.changes.map((ch) => ({
    a: ch.action,
    c: ch.collection,
    k: ch.rkey,
    i: ch.cid,
    r: ch.record,
  }))
  return encode({
    seq: c.seq,
    did: c.did,
    rev: c.rev,
    since: c.since,
    data: c.data,
    prevData: c.prevData,
    ops,
  })
}

function bad(what: string): never {
  throw new TypeError(`buffered commit is malformed; field=${what}`)
}

/**
 * Decodes a buffered commit written by {@link encodePreparedCommit}.
 * @throws TypeError when the row is not one (a damaged database)
 */
export function decodePreparedCommit(bytes: Uint8Array): PreparedCommit {
  const v = decode(bytes) as LexMap
  if (v === null || typeof v !== 'object') bad('root')
  const { seq, did, rev, since, data, prevData, ops } = v as Record<string, LexValue>
  if (typeof seq !== 'number') bad('seq')
  if (typeof did !== 'string') bad('did')
  if (typeof rev !== 'string') bad('rev')
  if (since !== null && typeof since !== 'string') bad('since')
  if (!(data instanceof Cid)) bad('data')
  if (!(prevData instanceof Cid)) bad('prevData')
  if (!Array.isArray(ops)) bad('ops')
  const changes: RecordChange[] = ops.map((o) => {
    const { a, c, k, i, r } = o as Record<string, LexValue>
    if (typeof a !== 'string' || !ACTIONS.has(a)) bad('ops.a')
    if (typeof c !== 'string' || typeof k !== 'string') bad('ops.c')
    if (i !== null && !(i instanceof Cid)) bad('ops.i')
    if (r !== null && !(r instanceof Uint8Array)) bad('ops.r')
    return {
      action: a as RecordChange['action'],
      collection: c,
      rkey: k,
      cid: i as Cid | null,
      record: r as Uint8Array | null,
    }
  })
  return { seq, did, rev, since, data, prevData, changes }
}
