// The directory's acceptance rule for one operation against the current history: the genesis
// check, prev links, rotation-key signatures, and forks (nullification) within 72 hours by a
// higher-priority key. Audit-log replay and pre-flight checks of new operations share it.
import { cidOfBytes, didForGenesisBytes, encodeOperation, signingBytes } from './encoding.ts'
import { PlcRuleError } from './errors.ts'
import { normalizeOperation, operationToData } from './operations.ts'
import { checkSignature } from './signature.ts'
import type { DocumentData, SignedOperation } from './types.ts'

/** How long after an operation a higher-priority key may still nullify it: 72 hours. */
export const RECOVERY_WINDOW_MS: number = 72 * 60 * 60 * 1000

/** One operation of the current (non-nullified) history. */
export interface HistoryEntry {
  readonly operation: SignedOperation
  readonly cid: string
  /** When the directory accepted it, in ms since the epoch. */
  readonly createdAt: number
  /** The state it set; `null` after a tombstone. */
  readonly data: DocumentData | null
  /** Index of the signing key in the rotation keys of the operation it follows (its own for a genesis). */
  readonly signerIndex: number
}

/** Where the operation sits, for error reports. */
export interface ApplyContext {
  /** Acceptance time in ms (the entry's `createdAt`, or now for a new operation). */
  readonly createdAt: number
  /** Position in the log, reported in errors. Default: the history length. */
  readonly index?: number
  /** Recovery window in ms. Default {@link RECOVERY_WINDOW_MS}. */
  readonly recoveryWindowMs?: number
}

/** The history after accepting an operation. */
export interface ApplyResult {
  readonly history: readonly HistoryEntry[]
  readonly entry: HistoryEntry
  /** Operations the new one nullified (a fork), oldest first. */
  readonly nullified: readonly HistoryEntry[]
}

/**
 * Accepts `proposed` (already shape-checked, see `parseOperation`) on top of `history` as the
 * directory would, or says which rule it breaks.
 * @throws {PlcRuleError} naming the rule, the operation's index and CID.
 * @example const { history } = applyOperation(did, [], genesis, { createdAt: Date.now() })
 */
export function applyOperation(
  did: string,
  history: readonly HistoryEntry[],
  proposed: SignedOperation,
  ctx: ApplyContext,
): ApplyResult {
  const next = history.slice()
  const { entry, nullified } = applyInPlace(did, next, proposed, ctx)
  return { history: next, entry, nullified }
}

/** `applyOperation` that edits `history` itself (the audit replay's loop). Internal. */
export function applyInPlace(
  did: string,
  history: HistoryEntry[],
  proposed: SignedOperation,
  ctx: ApplyContext,
): { entry: HistoryEntry; nullified: HistoryEntry[] } {
  const bytes = encodeOperation(proposed)
  const cid = cidOfBytes(bytes)
  const at = { did, index: ctx.index ?? history.length, cid }
  const fail = (rule: ConstructorParameters<typeof PlcRuleError>[0], detail: string): never => {
    throw new PlcRuleError(rule, at, detail)
  }
  const unsigned = signingBytes(proposed)

  if (history.length === 0) {
    if (proposed.type === 'plc_tombstone') fail('GENESIS_INVALID', 'the first operation is a tombstone')
    if (proposed.prev !== null) fail('GENESIS_INVALID', 'the first operation has a prev')
    const keys = normalizeOperation(
      proposed as Exclude<SignedOperation, { type: 'plc_tombstone' }>,
    ).rotationKeys
    const sig = checkSignature(proposed, keys, unsigned)
    if (!sig.valid) return fail(sig.rule, `${sig.reason} (genesis rotation keys)`)
    const expected = didForGenesisBytes(bytes)
    if (expected !== did) fail('GENESIS_HASH', `the genesis operation defines ${expected}`)
    const entry: HistoryEntry = {
      operation: proposed,
      cid,
      createdAt: ctx.createdAt,
      data: operationToData(did, proposed),
      signerIndex: sig.keyIndex,
    }
    history.push(entry)
    return { entry, nullified: [] }
  }

  if (proposed.type === 'create') fail('LEGACY_NOT_GENESIS', 'a legacy create operation after the genesis')
  if (proposed.prev === null) fail('PREV_MISSING', 'an operation after the genesis has a null prev')
  const last = history.length - 1
  const forkAt =
    history[last]!.cid === proposed.prev ? last : history.findIndex((h) => h.cid === proposed.prev)
  if (forkAt < 0) fail('PREV_UNKNOWN', `prev=${proposed.prev} is not in the current history`)
  const fork = history[forkAt]!
  if (fork.data === null) return fail('AFTER_TOMBSTONE', `prev=${fork.cid} is a tombstone`)
  const keys = fork.data.rotationKeys
  const disputed = history[forkAt + 1]

  let signerIndex: number
  if (disputed === undefined) {
    const sig = checkSignature(proposed, keys, unsigned)
    if (!sig.valid) return fail(sig.rule, sig.reason)
    signerIndex = sig.keyIndex
  } else {
    // A fork: only a key listed before the one that signed the first nullified operation may do it.
    const stronger = checkSignature(proposed, keys.slice(0, disputed.signerIndex), unsigned)
    if (stronger.valid) signerIndex = stronger.keyIndex
    else {
      const any = checkSignature(proposed, keys, unsigned)
      if (any.valid)
        return fail(
          'NULLIFICATION_KEY',
          `signed by rotation key ${any.keyIndex}, which does not outrank key ${disputed.signerIndex} that signed ${disputed.cid}`,
        )
      return fail(any.rule, any.reason)
    }
    const lapsed = ctx.createdAt - disputed.createdAt
    const window = ctx.recoveryWindowMs ?? RECOVERY_WINDOW_MS
    if (lapsed > window) fail('NULLIFICATION_LATE', `${lapsed} ms after ${disputed.cid}, window ${window} ms`)
  }
  const entry: HistoryEntry = {
    operation: proposed,
    cid,
    createdAt: ctx.createdAt,
    data: operationToData(did, proposed),
    signerIndex,
  }
  const nullified = history.splice(forkAt + 1, history.length - forkAt - 1, entry)
  return { entry, nullified }
}
