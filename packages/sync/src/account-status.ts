/**
 * An account's hosting status at the service that emitted the stream (`#account`): `active`
 * decides, `status` says why (`takendown`, `suspended`, `deleted`, `deactivated`,
 * `desynchronized`, `throttled`, or a value added later).
 */
export interface AccountStatus {
  active: boolean
  status?: string | undefined
}

/**
 * Pluggable per-DID hosting status (memory by default; a database in production). A DID the
 * store does not know is treated as active. Setting a status here directly (a local takedown)
 * works the same as an `#account` event.
 */
export interface AccountStatusStore {
  get(did: string): Promise<AccountStatus | undefined> | AccountStatus | undefined
  set(did: string, status: AccountStatus): Promise<void> | void
}

/**
 * In-memory {@link AccountStatusStore}. It keeps inactive accounts only: an active account is
 * forgotten (unknown and active are handled alike), so memory grows with the inactive ones.
 */
export class MemoryAccountStatusStore implements AccountStatusStore {
  readonly #map = new Map<string, AccountStatus>()
  get(did: string): AccountStatus | undefined {
    return this.#map.get(did)
  }
  set(did: string, status: AccountStatus): void {
    if (status.active) this.#map.delete(did)
    else this.#map.set(did, { active: false, status: status.status })
  }
  /** Number of inactive accounts held. */
  get size(): number {
    return this.#map.size
  }
}
