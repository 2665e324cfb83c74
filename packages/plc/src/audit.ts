// Audit-log validation: replay every entry of `/:did/log/audit` through the directory's acceptance
// rule, then check the directory's own claims (CIDs, order, nullified flags) against the replay.
import { isValidDid } from '@rsky/syntax'
import { type FormatDocumentOptions, formatDidDocument } from './document.ts'
import { cidOfBytes, encodeOperation } from './encoding.ts'
import { type PlcRule, PlcRuleError } from './errors.ts'
import { applyInPlace, type HistoryEntry } from './history.ts'
import { type ParseOperationOptions, validateOperation } from './parse.ts'
import type { DocumentData, PlcDidDocument, SignedOperation } from './types.ts'

/** Default cap on audit-log entries. */
export const DEFAULT_MAX_LOG_ENTRIES = 10_000

/** Options of `validateAuditLog` and `validateOperationLog`. */
export interface AuditOptions extends Pick<ParseOperationOptions, 'maxBytes'> {
  /** Cap on the number of entries. Default {@link DEFAULT_MAX_LOG_ENTRIES}. */
  readonly maxEntries?: number
  /** Recovery window in ms. Default 72 hours. */
  readonly recoveryWindowMs?: number
  /** How the resulting DID document renders keys. */
  readonly document?: FormatDocumentOptions
}

/** The state a valid log leads to. */
export interface PlcState {
  readonly did: string
  /** Current state; `null` when the DID is tombstoned. */
  readonly data: DocumentData | null
  /** The DID document of `data`; `null` when tombstoned. */
  readonly document: PlcDidDocument | null
  readonly tombstoned: boolean
  /** The current (non-nullified) history, genesis first; its last entry is the head. */
  readonly history: readonly HistoryEntry[]
  /** CIDs of the operations forks nullified, in log order. */
  readonly nullified: readonly string[]
  /** Number of log entries checked. */
  readonly entries: number
}

/** Outcome of a log validation: the state, or the first rule broken (with operation index and CID). */
export type AuditOutcome =
  | { readonly valid: true; readonly state: PlcState }
  | { readonly valid: false; readonly error: PlcRuleError }

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

// Audit timestamps are ISO 8601 with a zone; Date.parse alone also accepts free-form dates.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

function checkDid(did: string): void {
  if (typeof did !== 'string' || !did.startsWith('did:plc:') || !isValidDid(did))
    throw new TypeError(`not a did:plc DID: ${String(did).slice(0, 80)}`)
}

function outcome(run: () => PlcState): AuditOutcome {
  try {
    return { valid: true, state: run() }
  } catch (err) {
    if (err instanceof PlcRuleError) return { valid: false, error: err }
    throw err
  }
}

function parseOp(
  did: string,
  index: number,
  value: unknown,
  options: AuditOptions | undefined,
): SignedOperation {
  const parsed = validateOperation(value, options)
  if (!parsed.success) {
    const first = parsed.issues[0]!
    throw new PlcRuleError(
      'OPERATION_MALFORMED',
      { did, index, issues: parsed.issues },
      `${first.path || 'operation'}: ${first.message}`,
    )
  }
  return parsed.value
}

function stateOf(
  did: string,
  history: HistoryEntry[],
  nullified: string[],
  entries: number,
  options: AuditOptions | undefined,
): PlcState {
  const data = history[history.length - 1]!.data
  return {
    did,
    data,
    document: data === null ? null : formatDidDocument(data, options?.document),
    tombstoned: data === null,
    history,
    nullified,
    entries,
  }
}

function checkLength(did: string, log: unknown, options: AuditOptions | undefined): unknown[] {
  if (!Array.isArray(log))
    throw new PlcRuleError('ENTRY_MALFORMED', { did, index: 0 }, 'the log is not an array')
  if (log.length === 0) throw new PlcRuleError('LOG_EMPTY', { did, index: 0 }, 'no operations')
  const max = options?.maxEntries ?? DEFAULT_MAX_LOG_ENTRIES
  if (log.length > max)
    throw new PlcRuleError('LOG_TOO_LONG', { did, index: max }, `${log.length} entries, cap ${max}`)
  return log
}

/**
 * Validates a DID's audit log (`/:did/log/audit`: every operation, nullified ones included, in
 * acceptance order) as the directory does: genesis hash, prev links, signatures by a rotation key of
 * the operation followed, forks only by a higher-priority key within 72 hours, nothing after a
 * tombstone; then each entry's `did`, `cid`, `createdAt` order and `nullified` flag against the replay.
 * @throws {TypeError} when `did` is not a did:plc DID (a caller mistake, not a log problem).
 * @example const r = validateAuditLog(did, await client.getAuditLog(did)); if (!r.valid) console.log(r.error.code, r.error.index)
 */
export function validateAuditLog(did: string, log: unknown, options?: AuditOptions): AuditOutcome {
  checkDid(did)
  return outcome(() => {
    const entries = checkLength(did, log, options)
    const history: HistoryEntry[] = []
    const seen = new Set<string>()
    const nullifiedSet = new Set<string>()
    let lastTime = Number.NEGATIVE_INFINITY
    for (let index = 0; index < entries.length; index++) {
      const raw = entries[index]
      const fail = (rule: PlcRule, detail: string, cid?: string): never => {
        throw new PlcRuleError(rule, { did, index, cid }, detail)
      }
      if (!isRecord(raw)) return fail('ENTRY_MALFORMED', 'the entry is not an object')
      const { did: entryDid, cid, createdAt, nullified } = raw
      if (
        typeof cid !== 'string' ||
        typeof createdAt !== 'string' ||
        typeof nullified !== 'boolean' ||
        typeof entryDid !== 'string'
      )
        return fail('ENTRY_MALFORMED', 'did, cid, createdAt (strings) and nullified (boolean) are required')
      const op = parseOp(did, index, raw['operation'], options)
      const actual = cidOfBytes(encodeOperation(op))
      if (entryDid !== did) fail('ENTRY_DID', `entry is for ${entryDid.slice(0, 80)}`, actual)
      if (cid !== actual) fail('ENTRY_CID', `entry says cid=${cid.slice(0, 80)}`, actual)
      if (seen.has(actual)) fail('ENTRY_DUPLICATE', 'the operation appears twice', actual)
      seen.add(actual)
      const time = ISO_TIME.test(createdAt) ? Date.parse(createdAt) : Number.NaN
      if (Number.isNaN(time))
        fail('ENTRY_TIME', `createdAt=${createdAt.slice(0, 40)} is not an ISO 8601 time`, actual)
      if (time < lastTime)
        fail('ENTRY_TIME', `createdAt=${createdAt} is earlier than the entry before`, actual)
      lastTime = time
      const applied = applyInPlace(did, history, op, {
        createdAt: time,
        index,
        recoveryWindowMs: options?.recoveryWindowMs,
      })
      for (const n of applied.nullified) nullifiedSet.add(n.cid)
    }
    // The directory's flags must agree with the replay, in both directions.
    entries.forEach((raw, index) => {
      const { cid, nullified } = raw as { cid: string; nullified: boolean }
      if (nullifiedSet.has(cid) !== nullified)
        throw new PlcRuleError(
          'ENTRY_NULLIFIED',
          { did, index, cid },
          nullified
            ? 'marked nullified but is in the current history'
            : 'a fork nullified it but it is not marked',
        )
    })
    const nullifiedCids = entries.map((e) => (e as { cid: string }).cid).filter((c) => nullifiedSet.has(c))
    return stateOf(did, history, nullifiedCids, entries.length, options)
  })
}

/**
 * Validates a plain operation chain (`/:did/log`: no nullified operations, no timestamps): the
 * genesis, then each operation following the one before it, a tombstone only at the end.
 * @throws {TypeError} when `did` is not a did:plc DID.
 * @example validateOperationLog(did, ops).valid
 */
export function validateOperationLog(did: string, ops: unknown, options?: AuditOptions): AuditOutcome {
  checkDid(did)
  return outcome(() => {
    const list = checkLength(did, ops, options)
    const history: HistoryEntry[] = []
    list.forEach((raw, index) => {
      const op = parseOp(did, index, raw, options)
      const head = history[history.length - 1]
      if (head !== undefined && op.prev !== head.cid && head.data !== null && op.prev !== null) {
        throw new PlcRuleError(
          'PREV_UNKNOWN',
          { did, index, cid: cidOfBytes(encodeOperation(op)) },
          `prev=${op.prev} is not the operation before it`,
        )
      }
      applyInPlace(did, history, op, { createdAt: 0, index })
    })
    return stateOf(did, history, [], list.length, options)
  })
}
