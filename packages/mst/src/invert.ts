import type { BlockMap } from '@rsky/car'
import { type Cid, isCid } from '@rsky/dag-cbor'
import { MemoryBlockstore, type ReadableBlockstore } from './blockstore.ts'
import type { RecordOp } from './diff.ts'
import { InvalidMstKeyError, InvalidMstNodeError, MissingBlocksError } from './errors.ts'
import { mstKeyProblem } from './key.ts'
import { MST } from './mst.ts'

/** Why a set of operations does not turn the previous tree into the new one. */
export type InversionIssueCode =
  | 'MST_INVERT_BAD_INPUT'
  | 'MST_INVERT_BAD_OP'
  | 'MST_INVERT_DUPLICATE_KEY'
  | 'MST_INVERT_VALUE_MISMATCH'
  | 'MST_INVERT_KEY_PRESENT'
  | 'MST_INVERT_MISSING_BLOCKS'
  | 'MST_INVERT_INVALID_NODE'
  | 'MST_INVERT_ROOT_MISMATCH'

/** Raised by {@link invertOps} and {@link ensureOpsByInversion}. */
export class MstInversionError extends Error {
  override name = 'MstInversionError'
  readonly code: InversionIssueCode
  readonly key: string | undefined
  constructor(code: InversionIssueCode, message: string, key?: string) {
    super(key === undefined ? message : `${message}; key=${key}`)
    this.code = code
    this.key = key
  }
}

/**
 * @internal Why `op` is not a well-formed record operation, or undefined when it is: a valid
 * key, and a create (cid, no prev), update (cid and prev) or delete (prev, no cid), each CID a
 * decoded `Cid`. Reads nothing but own data, so a hostile value cannot make it throw.
 */
export function opProblem(op: unknown): { message: string; key: string } | undefined {
  if (typeof op !== 'object' || op === null) return { message: 'operation is not an object', key: String(op) }
  const { key, action, cid, prev } = op as Record<string, unknown>
  if (typeof key !== 'string' || mstKeyProblem(key) !== null)
    return { message: 'operation has an invalid key', key: typeof key === 'string' ? key : typeof key }
  const isSome = (c: unknown) => c !== null && c !== undefined
  const shape =
    action === 'create'
      ? isSome(cid) && !isSome(prev)
      : action === 'update'
        ? isSome(cid) && isSome(prev)
        : action === 'delete'
          ? !isSome(cid) && isSome(prev)
          : false
  if (!shape) {
    const name = typeof action === 'string' ? action : typeof action
    return { message: `malformed operation; action=${name}`, key }
  }
  if ((isSome(cid) && !isCid(cid)) || (isSome(prev) && !isCid(prev)))
    return { message: 'operation cid and prev must be CIDs', key }
  return undefined
}

function checkOps(ops: readonly RecordOp[]): void {
  if (!Array.isArray(ops)) throw new MstInversionError('MST_INVERT_BAD_OP', 'ops must be an array')
  const seen = new Set<string>()
  for (const op of ops) {
    const problem = opProblem(op)
    if (problem) throw new MstInversionError('MST_INVERT_BAD_OP', problem.message, problem.key)
    if (seen.has(op.key))
      throw new MstInversionError('MST_INVERT_DUPLICATE_KEY', 'two operations on one key', op.key)
    seen.add(op.key)
  }
}

/**
 * Applies `ops` in reverse to `tree` (a create becomes a delete, an update restores `prev`, a
 * delete re-adds `prev`), checking that each op matches the tree first.
 * @throws MstInversionError (`MST_INVERT_BAD_OP` for a malformed op or ops that are not an array); MissingBlocksError when the tree lacks nodes the inversion needs
 */
export async function invertOps(tree: MST, ops: readonly RecordOp[]): Promise<MST> {
  checkOps(ops)
  let t = tree
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i] as RecordOp
    const current = await t.get(op.key)
    if (op.action === 'delete') {
      if (current !== null)
        throw new MstInversionError('MST_INVERT_KEY_PRESENT', 'deleted key is still in the tree', op.key)
      t = await t.add(op.key, op.prev)
      continue
    }
    if (current === null || !current.equals(op.cid)) {
      throw new MstInversionError(
        'MST_INVERT_VALUE_MISMATCH',
        `${op.action}d key does not hold the op's cid`,
        op.key,
      )
    }
    t = op.action === 'create' ? await t.delete(op.key) : await t.update(op.key, op.prev)
  }
  return t
}

/** Input of {@link verifyOpsByInversion}. */
export interface InversionInput {
  /** Root of the tree after the commit (the commit's `data`). */
  root: Cid
  /** Root before the commit (`prevData`). */
  prevRoot: Cid
  /** The proof blocks (the commit's CAR slice) or any block source. */
  blocks: BlockMap | ReadableBlockstore
  /**
   * For a `BlockMap`: the caller vouches that every block hashes to its CID (e.g. the blocks of
   * `readCar` with hash checks on), so node blocks are not hashed again. The verdict is the same
   * for such blocks; leave it off (the default) for blocks of unknown origin. A block source
   * speaks for itself through its own `hashChecked`.
   */
  hashChecked?: boolean
  /** The commit's operations. */
  ops: readonly RecordOp[]
}

/** Outcome of {@link verifyOpsByInversion}. */
export type InversionResult =
  | { success: true; value: { prevRoot: Cid } }
  | { success: false; issues: { code: InversionIssueCode; message: string; key?: string | undefined }[] }

/**
 * Sync 1.1 inductive validation: loads the partial tree at `root` from `blocks`, inverts `ops`
 * and checks the result is `prevRoot`. Bad or incomplete input is a failed result, never a throw.
 * @example
 * const { blocks } = readCar(evt.blocks) // every block hash-checked
 * const r = await verifyOpsByInversion({ root: commit.data, prevRoot: evt.prevData, blocks, ops, hashChecked: true })
 * if (!r.success) console.log(r.issues[0].code)
 */
export async function verifyOpsByInversion(input: InversionInput): Promise<InversionResult> {
  const bad = inputProblem(input)
  if (bad !== undefined) return { success: false, issues: [{ code: 'MST_INVERT_BAD_INPUT', message: bad }] }
  const store: ReadableBlockstore =
    'getBlocks' in input.blocks &&
    typeof input.blocks.getBlocks === 'function' &&
    !('getMany' in input.blocks)
      ? input.blocks
      : new MemoryBlockstore(input.blocks as BlockMap, { hashChecked: input.hashChecked === true })
  try {
    const tree = await invertOps(MST.load(store, input.root), input.ops)
    const got = await tree.getPointer()
    if (!got.equals(input.prevRoot)) {
      const message = `inverted root does not match; got=${got.toString()} expected=${input.prevRoot.toString()}`
      return { success: false, issues: [{ code: 'MST_INVERT_ROOT_MISMATCH', message }] }
    }
    return { success: true, value: { prevRoot: got } }
  } catch (err) {
    if (err instanceof MstInversionError)
      return { success: false, issues: [{ code: err.code, message: err.message, key: err.key }] }
    if (err instanceof MissingBlocksError)
      return { success: false, issues: [{ code: 'MST_INVERT_MISSING_BLOCKS', message: err.message }] }
    if (err instanceof InvalidMstNodeError || err instanceof InvalidMstKeyError) {
      return { success: false, issues: [{ code: 'MST_INVERT_INVALID_NODE', message: err.message }] }
    }
    throw err
  }
}

/** Why the input of {@link verifyOpsByInversion} can not be checked at all (a root or the blocks missing). */
function inputProblem(input: InversionInput): string | undefined {
  if (typeof input !== 'object' || input === null) return 'input is not an object'
  if (!isCid(input.root)) return 'root is not a CID'
  if (!isCid(input.prevRoot)) return 'prevRoot is not a CID'
  if (typeof input.blocks !== 'object' || input.blocks === null) return 'blocks is not a block map or source'
  return undefined
}

/**
 * Throwing form of {@link verifyOpsByInversion}.
 * @throws MstInversionError
 */
export async function ensureOpsByInversion(input: InversionInput): Promise<void> {
  const r = await verifyOpsByInversion(input)
  if (!r.success) {
    const issue = r.issues[0] as { code: InversionIssueCode; message: string; key?: string | undefined }
    throw new MstInversionError(issue.code, issue.message, issue.key)
  }
}
