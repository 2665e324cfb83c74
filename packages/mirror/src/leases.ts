// Scale-out by leases: the DIDs are split into a fixed number of partitions (DID hash modulo the
// count); engines over one database claim partitions up to a fair share, renew them by heartbeat,
// give back what is above their share, and take over partitions whose lease expired. Each claim
// bumps the partition's fencing token, and every write re-checks it (see `Fence`).
import { type LeaseEvent, type LeaseState, leaseStep } from './lease-state.ts'
import type { Fence } from './live-batch.ts'

/** A partition claimed by {@link LeaseStore.claimLeases}. */
export interface LeaseClaim {
  partition: number
  token: number
  /** It had no cursor: its repositories were sent back to pending for a new backfill. */
  fresh: boolean
}

/** One lease row, for `status`. */
export interface LeaseInfo {
  group: string
  partition: number
  owner: string | undefined
  token: number
  /** Milliseconds left by the database clock (0 when free or expired). */
  expiresInMs: number
}

/** What a store must do to host leases (Postgres; SQLite has one engine per file). */
export interface LeaseStore {
  leaseHeartbeat(o: { group: string; owner: string; ttlMs: number }): Promise<number>
  claimLeases(o: {
    group: string
    owner: string
    count: number
    want: number
    ttlMs: number
    cursorStream: (partition: number) => string
  }): Promise<LeaseClaim[]>
  renewLeases(o: {
    group: string
    owner: string
    tokens: ReadonlyMap<number, number>
    ttlMs: number
  }): Promise<number[]>
  releaseLeases(o: { group: string; owner: string; tokens: ReadonlyMap<number, number> }): Promise<void>
  leaveLeases(o: { group: string; owner: string }): Promise<void>
  listLeases(): Promise<LeaseInfo[]>
  /** Every write from now on checks these leases (undefined: no check). */
  setFence(fence: Fence | undefined): void
}

/** Whether a store hosts leases. */
export function isLeaseStore(store: unknown): store is LeaseStore {
  return typeof (store as Partial<LeaseStore> | null)?.claimLeases === 'function'
}

/** Options of lease mode (`MirrorOptions.lease`). */
export interface LeaseOptions {
  /** This engine's name in the lease table: unique among the engines of one database. */
  owner: string
  /** Partitions the DIDs are split into (default 16); every engine of a database must use the same. */
  partitions?: number
  /** Lease life in ms (default 10,000): renewed every third of it; a dead engine's partitions are taken over after it. */
  ttlMs?: number
}

/** What one heartbeat changed. */
export interface LeaseChanges {
  gained: LeaseClaim[]
  lost: number[]
  released: number[]
}

/**
 * One engine's leases: the belief (a {@link LeaseState} per partition, moved only through the
 * transition table) and the heartbeat that keeps it close to the table.
 */
export class LeaseKeeper {
  readonly group: string
  readonly owner: string
  readonly count: number
  readonly ttlMs: number
  readonly #store: LeaseStore
  readonly #cursorStream: (p: number) => string
  readonly #state = new Map<number, { state: LeaseState; token: number }>()

  constructor(
    store: LeaseStore,
    o: { group: string; owner: string; count: number; ttlMs: number; cursorStream: (p: number) => string },
  ) {
    this.#store = store
    this.group = o.group
    this.owner = o.owner
    this.count = o.count
    this.ttlMs = o.ttlMs
    this.#cursorStream = o.cursorStream
  }

  #move(p: number, event: LeaseEvent, token?: number): LeaseState {
    const cur = this.#state.get(p) ?? { state: 'unheld' as LeaseState, token: 0 }
    const next = leaseStep(cur.state, event)
    if (next === 'unheld') this.#state.delete(p)
    else this.#state.set(p, { state: next, token: token ?? cur.token })
    return next
  }

  /** Partitions held now, with their tokens (what every write is fenced by). */
  tokens(): Map<number, number> {
    const out = new Map<number, number>()
    for (const [p, s] of this.#state) if (s.state === 'held') out.set(p, s.token)
    return out
  }

  fence(): Fence {
    return { group: this.group, owner: this.owner, count: this.count, tokens: this.tokens() }
  }

  /**
   * One heartbeat: marks this engine alive, renews what it holds (what it cannot renew is lost),
   * then claims free or expired partitions up to its fair share, or gives back what is above it.
   * Partitions to give back are first removed from the fence (`beforeRelease`), so no new write
   * of theirs starts, and only then cleared in the table.
   */
  async tick(beforeRelease: (fence: Fence) => void): Promise<LeaseChanges> {
    const engines = Math.max(1, await this.#store.leaseHeartbeat(this))
    const held = this.tokens()
    const renewed = new Set(await this.#store.renewLeases({ ...this, tokens: held, ttlMs: this.ttlMs }))
    const lost: number[] = []
    for (const p of held.keys())
      if (!renewed.has(p)) {
        this.#move(p, 'renew-missed')
        this.#move(p, 'forgotten')
        lost.push(p)
      } else this.#move(p, 'renewed')
    const fair = Math.ceil(this.count / engines)
    const have = held.size - lost.length
    const changes: LeaseChanges = { gained: [], lost, released: [] }
    if (have < fair) {
      changes.gained = await this.#store.claimLeases({
        group: this.group,
        owner: this.owner,
        count: this.count,
        want: fair - have,
        ttlMs: this.ttlMs,
        cursorStream: this.#cursorStream,
      })
      for (const c of changes.gained) this.#move(c.partition, 'claimed', c.token)
    } else if (have > fair) {
      const give = [...this.tokens().keys()].sort((a, b) => b - a).slice(0, have - fair)
      await this.#release(give, beforeRelease)
      changes.released = give
    }
    return changes
  }

  /** A write found a lease gone: forget it now (the next heartbeat tells which ones). */
  async recheck(): Promise<number[]> {
    const held = this.tokens()
    const renewed = new Set(await this.#store.renewLeases({ ...this, tokens: held, ttlMs: this.ttlMs }))
    const lost: number[] = []
    for (const p of held.keys())
      if (!renewed.has(p)) {
        this.#move(p, 'fence-failed')
        this.#move(p, 'forgotten')
        lost.push(p)
      }
    return lost
  }

  /** Gives every lease back and leaves the group (the engine stops). */
  async releaseAll(beforeRelease: (fence: Fence) => void): Promise<void> {
    await this.#release([...this.tokens().keys()], beforeRelease)
    await this.#store.leaveLeases(this)
  }

  async #release(parts: number[], beforeRelease: (fence: Fence) => void): Promise<void> {
    const tokens = new Map<number, number>()
    for (const p of parts) {
      tokens.set(p, this.#state.get(p)?.token ?? 0)
      this.#move(p, 'release')
    }
    beforeRelease(this.fence())
    await this.#store.releaseLeases({ group: this.group, owner: this.owner, tokens })
    for (const p of parts) this.#move(p, 'released')
  }
}
