import type { Cid } from '@rsky/dag-cbor'
import type { PreparedCommit } from './types.ts'

/** How a commit relates to the state held: already held, the next link, or a break in the chain. */
export type ChainStep = 'stale' | 'follows' | 'break'

/**
 * Decides a commit against the held `rev`/`data` of its repository (sync 1.1): a rev at or below
 * the held one is already held; the next commit names the held rev as `since` and the held tree as
 * `prevData`; anything else breaks the chain.
 */
export function chainStep(
  held: { rev: string | undefined; data: Cid | undefined },
  c: PreparedCommit,
): ChainStep {
  if (held.rev !== undefined && c.rev <= held.rev) return 'stale'
  if (held.rev === undefined || held.data === undefined) return 'break'
  return c.since === held.rev && c.prevData.equals(held.data) ? 'follows' : 'break'
}
