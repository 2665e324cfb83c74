// Account lifecycle on the Firehose client, over a real loopback server: a resync never rolls a
// repository back (RESYNC_ROLLBACK / RESYNC_FORK), #account status gates #commit and #sync
// (ACCOUNT_INACTIVE, reactivation resumes), and #identity drops the cached signing key.

import { Secp256k1Keypair } from '@rsky/crypto'
import type { Cid } from '@rsky/dag-cbor'
import { DidResolver, IdResolver } from '@rsky/identity'
import { exportRepoCarBytes, MemoryRepoStorage, Repo } from '@rsky/repo'
import { describe, expect, it } from 'vitest'
import { MemoryAccountStatusStore } from '../src/account-status.ts'
import { Firehose, type FirehoseOptions } from '../src/firehose.ts'
import { invalidateKey, staticKeys } from '../src/keys.ts'
import { MemoryRepoStateStore } from '../src/repo-state.ts'
import { ResyncError, resyncRepo } from '../src/resync.ts'
import { type Commit, Script } from './script.ts'
import { startReplayServer } from './server.ts'
import { type Account, commit, keyTable, makeAccounts, randomWrites, rng } from './stream.ts'

/**
 * Runs a Firehose over the script until its cursor reaches the last seq; returns per-DID logs of
 * `seq type` (delivered) and `seq CODE` (rejected), and the resynced revs.
 */
async function run(
  script: Script,
  opts: Partial<FirehoseOptions>,
): Promise<{ log: Map<string, string[]>; resynced: string[]; fh: Firehose }> {
  const server = await startReplayServer(script.items)
  const log = new Map<string, string[]>()
  const add = (did: string | undefined, s: string) => {
    const k = did ?? '-'
    log.set(k, [...(log.get(k) ?? []), s])
  }
  const resynced: string[] = []
  const errors: unknown[] = []
  const fh = new Firehose({
    service: server.url,
    reconnect: { minDelayMs: 5, maxDelayMs: 30 },
    onResync: (r) => {
      resynced.push(r.rev)
    },
    onError: (e) => errors.push(e),
    ...opts,
    onEvent: async (e) => {
      if ('seq' in e) {
        const v = e.type === 'sync' ? ` ${e.verified?.action}` : ''
        add(e.did, `${e.seq} ${e.type}${v}`)
      }
      await opts.onEvent?.(e)
    },
    onReject: (r) => add(r.did, `${r.seq} ${r.code}${r.accountStatus ? ` ${r.accountStatus}` : ''}`),
  })
  try {
    await fh.start()
    while (fh.cursor !== script.seq) await new Promise((r) => setTimeout(r, 5))
    await fh.stop()
  } finally {
    await server.close()
  }
  expect(errors).toEqual([])
  return { log, resynced, fh }
}

async function commits(acct: Account, n: number, seed: number): Promise<Commit[]> {
  const out: Commit[] = []
  for (let i = 0; i < n; i++) out.push(await commit(acct, randomWrites(acct, rng(seed + i))))
  return out
}

describe('a resync never rolls a repository back', () => {
  it('resyncRepo with atLeast: older rev -> RESYNC_ROLLBACK, same rev other tree -> RESYNC_FORK, same or newer passes', async () => {
    const [acct] = await makeAccounts(1, rng(41), () => 'k256')
    if (!acct) throw new Error('no account')
    const keys = staticKeys(keyTable([acct]))
    const [c1, c2] = await commits(acct, 2, 10)
    if (!c1 || !c2) throw new Error('no commits')
    const car2 = await exportRepoCarBytes(acct.storage)
    const [c3] = await commits(acct, 1, 20)
    if (!c3) throw new Error('no commit')
    const fetchRepo = async () => car2
    const attempt = async (atLeast: { rev: string; data?: Cid }) => {
      try {
        return (await resyncRepo({ did: acct.did, fetchRepo, keys, atLeast })).rev
      } catch (err) {
        expect(err).toBeInstanceOf(ResyncError)
        expect((err as ResyncError).did).toBe(acct.did)
        return (err as ResyncError).code
      }
    }
    expect(await attempt({ rev: c3.rev })).toBe('RESYNC_ROLLBACK')
    expect(await attempt({ rev: c3.rev, data: c3.commit.data })).toBe('RESYNC_ROLLBACK')
    // the same rev under another tree: c1's tree is c2's prevData
    expect(await attempt({ rev: c2.rev, data: c1.commit.data })).toBe('RESYNC_FORK')
    expect(await attempt({ rev: c2.rev, data: c2.commit.data })).toBe(c2.rev)
    expect(await attempt({ rev: c2.rev })).toBe(c2.rev)
    expect(await attempt({ rev: c1.rev, data: c1.commit.data })).toBe(c2.rev) // newer: any tree is fine
  })

  it('Firehose: a chain break or #sync answered by an older repository is RESYNC_ROLLBACK; the repo stays desynchronized until a new enough copy comes', async () => {
    const [x, y] = await makeAccounts(2, rng(42), () => 'k256')
    if (!x || !y) throw new Error('no accounts')
    const keys = staticKeys(keyTable([x, y]))
    const s = new Script()
    // x: c1 c2 on the stream, c3 skipped, c4 breaks the chain
    const [x1, x2] = await commits(x, 2, 100)
    const xCar2 = await exportRepoCarBytes(x.storage)
    const [, x4, x5] = await commits(x, 3, 200)
    const xCar5 = await exportRepoCarBytes(x.storage)
    const [x6] = await commits(x, 1, 300)
    // y: c1 on the stream, c2 skipped, #sync at c3, then c4
    const [y1] = await commits(y, 1, 400)
    const yCar1 = await exportRepoCarBytes(y.storage)
    const [, y3] = await commits(y, 2, 500)
    const yCar3 = await exportRepoCarBytes(y.storage)
    const [y4] = await commits(y, 1, 600)
    for (const c of [x1, x2, x4, x5, x6]) s.commit(x.did, c as Commit)
    s.commit(y.did, y1 as Commit)
    s.sync(y.did, y3 as Commit)
    s.commit(y.did, y4 as Commit)
    const fetched = new Map<string, number>()
    const { log, resynced } = await run(s, {
      keys,
      resyncBackoff: { minDelayMs: 0, maxDelayMs: 0 },
      fetchRepo: async (did) => {
        const n = (fetched.get(did) ?? 0) + 1
        fetched.set(did, n)
        // the mirror serves a stale copy at first, a current one later
        if (did === x.did) return n <= 2 ? xCar2 : xCar5
        return n <= 1 ? yCar1 : yCar3
      },
    })
    expect(log.get(x.did)).toEqual([
      '1 commit',
      '2 commit',
      '3 CHAIN_BREAK',
      '3 RESYNC_ROLLBACK',
      '4 RESYNC_ROLLBACK', // c5 waits: the copy is still older than c4
      '4 DESYNCHRONIZED',
      '5 commit', // the third fetch is at c5 (newer than c4): c6 chains from it
    ])
    expect(log.get(y.did)).toEqual([
      '6 commit',
      // the #sync itself is authentic and delivered; the repository waits. Rejections are
      // reported once the event's outcome is committed, after its delivery.
      '7 sync resync',
      '7 RESYNC_ROLLBACK',
      '8 commit', // the next fetch is at the #sync's rev: c4 chains from it
    ])
    expect(resynced.sort()).toEqual([x5?.rev, y3?.rev].sort())
  })
})

describe('#account status gates #commit and #sync', () => {
  it('inactive accounts are ACCOUNT_INACTIVE; reactivation resumes (with a verified resync when commits were missed)', async () => {
    const [z, w, t] = await makeAccounts(3, rng(43), () => 'k256')
    if (!z || !w || !t) throw new Error('no accounts')
    const keys = staticKeys(keyTable([z, w, t]))
    const s = new Script()
    const [z1, z2, z3] = await commits(z, 3, 700)
    const zCar3 = await exportRepoCarBytes(z.storage)
    const [z4] = await commits(z, 1, 800)
    const [w1, w2] = await commits(w, 2, 900)
    const [t1, t2] = await commits(t, 2, 1000)
    // z: taken down, a commit and a #sync while down are ignored, back up: the missed commit breaks
    // the chain, a verified resync follows, then commits flow
    s.commit(z.did, z1 as Commit) // 1
    s.account(z.did, false, 'takendown') // 2
    s.commit(z.did, z2 as Commit) // 3
    s.sync(z.did, z2 as Commit) // 4
    s.account(z.did, true) // 5
    s.commit(z.did, z3 as Commit) // 6
    s.commit(z.did, z4 as Commit) // 7
    // w: deactivated with nothing missed; reactivation resumes the chain directly
    s.commit(w.did, w1 as Commit) // 8
    s.account(w.did, false, 'deactivated') // 9
    s.account(w.did, true) // 10
    s.commit(w.did, w2 as Commit) // 11
    // t: throttled but active (active decides, status only explains); then inactive without a status
    s.account(t.did, true, 'throttled') // 12
    s.commit(t.did, t1 as Commit) // 13
    s.account(t.did, false) // 14
    s.commit(t.did, t2 as Commit) // 15
    const accounts = new MemoryAccountStatusStore()
    const { log, resynced, fh } = await run(s, {
      keys,
      accountStatus: accounts,
      fetchRepo: async (did) => {
        expect(did).toBe(z.did)
        return zCar3
      },
    })
    expect(log.get(z.did)).toEqual([
      '1 commit',
      '2 account',
      '3 ACCOUNT_INACTIVE takendown',
      '4 ACCOUNT_INACTIVE takendown',
      '5 account',
      '6 CHAIN_BREAK',
      '7 commit',
    ])
    expect(resynced).toEqual([z3?.rev])
    expect(log.get(w.did)).toEqual(['8 commit', '9 account', '10 account', '11 commit'])
    expect(log.get(t.did)).toEqual(['12 account', '13 commit', '14 account', '15 ACCOUNT_INACTIVE'])
    // the store holds inactive accounts only
    expect(accounts.size).toBe(1)
    expect(accounts.get(t.did)).toEqual({ active: false, status: undefined })
    expect(fh.stats.rejected).toBe(4)
  })

  it('a status set in the store directly (a local takedown) gates the same; accountStatus: null handles every account', async () => {
    const [a] = await makeAccounts(1, rng(44), () => 'p256')
    if (!a) throw new Error('no account')
    const keys = staticKeys(keyTable([a]))
    const s = new Script()
    const [a1, a2] = await commits(a, 2, 1100)
    s.commit(a.did, a1 as Commit)
    s.account(a.did, false, 'suspended')
    s.commit(a.did, a2 as Commit)
    const local = new MemoryAccountStatusStore()
    local.set(a.did, { active: false, status: 'takendown' })
    const gated = await run(s, { keys, accountStatus: local, fetchRepo: null })
    expect(gated.log.get(a.did)).toEqual([
      '1 ACCOUNT_INACTIVE takendown',
      '2 account',
      '3 ACCOUNT_INACTIVE suspended',
    ])
    const open = await run(s, { keys, accountStatus: null, fetchRepo: null })
    expect(open.log.get(a.did)).toEqual(['1 commit', '2 account', '3 commit'])
  })
})

describe('#account deleted clears the repository state', () => {
  it('the DID is forgotten, so a repository created again under it starts a new chain; without the delete it would break the old one', async () => {
    const [d, k] = await makeAccounts(2, rng(45), () => 'k256')
    if (!d || !k) throw new Error('no accounts')
    const keys = staticKeys(keyTable([d, k]))
    const [d1, d2, d3] = await commits(d, 3, 1200)
    const [k1, k2] = await commits(k, 2, 1300)
    // The same DID and key, a new repository (as after deletion and creation again).
    const storage = new MemoryRepoStorage()
    const again: Account = {
      ...d,
      storage,
      repo: await Repo.create({ storage, did: d.did, keypair: d.keypair }),
      records: [],
    }
    const [n1, n2] = await commits(again, 2, 1400)
    const script = (deleted: boolean, whileDown = true) => {
      const s = new Script()
      s.commit(d.did, d1 as Commit) // 1
      s.commit(d.did, d2 as Commit) // 2
      s.commit(k.did, k1 as Commit) // 3
      if (deleted) s.account(d.did, false, 'deleted')
      else s.account(d.did, false, 'deactivated') // 4
      if (whileDown) s.commit(d.did, d3 as Commit) // 5: ignored, the account is not active
      s.account(d.did, true) // 6
      s.commit(d.did, n1 as Commit) // 7
      s.commit(d.did, n2 as Commit) // 8
      s.commit(k.did, k2 as Commit) // 9
      return s
    }
    const states = new MemoryRepoStateStore()
    let seenEmpty = false
    const del = await run(script(true), {
      keys,
      repoState: states,
      fetchRepo: null,
      onEvent: (e) => {
        // deliver, then commit: the deletion is committed after the #account event is handled
        if (e.type === 'account' && e.event.active) seenEmpty = states.get(d.did) === undefined
      },
    })
    expect(seenEmpty).toBe(true)
    expect(del.log.get(d.did)).toEqual([
      '1 commit',
      '2 commit',
      '4 account',
      '5 ACCOUNT_INACTIVE deleted',
      '6 account',
      '7 commit',
      '8 commit',
    ])
    expect(del.log.get(k.did)).toEqual(['3 commit', '9 commit'])
    expect(states.get(d.did)?.rev).toBe(n2?.rev)
    expect(states.size).toBe(2)
    // Deactivated, not deleted: the state stays, and the new repository breaks the old chain.
    const kept = await run(script(false), { keys, fetchRepo: null })
    expect(kept.log.get(d.did)).toEqual([
      '1 commit',
      '2 commit',
      '4 account',
      '5 ACCOUNT_INACTIVE deactivated',
      '6 account',
      '7 CHAIN_BREAK',
      '8 commit',
    ])
    // Without status tracking the deletion still clears the state.
    const untracked = new MemoryRepoStateStore()
    const open = await run(script(true, false), {
      keys,
      repoState: untracked,
      accountStatus: null,
      fetchRepo: null,
    })
    expect(open.log.get(d.did)).toEqual([
      '1 commit',
      '2 commit',
      '4 account',
      '5 account',
      '6 commit',
      '7 commit',
    ])
  })
})

describe('#identity drops the cached signing key', () => {
  async function rotation() {
    const [acct] = await makeAccounts(1, rng(45), () => 'k256')
    if (!acct) throw new Error('no account')
    const oldKey = acct.keypair
    const newKey = Secp256k1Keypair.create()
    const c1 = await commit(acct, randomWrites(acct, rng(1)))
    // after the rotation, a commit still signed with the old (say, leaked) key...
    const forged = await acct.repo.formatCommit(randomWrites(acct, rng(2)), oldKey)
    // ...and the account's own next commit with the new key, on the same parent
    acct.keypair = newKey
    const c2 = await commit(acct, randomWrites(acct, rng(3)))
    return { acct, oldKey, newKey, c1, forged, c2 }
  }

  function plc(did: string, key: () => string) {
    let fetches = 0
    const fetch = (async () => {
      fetches++
      const doc = {
        '@context': ['https://www.w3.org/ns/did/v1'],
        id: did,
        alsoKnownAs: ['at://alice.test'],
        verificationMethod: [
          {
            id: `${did}#atproto`,
            type: 'Multikey',
            controller: did,
            publicKeyMultibase: key().slice('did:key:'.length),
          },
        ],
        service: [
          { id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: 'https://pds.test' },
        ],
      }
      return new Response(JSON.stringify(doc), { headers: { 'content-type': 'application/json' } })
    }) as never
    return { fetch, count: () => fetches }
  }

  it('after #identity the next commit resolves the key afresh: one signed with the rotated-out key is BAD_SIGNATURE', async () => {
    const { acct, oldKey, newKey, c1, forged, c2 } = await rotation()
    for (const withIdentity of [true, false]) {
      let served = oldKey
      const p = plc(acct.did, () => served.did())
      const resolver = new IdResolver({ did: { plcUrl: 'https://plc.test', fetch: p.fetch } })
      const s = new Script()
      s.commit(acct.did, c1)
      if (withIdentity) s.identity(acct.did)
      s.commit(acct.did, forged)
      s.commit(acct.did, c2)
      const { log } = await run(s, {
        keys: resolver,
        fetchRepo: null,
        onEvent: (e) => {
          if (e.type === 'commit' && e.seq === 1) served = newKey // the DID document is updated
        },
      })
      if (withIdentity) {
        expect(log.get(acct.did)).toEqual(['1 commit', '2 identity', '3 BAD_SIGNATURE', '4 commit'])
        expect(p.count()).toBe(2) // one lookup per key; the identity event itself fetches nothing
      } else {
        // the control: without the event the cached old key still verifies the forged commit
        expect(log.get(acct.did)?.slice(0, 2)).toEqual(['1 commit', '2 commit'])
      }
    }
  })

  it('invalidateKey: IdResolver and DidResolver caches, a custom invalidateKey, nothing to do for staticKeys', async () => {
    const [acct] = await makeAccounts(1, rng(46), () => 'k256')
    if (!acct) throw new Error('no account')
    const p = plc(acct.did, () => acct.keypair.did())
    const did = new DidResolver({ plcUrl: 'https://plc.test', fetch: p.fetch })
    await did.resolveAtprotoKey(acct.did)
    await did.resolveAtprotoKey(acct.did)
    expect(p.count()).toBe(1)
    expect(await invalidateKey(did, acct.did)).toBe(true)
    await did.resolveAtprotoKey(acct.did)
    expect(p.count()).toBe(2)
    const id = new IdResolver({ did: { plcUrl: 'https://plc.test', fetch: p.fetch } })
    await id.resolveAtprotoKey(acct.did)
    expect(await invalidateKey(id, acct.did)).toBe(true)
    await id.resolveAtprotoKey(acct.did)
    expect(p.count()).toBe(4)
    expect(await invalidateKey(new DidResolver({ cache: null }), acct.did)).toBe(false)
    expect(await invalidateKey(staticKeys({}), acct.did)).toBe(false)
    const dropped: string[] = []
    const custom = { verifySignatureForDid: () => true, invalidateKey: (d: string) => void dropped.push(d) }
    expect(await invalidateKey(custom, acct.did)).toBe(true)
    expect(dropped).toEqual([acct.did])
  })
})
