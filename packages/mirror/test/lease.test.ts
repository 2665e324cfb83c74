// Leases on a real Postgres: the transition table, claims up to a fair share, takeover of an
// expired lease, and the fence: an engine that lost its lease (paused past its expiry, then
// resumed) cannot write anything of that partition.
import { cidForRaw } from '@rsky/dag-cbor'
import { createTestDatabase, type TestDatabase } from '@rsky/test-vectors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  LEASE_TRANSITIONS,
  type LeaseEvent,
  LeaseKeeper,
  type LeaseState,
  LeaseTransitionError,
  leaseStep,
  MirrorError,
  PostgresMirrorStore,
  partitionOf,
} from '../src/index.ts'

const STATES: LeaseState[] = ['unheld', 'held', 'releasing', 'lost']
const EVENTS: LeaseEvent[] = [
  'claimed',
  'renewed',
  'renew-missed',
  'fence-failed',
  'release',
  'released',
  'forgotten',
]

describe('lease transition table', () => {
  it('allows exactly the listed transitions and names the refused ones', () => {
    for (const s of STATES)
      for (const e of EVENTS) {
        const next = LEASE_TRANSITIONS[s][e]
        if (next !== undefined) expect(leaseStep(s, e)).toBe(next)
        else {
          const err = (() => {
            try {
              leaseStep(s, e)
            } catch (x) {
              return x
            }
          })() as LeaseTransitionError
          expect(err).toBeInstanceOf(LeaseTransitionError)
          expect([err.code, err.state, err.event]).toEqual(['BAD_LEASE_TRANSITION', s, e])
        }
      }
    // a lost lease is never written under again without a new claim
    expect(LEASE_TRANSITIONS.lost.renewed).toBeUndefined()
    expect(LEASE_TRANSITIONS.unheld.renewed).toBeUndefined()
  })
})

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase('rsky_mirror_lease')
})
afterAll(async () => {
  await db?.drop()
})

const GROUP = 'http://host.test#lease/4'
const streamOf = (p: number): string => `http://host.test#lease=${p}/4`
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function keeper(store: PostgresMirrorStore, owner: string, ttlMs: number): LeaseKeeper {
  return new LeaseKeeper(store, { group: GROUP, owner, count: 4, ttlMs, cursorStream: streamOf })
}

/** A DID of partition `p` (of 4). */
function didIn(p: number): string {
  for (let i = 0; ; i++) {
    const did = `did:plc:lease${String(i).padStart(19, '0')}`
    if (partitionOf(did, 4) === p) return did
  }
}

describe('leases over one Postgres', () => {
  it('two engines share the partitions; a stalled one is taken over and fenced out', async () => {
    const a = await PostgresMirrorStore.connect(db.url, { maxConnections: 2 })
    const b = await PostgresMirrorStore.connect(db.url, { maxConnections: 2 })
    try {
      const ka = keeper(a, 'A', 600)
      const kb = keeper(b, 'B', 600)
      // A alone takes every partition; B arrives, A gives back down to its fair share, B claims it
      const first = await ka.tick((f) => a.setFence(f))
      expect(first.gained.map((g) => g.partition).sort()).toEqual([0, 1, 2, 3])
      expect(first.gained.every((g) => g.fresh)).toBe(true)
      a.setFence(ka.fence())
      await kb.tick((f) => b.setFence(f)) // registers B; nothing free yet
      const giveBack = await ka.tick((f) => a.setFence(f))
      expect(giveBack.released.length).toBe(2)
      const claimB = await kb.tick((f) => b.setFence(f))
      b.setFence(kb.fence())
      expect(claimB.gained.map((g) => g.partition).sort()).toEqual(giveBack.released.sort())
      expect([...ka.tokens().keys(), ...kb.tokens().keys()].sort()).toEqual([0, 1, 2, 3])

      // A writes its partition under its fence
      const pA = [...ka.tokens().keys()][0] as number
      const did = didIn(pA)
      const data = cidForRaw(new TextEncoder().encode('x'))
      await a.commit({ repos: [{ did, state: { rev: '3l00000000001', data, status: 'synchronized' } }] })
      await a.applyLive({ commits: [], cursors: [{ stream: streamOf(pA), seq: 10 }] })
      expect(await a.getCursor(streamOf(pA))).toBe(10)

      const heldByA = [...ka.tokens().keys()].sort()
      // A stalls past its lease; B takes A's partitions over (each with a new token)
      await sleep(900)
      const takeover = await kb.tick((f) => b.setFence(f))
      b.setFence(kb.fence())
      expect(takeover.gained.map((g) => g.partition)).toContain(pA)
      expect(takeover.gained.find((g) => g.partition === pA)?.fresh).toBe(false)
      expect([...kb.tokens().keys()].sort()).toEqual([0, 1, 2, 3])
      const leases = await b.listLeases()
      expect(leases.filter((l) => l.group === GROUP).every((l) => l.owner === 'B')).toBe(true)

      // A resumes with its old fence: every write of the lost partition is refused, nothing lands
      const lost = async (p: Promise<unknown>) => {
        const err = await p.then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(err).toBeInstanceOf(MirrorError)
        expect((err as MirrorError).code).toBe('LEASE_LOST')
      }
      const commit = {
        seq: 11,
        did,
        rev: '3l00000000002',
        since: '3l00000000001',
        data: cidForRaw(new TextEncoder().encode('y')),
        prevData: data,
        changes: [
          {
            action: 'create' as const,
            collection: 'app.test.a',
            rkey: 'k',
            cid: cidForRaw(new TextEncoder().encode('r')),
            record: new TextEncoder().encode('r'),
          },
        ],
      }
      await lost(a.applyLive({ commits: [commit], cursors: [{ stream: streamOf(pA), seq: 11 }] }))
      await lost(a.setAccountStatus(did, { active: false, status: 'deleted' }, streamOf(pA), 11))
      await lost(a.failBackfill(did, { reason: 'x', retryAt: 0, park: true }))
      await lost(a.completeBackfill({ did, rev: '3l00000000003', data, records: [] }) as Promise<unknown>)
      expect(await b.getCursor(streamOf(pA))).toBe(10)
      expect((await b.mirrorRepo(did))?.rev).toBe('3l00000000001')
      expect((await b.mirrorRepo(did))?.phase).toBe('active')
      expect((await b.status()).records).toBe(0)

      // A's heartbeat finds it holds nothing; B writes under its own fence
      const after = await ka.tick((f) => a.setFence(f))
      expect(after.lost.sort()).toEqual(heldByA)
      expect(ka.tokens().size).toBe(0)
      expect(await b.applyLive({ commits: [commit], cursors: [{ stream: streamOf(pA), seq: 11 }] })).toEqual([
        'applied',
      ])
      expect((await b.status()).records).toBe(1)
    } finally {
      await a.close()
      await b.close()
    }
  })
})
