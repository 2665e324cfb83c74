// CommitAuthPool: the same answers as authenticateCommit, on worker threads, spread by DID.
import { Worker } from 'node:worker_threads'
import { Secp256k1Keypair } from '@rsky/crypto'
import { encode } from '@rsky/dag-cbor'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticateCommit, type CommitAuthResult } from '../src/authenticate.ts'
import type { CommitEvent } from '../src/events.ts'
import { encodeMessageFrame } from '../src/frame.ts'
import { type KeyResolver, staticKeys } from '../src/keys.ts'
import { AuthPoolError, CommitAuthPool, defaultAuthThreads } from '../src/node.ts'
import type { RepoState } from '../src/repo-state.ts'
import { commitEventOf, replayThroughFirehose, seededStream } from './fixtures.ts'
import type { ScriptItem } from './server.ts'
import {
  type Account,
  commit,
  commitBody,
  generateStream,
  keyTable,
  makeAccounts,
  randomWrites,
  rng,
  type StreamEvent,
} from './stream.ts'

function summary(r: CommitAuthResult): unknown {
  if (!r.success)
    return {
      code: r.code,
      resync: r.resync,
      verified: r.verified
        ? [
            r.verified.seq,
            r.verified.did,
            r.verified.rev,
            r.verified.commit.toString(),
            r.verified.data.toString(),
          ]
        : null,
    }
  const v = r.value
  return {
    rev: v.rev,
    data: v.data.toString(),
    prevData: v.prevData.toString(),
    commit: v.commit.toString(),
    blocks: v.blocks.size,
    ops: v.ops.map((o) => [
      o.action,
      o.collection,
      o.rkey,
      String(o.cid),
      String(o.prev),
      o.record?.length ?? null,
    ]),
  }
}

describe('CommitAuthPool', () => {
  let pool: CommitAuthPool
  let accounts: Account[]
  let stream: StreamEvent[]
  beforeAll(async () => {
    pool = new CommitAuthPool({ threads: 2 })
    ;({ accounts, stream } = await seededStream(4242, 12, 300, { commitsOnly: true }))
  }, 60_000)
  afterAll(async () => {
    await pool?.close()
  })

  it('agrees with authenticateCommit on every commit of a chained stream, and on hostile variants', async () => {
    const keys = staticKeys(keyTable(accounts))
    const states = new Map<string, RepoState>()
    for (const [i, e] of stream.entries()) {
      const evt = commitEventOf(e.body)
      const prior = states.get(e.did)
      const inline = await authenticateCommit(evt, { keys, prior })
      const pooled = await pool.authenticateCommit(evt, { keys, prior })
      expect(summary(pooled)).toEqual(summary(inline))
      if (!inline.success) throw new Error(inline.message)
      if (i % 25 === 0) {
        // a replay (stale), a forged key, a dropped op and a missing prior step give the same reasons
        const forged = staticKeys(new Map([[e.did, Secp256k1Keypair.create().did()]]))
        const variants: [CommitEvent, RepoState | undefined, KeyResolver][] = [
          [evt, { rev: evt.rev, data: inline.value.data, status: 'synchronized' }, keys],
          [evt, prior, forged],
          [{ ...evt, ops: evt.ops.slice(1) }, prior, keys],
          [evt, prior ? { ...prior, rev: '2222222222222' } : undefined, keys],
        ]
        for (const [ve, vp, vk] of variants) {
          const a = await authenticateCommit(ve, { keys: vk, prior: vp })
          const b = await pool.authenticateCommit(ve, { keys: vk, prior: vp })
          expect(summary(b)).toEqual(summary(a))
        }
      }
      states.set(e.did, { rev: inline.value.rev, data: inline.value.data, status: 'synchronized' })
    }
  })

  it("takes the event's own body as it is (same answers), and refuses a body of another event", async () => {
    const keys = staticKeys(keyTable(accounts))
    const [a, b] = stream as [StreamEvent, StreamEvent]
    const evt = commitEventOf(a.body)
    const inline = await authenticateCommit(evt, { keys })
    const pooled = await pool.authenticateCommit(evt, { keys, body: encode(a.body) })
    expect(summary(pooled)).toEqual(summary(inline))
    await expect(pool.authenticateCommit(evt, { keys, body: encode(b.body) })).rejects.toThrow(TypeError)
  })

  it('batches: commits sent all at once come back in order per DID, and a bad one fails alone', async () => {
    const keys = staticKeys(keyTable(accounts))
    // every commit with the prior it chains from, computed inline, then one forged and one dropped op
    const jobs: { evt: CommitEvent; prior: RepoState | undefined; keys: KeyResolver }[] = []
    const states = new Map<string, RepoState>()
    for (const [i, e] of stream.entries()) {
      const evt = commitEventOf(e.body)
      const prior = states.get(e.did)
      jobs.push({ evt, prior, keys })
      if (i === 40)
        jobs.push({ evt, prior, keys: staticKeys(new Map([[e.did, Secp256k1Keypair.create().did()]])) })
      if (i === 41) jobs.push({ evt: { ...evt, ops: evt.ops.slice(1) }, prior, keys })
      const r = await authenticateCommit(evt, { keys, prior })
      if (!r.success) throw new Error(r.message)
      states.set(e.did, { rev: r.value.rev, data: r.value.data, status: 'synchronized' })
    }
    const expected = await Promise.all(
      jobs.map((j) => authenticateCommit(j.evt, { keys: j.keys, prior: j.prior })),
    )
    const finished = new Map<string, number[]>()
    const got = await Promise.all(
      jobs.map((j, i) =>
        pool.authenticateCommit(j.evt, { keys: j.keys, prior: j.prior }).then((r) => {
          const list = finished.get(j.evt.repo) ?? []
          list.push(i)
          finished.set(j.evt.repo, list)
          return r
        }),
      ),
    )
    expect(got.map(summary)).toEqual(expected.map(summary))
    expect(got.filter((r) => !r.success).map((r) => !r.success && r.code)).toEqual([
      'BAD_SIGNATURE',
      'BROKEN_PROOF',
    ])
    for (const list of finished.values()) expect(list).toEqual([...list].sort((a, b) => a - b))
    expect([...finished.values()].reduce((n, l) => n + l.length, 0)).toBe(jobs.length)
  })

  it('resolves the key on the main thread and refreshes it once after a bad signature', async () => {
    const [acct] = await makeAccounts(1, rng(77), () => 'p256')
    if (!acct) throw new Error('no account')
    const real = acct.keypair.did()
    const calls: string[] = []
    let current = Secp256k1Keypair.create().did() // stale: the cache names an old key
    const keys: KeyResolver = {
      resolveAtprotoKey(_did, opts) {
        calls.push(opts?.forceRefresh ? 'refresh' : 'cached')
        if (opts?.forceRefresh) current = real
        return current
      },
      verifySignatureForDid: () => {
        throw new Error('not used by the pool')
      },
    }
    const body = commitBody(acct.did, 1, await commit(acct, randomWrites(acct, rng(1))))
    expect((await pool.authenticateCommit(commitEventOf(body), { keys })).success).toBe(true)
    expect(calls).toEqual(['cached', 'refresh'])
    // a forged commit: one refresh, the same key comes back, no second attempt
    acct.keypair = Secp256k1Keypair.create()
    calls.length = 0
    const forged = commitBody(acct.did, 2, await commit(acct, randomWrites(acct, rng(2))))
    expect(await pool.authenticateCommit(commitEventOf(forged), { keys })).toMatchObject({
      code: 'BAD_SIGNATURE',
    })
    expect(calls).toEqual(['cached', 'refresh'])
    const broken: KeyResolver = { ...keys, resolveAtprotoKey: () => Promise.reject(new Error('plc down')) }
    expect(await pool.authenticateCommit(commitEventOf(body), { keys: broken })).toMatchObject({
      code: 'KEY_UNAVAILABLE',
    })
    await expect(
      pool.authenticateCommit(commitEventOf(body), { keys: { verifySignatureForDid: () => true } }),
    ).rejects.toThrow(TypeError)
  })

  it('drives a Firehose: every commit verified once, in order per DID', async () => {
    const rand = rng(99)
    const accts = await makeAccounts(20, rand)
    const events = await generateStream(accts, 400, rand)
    const script: ScriptItem[] = events.map((e) => ({
      kind: 'event',
      seq: e.seq,
      frame: encodeMessageFrame(e.t, e.body),
    }))
    script.splice(150, 0, { kind: 'disconnect' })
    const seen = new Map<number, number>()
    const lastRev = new Map<string, string>()
    const options = {
      keys: staticKeys(keyTable(accts)),
      authenticator: pool,
      fetchRepo: null,
      reconnect: { minDelayMs: 5, maxDelayMs: 30 },
    }
    const { rejected } = await replayThroughFirehose(script, options, (e, done) => {
      if (!('seq' in e)) return
      seen.set(e.seq, (seen.get(e.seq) ?? 0) + 1)
      if (e.type === 'commit') {
        expect(e.verified?.ops.length).toBe(e.event.ops.length)
        const prev = lastRev.get(e.did)
        if (prev !== undefined) expect(e.event.rev > prev).toBe(true)
        lastRev.set(e.did, e.event.rev)
      }
      if (seen.size === events.length) done()
    })
    expect(rejected).toEqual([])
    expect([...seen.values()].every((n) => n === 1)).toBe(true)
  }, 60_000)

  it('defaults to four fifths of the cores, at least one thread', () => {
    const table: [number, number][] = [
      [1, 1],
      [2, 2],
      [3, 2],
      [4, 3],
      [8, 6],
      [16, 13],
    ]
    for (const [cores, threads] of table) expect(defaultAuthThreads(cores)).toBe(threads)
    expect(table.length).toBeGreaterThan(0)
  })

  it('rejects with POOL_CLOSED after close', async () => {
    const p = new CommitAuthPool({ threads: 1 })
    await p.close()
    const e = stream[0] as StreamEvent
    await expect(
      p.authenticateCommit(commitEventOf(e.body), { keys: staticKeys(keyTable(accounts)) }),
    ).rejects.toThrow(AuthPoolError)
    expect(() => new CommitAuthPool({ threads: 0 })).toThrow(RangeError)
  })

  it('a worker dying mid-batch rejects its in-flight commits with WORKER_FAILED; a new worker takes the queue', async () => {
    const keys = staticKeys(keyTable(accounts))
    const p = new CommitAuthPool({ threads: 1 })
    // catch the pool's worker as it is sent its first batch (no hook in the pool itself)
    const post = Worker.prototype.postMessage
    const sentTo: Worker[] = []
    Worker.prototype.postMessage = function (this: Worker, ...args: Parameters<Worker['postMessage']>) {
      sentTo.push(this)
      return post.apply(this, args)
    }
    try {
      const evts = stream.slice(0, 160).map((e) => commitEventOf(e.body))
      const results = evts.map((evt) =>
        p.authenticateCommit(evt, { keys }).then(
          (r) => ({ ok: r }),
          (err: unknown) => ({ err }),
        ),
      )
      // the first batches leave on the next turn of the event loop; kill the worker right after
      while (sentTo.length === 0) await new Promise((r) => setImmediate(r))
      const first = sentTo[0] as Worker
      await first.terminate()
      const out = await Promise.all(results)
      let failed = 0
      let firstFailed = -1
      for (const [i, r] of out.entries()) {
        if ('err' in r) {
          expect(r.err).toBeInstanceOf(AuthPoolError)
          expect((r.err as AuthPoolError).code).toBe('WORKER_FAILED')
          // only what was in flight fails (one contiguous run); what was queued ran on the replacement
          if (firstFailed < 0) firstFailed = i
          expect(i).toBe(firstFailed + failed)
          failed++
        } else {
          expect(summary(r.ok)).toEqual(summary(await authenticateCommit(evts[i] as CommitEvent, { keys })))
        }
      }
      expect(failed).toBeGreaterThan(0)
      expect(failed).toBeLessThan(evts.length)
      // the replacement is a different thread
      expect(sentTo.some((w) => w !== first)).toBe(true)
    } finally {
      Worker.prototype.postMessage = post
      await p.close()
    }
  }, 60_000)
})
