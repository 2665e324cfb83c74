// Issue 12 case 8: CommitAuthPool refreshes a cached document without a usable key like the inline
// path, fetches the key once on a forged commit, and backs off a worker that cannot start.
import { Secp256k1Keypair } from '@rsky/crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import type { CommitEvent } from '../src/events.ts'
import type { KeyResolver } from '../src/keys.ts'
import { AuthPoolError, CommitAuthPool } from '../src/node.ts'
import { commitEventOf, seededStream } from './fixtures.ts'

let evt: CommitEvent
let key: string

beforeAll(async () => {
  const s = await seededStream(808, 1, 3, { commitsOnly: true })
  const first = s.stream[0]
  if (!first) throw new Error('no commit')
  evt = commitEventOf(first.body)
  key = await s.keys.resolveAtprotoKey(evt.repo)
}, 30_000)

function resolver(opts: {
  key: () => string
  cached: boolean | undefined
  failCached?: boolean
}): KeyResolver & { calls: string[] } {
  const calls: string[] = []
  const r = {
    calls,
    async resolveAtprotoKey(_did: string, o?: { forceRefresh?: boolean }) {
      calls.push(o?.forceRefresh ? 'refresh' : 'resolve')
      if (opts.failCached && !o?.forceRefresh) throw new Error('cached document has no usable key')
      return opts.key()
    },
    async verifySignatureForDid() {
      return false
    },
  }
  if (opts.cached === undefined) return r
  return Object.assign(r, {
    did: { cache: { get: () => (opts.cached ? { doc: {}, expired: false, stale: false } : undefined) } },
  })
}

describe('CommitAuthPool key handling (issue 12 case 8)', () => {
  it('a cached document without a usable key is fetched afresh and the commit verifies', async () => {
    const pool = new CommitAuthPool({ threads: 1 })
    try {
      const keys = resolver({ key: () => key, cached: true, failCached: true })
      const r = await pool.authenticateCommit(evt, { keys })
      expect(r.success).toBe(true)
      expect(keys.calls).toEqual(['resolve', 'refresh'])
    } finally {
      await pool.close()
    }
  })

  it('a forged commit costs one key fetch when the key was just fetched, two when it came from the cache', async () => {
    const forged = Secp256k1Keypair.create().did()
    const pool = new CommitAuthPool({ threads: 1 })
    try {
      const fresh = resolver({ key: () => forged, cached: false })
      expect(await pool.authenticateCommit(evt, { keys: fresh })).toMatchObject({ code: 'BAD_SIGNATURE' })
      expect(fresh.calls).toEqual(['resolve'])
      const fromCache = resolver({ key: () => forged, cached: true })
      expect(await pool.authenticateCommit(evt, { keys: fromCache })).toMatchObject({ code: 'BAD_SIGNATURE' })
      expect(fromCache.calls).toEqual(['resolve', 'refresh'])
    } finally {
      await pool.close()
    }
  })

  it('a worker that cannot start is replaced with backoff, and waiting commits fail instead of hanging', async () => {
    const pool = new CommitAuthPool({
      threads: 1,
      workerUrl: new URL('file:///nonexistent/rsky-auth-worker.js'),
    })
    try {
      const keys = resolver({ key: () => key, cached: undefined })
      const err = await pool.authenticateCommit(evt, { keys }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(AuthPoolError)
      expect((err as AuthPoolError).code).toBe('WORKER_FAILED')
      const respawns = pool.respawns
      // backing off: no respawn storm while nothing is asked
      await new Promise((r) => setTimeout(r, 300))
      expect(pool.respawns - respawns).toBeLessThanOrEqual(2)
      expect(pool.respawns).toBeLessThan(10)
    } finally {
      await pool.close()
    }
  })
})
