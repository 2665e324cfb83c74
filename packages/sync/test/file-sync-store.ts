// Test-only: a durable SyncStore in one JSON file, replaced atomically (write, then rename) on each
// commit, so a process killed at any point leaves either the old or the new state.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { parseCid } from '@rsky/dag-cbor'
import type { AccountStatus } from '../src/account-status.ts'
import type { RepoState } from '../src/repo-state.ts'
import { type SyncStore, type SyncStoreBatch, validateSyncStoreBatch } from '../src/sync-store.ts'

interface StoredRepo {
  rev: string
  data: string
  status: RepoState['status']
  seq?: number
  unproven?: boolean
}

interface Data {
  repos: Record<string, StoredRepo>
  accounts: Record<string, AccountStatus>
  cursors: Record<string, number>
}

export class JsonFileSyncStore implements SyncStore {
  readonly path: string
  #data: Data
  constructor(path: string) {
    this.path = path
    this.#data = existsSync(path)
      ? (JSON.parse(readFileSync(path, 'utf8')) as Data)
      : { repos: {}, accounts: {}, cursors: {} }
  }
  getRepo(did: string): RepoState | undefined {
    const r = this.#data.repos[did]
    if (r === undefined) return undefined
    const out: RepoState = { rev: r.rev, data: parseCid(r.data), status: r.status }
    if (r.seq !== undefined) out.seq = r.seq
    if (r.unproven === true) out.unproven = true
    return out
  }
  getAccount(did: string): AccountStatus | undefined {
    const a = this.#data.accounts[did]
    return a === undefined ? undefined : { ...a }
  }
  getCursor(stream: string): number | undefined {
    return this.#data.cursors[stream]
  }
  commit(batch: SyncStoreBatch): void {
    validateSyncStoreBatch(batch)
    const next: Data = structuredClone(this.#data)
    for (const w of batch.repos ?? []) {
      if (w.state === null) delete next.repos[w.did]
      else {
        const s: StoredRepo = { rev: w.state.rev, data: w.state.data.toString(), status: w.state.status }
        if (w.state.seq !== undefined) s.seq = w.state.seq
        if (w.state.unproven === true) s.unproven = true
        next.repos[w.did] = s
      }
    }
    for (const w of batch.accounts ?? []) {
      if (w.status === null || w.status.active) delete next.accounts[w.did]
      else
        next.accounts[w.did] =
          w.status.status === undefined ? { active: false } : { active: false, status: w.status.status }
    }
    if (batch.cursor !== undefined) {
      if (batch.cursor.seq === null) delete next.cursors[batch.cursor.stream]
      else next.cursors[batch.cursor.stream] = batch.cursor.seq
    }
    const tmp = `${this.path}.tmp`
    writeFileSync(tmp, JSON.stringify(next))
    renameSync(tmp, this.path)
    this.#data = next
  }
}
