import type { RecordOp } from './diff.ts'
import { MstInversionError, opProblem } from './invert.ts'
import type { MST } from './mst.ts'

/**
 * Applies record operations forward, checking each against the tree first: a create's key must
 * be absent, an update's or delete's key must hold `prev`. The inverse of {@link invertOps}.
 * Every op is checked before any is applied: a malformed one (an unknown action, a missing or
 * non-CID `cid`/`prev`, a bad key, not an object) fails with `MST_INVERT_BAD_OP`.
 * @throws MstInversionError (`MST_INVERT_BAD_OP`, `MST_INVERT_VALUE_MISMATCH`, `MST_INVERT_KEY_PRESENT`)
 * @example const next = await applyOps(tree, diff.ops)
 */
export async function applyOps(tree: MST, ops: readonly RecordOp[]): Promise<MST> {
  if (!Array.isArray(ops)) throw new MstInversionError('MST_INVERT_BAD_OP', 'ops must be an array')
  for (const op of ops) {
    const problem = opProblem(op)
    if (problem) throw new MstInversionError('MST_INVERT_BAD_OP', problem.message, problem.key)
  }
  let t = tree
  for (const op of ops) {
    const current = await t.get(op.key)
    if (op.action === 'create') {
      if (current !== null)
        throw new MstInversionError('MST_INVERT_KEY_PRESENT', 'created key is already in the tree', op.key)
      t = await t.add(op.key, op.cid)
      continue
    }
    if (current === null || !current.equals(op.prev)) {
      throw new MstInversionError(
        'MST_INVERT_VALUE_MISMATCH',
        `${op.action}d key does not hold the op's prev`,
        op.key,
      )
    }
    t = op.action === 'update' ? await t.update(op.key, op.cid) : await t.delete(op.key)
  }
  return t
}
