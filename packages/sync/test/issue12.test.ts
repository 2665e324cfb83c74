// Issue 12: no event lost, skipped or stalled when anything fails. One test per numbered case
// (cases 11 and 12 are in host.test.ts and firehose.test.ts; 9 and 10 in clients.test.ts).
import { exportRepoCarBytes } from '@rsky/repo'
import { describe, expect, it } from 'vitest'
import { authenticateCommit } from '../src/authenticate.ts'
import { MemoryCursorStore } from '../src/cursor.ts'
import { Firehose, FirehoseError, type FirehoseEvent, type FirehoseOptions } from '../src/firehose.ts'
import { staticKeys } from '../src/keys.ts'
import { MemoryRepoStateStore, type RepoState } from '../src/repo-state.ts'
import { MemorySyncStore } from '../src/sync-store.ts'
import { commitEventOf } from './fixtures.ts'
import { type Commit, Script } from './script.ts'
import { startReplayServer } from './server.ts'
import { type Account, commit, commitBody, keyTable, makeAccounts, randomWrites, rng } from './stream.ts'

const FAST = { minDelayMs: 5, maxDelayMs: 20 }
const QUICK_RETRY = { attempts: 3, minDelayMs: 5, maxDelayMs: 10 }

async function commits(acct: Account, n: number, seed: number): Promise<Commit[]> {
  const out: Commit[] = []
  for (let i = 0; i < n; i++) out.push(await commit(acct, randomWrites(acct, rng(seed + i))))
  return out
}

interface Run {
  fh: Firehose
  delivered: string[]
  rejected: string[]
  errors: unknown[]
}

/** Runs a Firehose over `script` until `until` holds (polled), then stops it. */
async function runUntil(
  script: Script,
  opts: Partial<FirehoseOptions>,
  until: (r: Run) => boolean,
  limitMs = 15_000,
): Promise<Run> {
  const server = await startReplayServer(script.items)
  const run: Run = { fh: undefined as unknown as Firehose, delivered: [], rejected: [], errors: [] }
  run.fh = new Firehose({
    service: server.url,
    reconnect: FAST,
    retry: QUICK_RETRY,
    fetchRepo: null,
    onError: (e) => run.errors.push(e),
    onReject: (r) => run.rejected.push(`${r.seq} ${r.code}`),
    ...opts,
    onEvent: async (e) => {
      await opts.onEvent?.(e)
      run.delivered.push(`${'seq' in e ? e.seq : '-'} ${e.type}`)
    },
  })
  try {
    await run.fh.start()
    const end = Date.now() + limitMs
    while (!until(run)) {
      if (Date.now() > end)
        throw new Error(`condition not reached; state=${run.fh.state()} cursor=${run.fh.cursor}`)
      await new Promise((r) => setTimeout(r, 5))
    }
    await run.fh.stop()
  } finally {
    await server.close()
  }
  return run
}

describe('issue 12: every failure path delivers again, never skips', () => {
  it('case 1: a #sync with the stored tree under a newer rev does not resynchronize a desynchronized repo without a resync', async () => {
    const [x] = await makeAccounts(1, rng(1201), () => 'k256')
    if (!x) throw new Error('no account')
    const keys = staticKeys(keyTable([x]))
    const [c1, , c3] = await commits(x, 3, 10) // c2 is never on the stream
    const c4 = await commit(x, []) // same tree as c3, newer rev
    const car4 = await exportRepoCarBytes(x.storage)
    const s = new Script()
    s.commit(x.did, c1 as Commit) // 1
    s.commit(x.did, c3 as Commit) // 2: chain break; the first resync fails
    s.sync(x.did, c4) // 3: tree equals the stored (c3) tree
    let fetches = 0
    const resynced: string[] = []
    const store = new MemoryRepoStateStore()
    await runUntil(
      s,
      {
        keys,
        repoState: store,
        fetchRepo: async () => {
          if (++fetches === 1) throw new Error('host down')
          return car4
        },
        resyncBackoff: { minDelayMs: 0, maxDelayMs: 0 },
        onResync: (r) => {
          resynced.push(r.rev)
        },
      },
      (r) => r.fh.cursor === 3,
    )
    // the commits missed between c1 and c3 reach the consumer through the resync
    expect(resynced).toEqual([c4.rev])
    expect(store.get(x.did)).toMatchObject({ rev: c4.rev, status: 'synchronized' })
  })

  it('case 2: a handler that fails is delivered again after a restart with a persistent store, not lost as STALE_REV', async () => {
    const [x] = await makeAccounts(1, rng(1202), () => 'k256')
    if (!x) throw new Error('no account')
    const keys = staticKeys(keyTable([x]))
    const cs = await commits(x, 4, 20)
    const s = new Script()
    for (const c of cs) s.commit(x.did, c)
    const repoState = new MemoryRepoStateStore()
    const cursorStore = new MemoryCursorStore()
    const seen: number[] = []
    // run 1: the handler crashes on seq 2 every time; the client gives up on it
    const first = await runUntil(
      s,
      {
        keys,
        repoState,
        cursorStore,
        onEvent: (e: FirehoseEvent) => {
          if ('seq' in e && e.seq === 2) throw new Error('handler crashed')
          if ('seq' in e) seen.push(e.seq)
        },
      },
      (r) => r.fh.state() === 'failed',
    )
    expect(first.fh.status().error?.code).toBe('DELIVERY_FAILED')
    expect(cursorStore.cursor ?? 0).toBeLessThan(2)
    // run 2 (a restart on the same stores): seq 2 is delivered, nothing is rejected
    const second = await runUntil(
      s,
      {
        keys,
        repoState,
        cursorStore,
        onEvent: (e: FirehoseEvent) => {
          if ('seq' in e) seen.push(e.seq)
        },
      },
      (r) => r.fh.cursor === 4,
    )
    expect(second.rejected).toEqual([])
    expect(seen).toContain(2)
    expect([...new Set(seen)].sort()).toEqual([1, 2, 3, 4])
    expect(repoState.get(x.did)?.rev).toBe(cs[3]?.rev)
  })

  it('case 3: a burst of #info and unknown frames while paused does not leave the socket paused', async () => {
    const [x] = await makeAccounts(1, rng(1203), () => 'k256')
    if (!x) throw new Error('no account')
    const keys = staticKeys(keyTable([x]))
    const cs = await commits(x, 40, 30)
    const s = new Script()
    for (let i = 0; i < 400; i++) s.raw('#somethingNew', { seq: 0, note: i })
    for (const c of cs) s.commit(x.did, c)
    const run = await runUntil(
      s,
      {
        keys,
        maxQueue: 8,
        onEvent: async () => {
          await new Promise((r) => setTimeout(r, 0))
        },
      },
      (r) => r.fh.cursor === s.seq,
    )
    expect(run.delivered.filter((d) => d.endsWith('commit')).length).toBe(40)
    expect(run.delivered.filter((d) => d.endsWith('unknown')).length).toBe(400)
  })

  it('case 4: a state-store failure outside the handler is retried; the event is delivered and the cursor waits for it', async () => {
    const [x] = await makeAccounts(1, rng(1204), () => 'k256')
    if (!x) throw new Error('no account')
    const keys = staticKeys(keyTable([x]))
    const cs = await commits(x, 5, 40)
    const s = new Script()
    for (const c of cs) s.commit(x.did, c)
    let failed = 0
    const inner = new MemoryRepoStateStore()
    const flaky = {
      get: (did: string) => inner.get(did),
      set: (did: string, st: RepoState) => {
        if (st.rev === cs[2]?.rev && failed++ === 0) throw new Error('database went away')
        inner.set(did, st)
      },
      delete: (did: string) => inner.delete(did),
    }
    const cursorStore = new MemoryCursorStore()
    const run = await runUntil(s, { keys, repoState: flaky, cursorStore }, (r) => r.fh.cursor === 5)
    expect(failed).toBe(2)
    expect(run.rejected).toEqual([])
    expect(run.fh.stats.retries).toBe(1)
    // delivered at least once each (seq 3 twice: delivered, then the commit failed), in order
    expect([...new Set(run.delivered)]).toEqual(['1 commit', '2 commit', '3 commit', '4 commit', '5 commit'])
    expect(inner.get(x.did)?.rev).toBe(cs[4]?.rev)
    expect(cursorStore.cursor).toBe(5)
  })

  it('case 5: onResync throwing leaves the repo desynchronized and the resync is tried again', async () => {
    const [x] = await makeAccounts(1, rng(1205), () => 'k256')
    if (!x) throw new Error('no account')
    const keys = staticKeys(keyTable([x]))
    const [c1, , c3] = await commits(x, 3, 50)
    const car3 = await exportRepoCarBytes(x.storage)
    const [c4] = await commits(x, 1, 60)
    const s = new Script()
    s.commit(x.did, c1 as Commit)
    s.commit(x.did, c3 as Commit) // chain break: resync
    s.commit(x.did, c4 as Commit)
    let calls = 0
    let applied = 0
    const store = new MemoryRepoStateStore()
    const run = await runUntil(
      s,
      {
        keys,
        repoState: store,
        fetchRepo: async () => car3,
        onResync: () => {
          if (++calls === 1) throw new Error('indexer busy')
          applied++
        },
      },
      (r) => r.fh.cursor === 3,
    )
    expect(calls).toBe(2)
    expect(applied).toBe(1)
    expect(run.delivered).toEqual(['1 commit', '3 commit'])
    expect(store.get(x.did)).toMatchObject({ rev: c4?.rev, status: 'synchronized' })
  })

  it('case 6: a sequence going backwards is an error and a reconnect, not silent duplicates', async () => {
    const [x] = await makeAccounts(1, rng(1206), () => 'k256')
    if (!x) throw new Error('no account')
    const keys = staticKeys(keyTable([x]))
    const cs = await commits(x, 4, 70)
    const s = new Script()
    for (const c of cs.slice(0, 3)) s.commit(x.did, c)
    // a relay reset: seq 2 comes again, with the next commit
    const reset = new Script()
    reset.seq = 1
    reset.commit(x.did, cs[3] as Commit)
    s.items.push({ kind: 'once', frame: (reset.items[0] as { frame: Uint8Array }).frame })
    const server = await startReplayServer(s.items)
    const errors: unknown[] = []
    const fh = new Firehose({
      service: server.url,
      keys,
      fetchRepo: null,
      reconnect: FAST,
      onEvent: () => {},
      onError: (e) => errors.push(e),
    })
    try {
      await fh.start()
      const end = Date.now() + 10_000
      while (server.connections.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 5))
      await fh.stop()
    } finally {
      await server.close()
    }
    expect(errors.some((e) => e instanceof FirehoseError && e.code === 'SEQUENCE_RESET')).toBe(true)
    expect(server.connections.length).toBeGreaterThanOrEqual(2)
    expect(fh.stats.duplicates).toBe(0)
  })

  it('case 7: the cursor never passes an unknown-type event whose handler is still running', async () => {
    const [x] = await makeAccounts(1, rng(1207), () => 'k256')
    if (!x) throw new Error('no account')
    const keys = staticKeys(keyTable([x]))
    const [c1] = await commits(x, 1, 80)
    const s = new Script()
    s.raw('#somethingNew', { seq: 0 }) // 1
    s.commit(x.did, c1 as Commit) // 2
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    const cursors: (number | undefined)[] = []
    const run = await runUntil(
      s,
      {
        keys,
        onEvent: async (e) => {
          if (e.type === 'unknown') await gate
        },
      },
      (r) => {
        if (r.delivered.includes('2 commit') && cursors.length < 20) {
          cursors.push(r.fh.cursor)
          if (cursors.length === 20) release()
        }
        return r.fh.cursor === 2
      },
    )
    expect(cursors.length).toBe(20)
    expect(cursors.every((c) => c === undefined)).toBe(true)
    expect(run.delivered).toContain('- unknown')
  })

  it('case 13: a handler that never settles times out, is retried, and stop() returns; the cursor stays before it', async () => {
    const [x] = await makeAccounts(1, rng(1213), () => 'k256')
    if (!x) throw new Error('no account')
    const keys = staticKeys(keyTable([x]))
    const cs = await commits(x, 3, 90)
    const s = new Script()
    for (const c of cs) s.commit(x.did, c)
    const states: string[] = []
    const run = await runUntil(
      s,
      {
        keys,
        handlerTimeoutMs: 30,
        onStateChange: (st) => states.push(st),
        onEvent: (e) => (e.type === 'commit' && e.seq === 2 ? new Promise<void>(() => {}) : undefined),
      },
      (r) => r.fh.state() === 'failed',
    )
    expect(run.errors.filter((e) => e instanceof FirehoseError && e.code === 'HANDLER_TIMEOUT').length).toBe(
      3,
    )
    expect(run.fh.status().error?.code).toBe('DELIVERY_FAILED')
    expect(run.fh.cursor).toBe(1)
    expect(states).toEqual(['connecting', 'open', 'failed'])
  })

  it('case 13: stop() called (not awaited) from inside a handler stops after that handler', async () => {
    const [x] = await makeAccounts(1, rng(1214), () => 'k256')
    if (!x) throw new Error('no account')
    const keys = staticKeys(keyTable([x]))
    const cs = await commits(x, 6, 100)
    const s = new Script()
    for (const c of cs) s.commit(x.did, c)
    const server = await startReplayServer(s.items)
    let stopped: Promise<void> | undefined
    const fh = new Firehose({
      service: server.url,
      keys,
      fetchRepo: null,
      onEvent: (e) => {
        if (e.type === 'commit' && e.seq === 3) stopped = fh.stop()
      },
    })
    try {
      await fh.start()
      const end = Date.now() + 10_000
      while (stopped === undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 5))
      await stopped
    } finally {
      await server.close()
    }
    expect(fh.state()).toBe('stopped')
    expect(fh.cursor).toBeGreaterThanOrEqual(3)
  })

  it('case 13: a FutureCursor error frame leaves the client failed with a reason, not silently stopped', async () => {
    const { encodeErrorFrame } = await import('../src/frame.ts')
    const server = await startReplayServer([
      { kind: 'once', frame: encodeErrorFrame('FutureCursor', 'too far') },
    ])
    const fh = new Firehose({
      service: server.url,
      keys: staticKeys(new Map()),
      fetchRepo: null,
      onEvent: () => {},
    })
    try {
      await fh.start()
      const end = Date.now() + 10_000
      while (fh.state() !== 'failed' && Date.now() < end) await new Promise((r) => setTimeout(r, 5))
      await fh.stop()
    } finally {
      await server.close()
    }
    expect(fh.state()).toBe('failed')
    expect(fh.status().error?.code).toBe('FUTURE_CURSOR')
  })

  it('case 13: running out of reconnect attempts leaves the client failed with a reason', async () => {
    const server = await startReplayServer([])
    const url = server.url
    await server.close() // nothing listens there any more
    const fh = new Firehose({
      service: url,
      keys: staticKeys(new Map()),
      fetchRepo: null,
      reconnect: { minDelayMs: 1, maxDelayMs: 2, maxAttempts: 2 },
      onEvent: () => {},
      onError: () => {},
    })
    await fh.start()
    const end = Date.now() + 10_000
    while (fh.state() !== 'failed' && Date.now() < end) await new Promise((r) => setTimeout(r, 5))
    await fh.stop()
    expect(fh.state()).toBe('failed')
    expect(fh.status().error?.code).toBe('RECONNECT_EXHAUSTED')
  })

  it('case 13: the queue is bounded in bytes as well as events', async () => {
    const [x] = await makeAccounts(1, rng(1215), () => 'k256')
    if (!x) throw new Error('no account')
    const keys = staticKeys(keyTable([x]))
    const s = new Script()
    for (let i = 0; i < 60; i++) s.raw('#somethingNew', { seq: 0, pad: new Uint8Array(20_000) })
    let maxBytes = 0
    await runUntil(
      s,
      {
        keys,
        maxQueue: 1000,
        maxQueueBytes: 64 * 1024,
        onEvent: async () => {
          await new Promise((r) => setTimeout(r, 1))
        },
      },
      (r) => {
        maxBytes = Math.max(maxBytes, r.fh.status().pendingBytes)
        return r.fh.cursor === 60
      },
    )
    // a paused socket may still hand over what it had read: a few frames past the cap, not all 60
    expect(maxBytes).toBeLessThan(60 * 20_000)
    expect(maxBytes).toBeLessThanOrEqual(64 * 1024 + 8 * 20_100)
  })
})

describe('ergonomics: filter, stores from another run, lenient mode', () => {
  it('lenient: a commit without prevData is delivered and its state marked unproven; strictly it is rejected', async () => {
    const [x] = await makeAccounts(1, rng(1240), () => 'k256')
    if (!x) throw new Error('no account')
    const keys = staticKeys(keyTable([x]))
    const [c1, c2] = await commits(x, 2, 500)
    const s = new Script()
    s.commit(x.did, c1 as Commit)
    const body = commitBody(x.did, 0, c2 as Commit)
    delete body.prevData
    s.raw('#commit', body)
    const strict = await runUntil(s, { keys }, (r) => r.fh.cursor === 2)
    expect(strict.rejected).toEqual(['2 MISSING_PREV_DATA'])
    const store = new MemorySyncStore()
    const lenient = await runUntil(s, { keys, store, lenient: true }, (r) => r.fh.cursor === 2)
    expect(lenient.rejected).toEqual([])
    expect(lenient.delivered).toEqual(['1 commit', '2 commit'])
    expect(store.getRepo(x.did)).toMatchObject({ rev: c2?.rev, unproven: true })
  })

  it('a repository left desynchronized by a run that could resync re-bases when there is no fetcher', async () => {
    const [x] = await makeAccounts(1, rng(1230), () => 'k256')
    if (!x) throw new Error('no account')
    const keys = staticKeys(keyTable([x]))
    const [c1, c2] = await commits(x, 2, 400)
    const first = await authenticateCommit(commitEventOf(commitBody(x.did, 1, c1 as Commit)), { keys })
    if (!first.success) throw new Error(first.code)
    const store = new MemorySyncStore()
    store.commit({
      repos: [
        {
          did: x.did,
          state: { rev: first.value.rev, data: first.value.data, status: 'desynchronized', seq: 1 },
        },
      ],
    })
    const s = new Script()
    s.seq = 1
    s.commit(x.did, c2 as Commit)
    const run = await runUntil(s, { keys, store, fetchRepo: null }, (r) => r.fh.cursor === 2)
    expect(run.delivered).toEqual(['2 commit'])
    expect(run.errors).toEqual([])
    expect(store.getRepo(x.did)).toMatchObject({ rev: c2?.rev, status: 'synchronized', unproven: true })
  })

  it('filter by DID skips other DIDs before any work; by collection delivers only matching ops', async () => {
    const [x, y] = await makeAccounts(2, rng(1220), () => 'k256')
    if (!x || !y) throw new Error('no accounts')
    const keys = staticKeys(keyTable([x, y]))
    const s = new Script()
    for (const c of await commits(x, 4, 200)) s.commit(x.did, c)
    for (const c of await commits(y, 3, 300)) s.commit(y.did, c)
    const ops: string[] = []
    const byDid = await runUntil(
      s,
      {
        keys,
        filter: { dids: [y.did] },
        onEvent: (e) => {
          if (e.type === 'commit') ops.push(e.did)
        },
      },
      (r) => r.fh.cursor === s.seq,
    )
    expect(new Set(ops)).toEqual(new Set([y.did]))
    expect(ops.length).toBe(3)
    expect(byDid.fh.stats.filtered).toBe(4)
    const collections = new Set<string>()
    await runUntil(
      s,
      {
        keys,
        filter: { collections: ['app.bsky.feed.*'] },
        onEvent: (e) => {
          if (e.type === 'commit') for (const op of e.verified?.ops ?? []) collections.add(op.collection)
        },
      },
      (r) => r.fh.cursor === s.seq,
    )
    expect(collections.size).toBeGreaterThan(0)
    for (const c of collections) expect(c.startsWith('app.bsky.feed.')).toBe(true)
  })
})
