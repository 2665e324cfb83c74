// The life of the connection a Postgres group commit (postgres-backfill-group.ts) writes its groups
// on, as an explicit transition table. The queue of backfills waiting and the connection itself are
// data; this says what is in flight and what may happen next.

/**
 * - `idle`: no connection held or asked for, nothing in flight
 * - `connecting`: a connection asked of the pool; backfills handed over meanwhile wait
 * - `ready`: a connection held, no group in flight (kept for one turn, for callers about to
 *   hand more over)
 * - `writing`: a group being written on the held connection
 * - `closing`: `close()` was called while a connect or a write was in flight: what waits is
 *   written, then the connection is given back
 * - `closed`: nothing held, nothing in flight, no backfill accepted any more
 */
export type GroupConnState = 'idle' | 'connecting' | 'ready' | 'writing' | 'closing' | 'closed'

/**
 * - `connect`: backfills wait and no connection is held: one is asked of the pool
 * - `connected`: the pool gave it
 * - `connect-failed`: the pool refused (every backfill waiting is rejected with its error)
 * - `write`: the next group is taken from the queue and written
 * - `written`: that group settled (each caller has its verdict)
 * - `lost`: the held connection reported an error (dropped): marked broken, given back as such
 *   once nothing is in flight on it
 * - `release`: the connection is given back (nothing waits, or it is broken and nothing waits)
 * - `replace`: the broken connection is given back and another asked for, backfills still waiting
 * - `close`: `close()` was called
 */
export type GroupConnEvent =
  | 'connect'
  | 'connected'
  | 'connect-failed'
  | 'write'
  | 'written'
  | 'lost'
  | 'release'
  | 'replace'
  | 'close'

/** Every allowed transition; an event missing from a state's row is a bug ({@link groupConnStep} throws). */
export const GROUP_CONN_TRANSITIONS: Readonly<
  Record<GroupConnState, Readonly<Partial<Record<GroupConnEvent, GroupConnState>>>>
> = Object.freeze({
  idle: { connect: 'connecting', close: 'closed' },
  connecting: { connected: 'ready', 'connect-failed': 'idle', close: 'closing' },
  ready: { write: 'writing', lost: 'ready', release: 'idle', replace: 'connecting', close: 'closing' },
  writing: { written: 'ready', lost: 'writing', close: 'closing' },
  // the same steps as from connecting, ready and writing, ending in closed instead of idle
  closing: {
    connected: 'closing',
    'connect-failed': 'closed',
    write: 'closing',
    written: 'closing',
    lost: 'closing',
    release: 'closed',
    replace: 'closing',
    close: 'closing',
  },
  closed: { close: 'closed' },
})

/** Thrown on a transition the table does not allow (a bug of the group commit). */
export class GroupConnTransitionError extends Error {
  override readonly name = 'GroupConnTransitionError'
  readonly code = 'BAD_GROUP_CONN_TRANSITION'
  readonly state: GroupConnState
  readonly event: GroupConnEvent
  constructor(state: GroupConnState, event: GroupConnEvent) {
    super(`group connection transition not allowed; state=${state} event=${event}`)
    this.state = state
    this.event = event
  }
}

/**
 * The state after `event`.
 * @throws GroupConnTransitionError when the table has no such transition
 */
export function groupConnStep(state: GroupConnState, event: GroupConnEvent): GroupConnState {
  const next = GROUP_CONN_TRANSITIONS[state][event]
  if (next === undefined) throw new GroupConnTransitionError(state, event)
  return next
}
