// The life of one partition's lease as one engine sees it, as an explicit transition table. The
// database row is the truth (owner + fencing token); this is the engine's belief, and every write
// it makes re-checks the row, so a wrong belief can stall an engine but never let it write.

/**
 * - `unheld`: someone else's or nobody's
 * - `held`: claimed with a token; the engine follows and backfills the partition's repositories
 * - `releasing`: handed back (rebalance or stop): no new writes; the row is being cleared
 * - `lost`: the row no longer names this engine with its token (expired and taken over, or a
 *   write's fence check failed); writes stopped, waiting to be forgotten
 */
export type LeaseState = 'unheld' | 'held' | 'releasing' | 'lost'

/**
 * - `claimed`: the claim transaction returned the partition with a new token
 * - `renewed`: a heartbeat extended the row (owner and token unchanged)
 * - `renew-missed`: a heartbeat found the row names another owner or token
 * - `fence-failed`: a write transaction found the same
 * - `release`: the engine gives the partition back (more than its fair share, or stopping)
 * - `released`: the row was cleared
 * - `forgotten`: the engine dropped everything it held for a lost partition
 */
export type LeaseEvent =
  | 'claimed'
  | 'renewed'
  | 'renew-missed'
  | 'fence-failed'
  | 'release'
  | 'released'
  | 'forgotten'

/** Every allowed transition; an event missing from a state's row is a bug ({@link leaseStep} throws). */
export const LEASE_TRANSITIONS: Readonly<
  Record<LeaseState, Readonly<Partial<Record<LeaseEvent, LeaseState>>>>
> = Object.freeze({
  unheld: { claimed: 'held' },
  held: { renewed: 'held', 'renew-missed': 'lost', 'fence-failed': 'lost', release: 'releasing' },
  // a heartbeat or a write can still observe the row while it is being cleared
  releasing: {
    released: 'unheld',
    'renew-missed': 'unheld',
    'fence-failed': 'releasing',
    renewed: 'releasing',
  },
  lost: { forgotten: 'unheld', 'renew-missed': 'lost', 'fence-failed': 'lost' },
})

/** Thrown on a transition the table does not allow. */
export class LeaseTransitionError extends Error {
  override readonly name = 'LeaseTransitionError'
  readonly code = 'BAD_LEASE_TRANSITION'
  readonly state: LeaseState
  readonly event: LeaseEvent
  constructor(state: LeaseState, event: LeaseEvent) {
    super(`lease transition not allowed; state=${state} event=${event}`)
    this.state = state
    this.event = event
  }
}

/**
 * The state after `event`.
 * @throws LeaseTransitionError when the table has no such transition
 */
export function leaseStep(state: LeaseState, event: LeaseEvent): LeaseState {
  const next = LEASE_TRANSITIONS[state][event]
  if (next === undefined) throw new LeaseTransitionError(state, event)
  return next
}
