// The held connection of the Postgres group commit, row by row of its transition table: a fake pool
// and writer whose connects and writes the test lands one at a time, so each transition is seen
// from the state it leaves. The last test checks that the scenarios together took every row.
import { EventEmitter } from 'node:events'
import { cidForCbor, encode } from '@rsky/dag-cbor'
import { afterAll, describe, expect, it } from 'vitest'
import { MirrorError } from '../src/errors.ts'
import type { Conn, SmallRepo } from '../src/postgres-backfill.ts'
import { type GroupWriter, PostgresBackfillGroups } from '../src/postgres-backfill-group.ts'
import {
  GROUP_CONN_TRANSITIONS,
  type GroupConnEvent,
  type GroupConnState,
  GroupConnTransitionError,
  groupConnStep,
} from '../src/postgres-group-state.ts'
import type { DrainResult } from '../src/types.ts'

const STATES: GroupConnState[] = ['idle', 'connecting', 'ready', 'writing', 'closing', 'closed']
const EVENTS: GroupConnEvent[] = [
  'connect',
  'connected',
  'connect-failed',
  'write',
  'written',
  'lost',
  'release',
  'replace',
  'close',
]

interface Deferred<T> {
  promise: Promise<T>
  resolve: (v: T) => void
  reject: (e: unknown) => void
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((a, b) => {
    resolve = a
    reject = b
  })
  return { promise, resolve, reject }
}

class FakeClient extends EventEmitter {
  released: boolean[] = []
  release(broken?: boolean): void {
    this.released.push(broken === true)
  }
}

/** A pool and writer whose every connect and write waits for the test. */
class Fake {
  readonly connects: Deferred<FakeClient>[] = []
  readonly writes: { conn: Conn; dids: string[]; done: Deferred<DrainResult[]> }[] = []
  readonly steps: string[] = []
  readonly groups: PostgresBackfillGroups

  constructor() {
    const writer: GroupWriter = {
      pool: {
        connect: () => {
          const d = deferred<FakeClient>()
          this.connects.push(d)
          return d.promise
        },
      } as unknown as GroupWriter['pool'],
      encode: (repo) => {
        const small: SmallRepo = { did: repo.did, rev: repo.rev, data: repo.data, rows: Buffer.alloc(8) }
        return { small, rows: { bytes: small.rows, count: 1, rest: undefined } }
      },
      streamed: () => Promise.reject(new Error('not here')),
      writeSmall: (conn, group) => {
        const done = deferred<DrainResult[]>()
        this.writes.push({ conn, dids: group.map((m) => m.did), done })
        return done.promise
      },
    }
    this.groups = new PostgresBackfillGroups(writer, {
      onStep: (from, event, to) => {
        this.steps.push(`${from} ${event} ${to}`)
        seen.add(`${from} ${event}`)
      },
    })
  }

  hand(i: number): Promise<DrainResult> {
    return this.groups.complete({ did: `did:plc:fake${i}`, rev: REV, data: DATA, records: [] })
  }

  /** Lands the `n`th connect with a new client. */
  async connected(n: number): Promise<FakeClient> {
    const c = new FakeClient()
    this.connects[n]?.resolve(c)
    await tick()
    return c
  }

  /** Lands the `n`th write, every repository of it clean. */
  async written(n: number): Promise<void> {
    const w = this.writes[n] as Fake['writes'][number]
    w.done.resolve(w.dids.map(() => ({ ...CLEAN })))
    await tick()
  }
}

const REV = '3kaaaaaaaaa22'
const DATA = cidForCbor(encode({ fake: 1 }))
const CLEAN: DrainResult = { applied: 0, skipped: 0, chainBreak: false }
/** Lets promise callbacks run, not timers or setImmediate. */
async function tick(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}
const turn = () => new Promise<void>((r) => setImmediate(r))
/** `from event` pairs the scenarios took. */
const seen = new Set<string>()

describe('group connection transition table', () => {
  it('allows exactly the listed transitions and names the refused ones', () => {
    let allowed = 0
    for (const s of STATES)
      for (const e of EVENTS) {
        const next = GROUP_CONN_TRANSITIONS[s][e]
        if (next !== undefined) {
          allowed++
          expect(groupConnStep(s, e)).toBe(next)
        } else {
          const err = (() => {
            try {
              groupConnStep(s, e)
            } catch (x) {
              return x
            }
          })()
          expect(err).toBeInstanceOf(GroupConnTransitionError)
          expect(err).toMatchObject({ code: 'BAD_GROUP_CONN_TRANSITION', state: s, event: e })
        }
      }
    expect(allowed).toBe(22)
    expect(Object.isFrozen(GROUP_CONN_TRANSITIONS)).toBe(true)
  })
})

describe('the group commit through its transitions', () => {
  it('one backfill: connect, write, keep for a turn, give back; then close and refuse', async () => {
    const f = new Fake()
    const out = f.hand(1)
    expect(f.groups.state).toBe('connecting')
    const c = await f.connected(0)
    expect(f.groups.state).toBe('writing')
    expect(f.writes[0]?.conn.client).toBe(c)
    await f.written(0)
    expect(await out).toEqual(CLEAN)
    // kept for a turn, then given back
    expect(c.released).toEqual([])
    await turn()
    expect(f.groups.state).toBe('idle')
    expect(c.released).toEqual([false])
    expect(c.listenerCount('error')).toBe(0)
    await f.groups.close()
    expect(f.groups.state).toBe('closed')
    await f.groups.close()
    const err = await f.hand(2).catch((e) => e)
    expect(err).toBeInstanceOf(MirrorError)
    expect(err).toMatchObject({ code: 'BAD_DATABASE' })
    expect(f.connects).toHaveLength(1)
    expect(f.steps).toEqual([
      'idle connect connecting',
      'connecting connected ready',
      'ready write writing',
      'writing written ready',
      'ready release idle',
      'idle close closed',
      'closed close closed',
    ])
  })

  it('backfills handed over while writing go together next, on the same connection', async () => {
    const f = new Fake()
    const first = f.hand(1)
    const c = await f.connected(0)
    const more = [f.hand(2), f.hand(3)]
    expect(f.groups.state).toBe('writing')
    await f.written(0)
    expect(f.writes[1]?.dids).toEqual(['did:plc:fake2', 'did:plc:fake3'])
    expect(f.writes[1]?.conn.client).toBe(c)
    await f.written(1)
    await Promise.all([first, ...more])
    // handed over while `ready`: written at once, in the same turn
    const next = f.hand(4)
    expect(f.groups.state).toBe('writing')
    await f.written(2)
    await next
    await turn()
    expect(c.released).toEqual([false])
    expect(f.connects).toHaveLength(1)
  })

  it('a refused connect rejects every backfill waiting; the next one connects again', async () => {
    const f = new Fake()
    const outs = [f.hand(1), f.hand(2)]
    const refused = new Error('too many clients')
    f.connects[0]?.reject(refused)
    expect((await Promise.allSettled(outs)).map((o) => (o as PromiseRejectedResult).reason)).toEqual([
      refused,
      refused,
    ])
    expect(f.groups.state).toBe('idle')
    const again = f.hand(3)
    expect(f.groups.state).toBe('connecting')
    await f.connected(1)
    await f.written(0)
    expect(await again).toEqual(CLEAN)
  })

  it('close() during connect: what waits is written, then the connection is given back', async () => {
    const f = new Fake()
    const out = f.hand(1)
    let closed = false
    const closing = f.groups.close().then(() => {
      closed = true
    })
    expect(f.groups.state).toBe('closing')
    // handed over while closing: still written
    const late = f.hand(2)
    const second = f.groups.close()
    const c = await f.connected(0)
    expect(f.groups.state).toBe('closing')
    // a group takes at most half of the backfills seen waiting at once
    expect(f.writes[0]?.dids).toEqual(['did:plc:fake1'])
    await f.written(0)
    expect(f.writes[1]?.dids).toEqual(['did:plc:fake2'])
    expect(f.writes[1]?.conn.client).toBe(c)
    await f.written(1)
    expect(await out).toEqual(CLEAN)
    expect(await late).toEqual(CLEAN)
    await closing
    await second
    expect(closed).toBe(true)
    expect(f.groups.state).toBe('closed')
    expect(c.released).toEqual([false])
    expect(f.steps).toEqual([
      'idle connect connecting',
      'connecting close closing',
      'closing close closing',
      'closing connected closing',
      'closing write closing',
      'closing written closing',
      'closing write closing',
      'closing written closing',
      'closing release closed',
    ])
  })

  it('close() during a connect the pool refuses: the backfills rejected, closed', async () => {
    const f = new Fake()
    const out = f.hand(1)
    const closing = f.groups.close()
    f.connects[0]?.reject(new Error('refused'))
    await expect(out).rejects.toThrow('refused')
    await closing
    expect(f.steps.at(-1)).toBe('closing connect-failed closed')
  })

  it('close() during a write, and while the connection is kept for its turn', async () => {
    const f = new Fake()
    const out = f.hand(1)
    const c = await f.connected(0)
    const closing = f.groups.close()
    expect(f.groups.state).toBe('closing')
    await f.written(0)
    await out
    await closing
    expect(c.released).toEqual([false])
    expect(f.steps.slice(-3)).toEqual([
      'writing close closing',
      'closing written closing',
      'closing release closed',
    ])

    const g = new Fake()
    const one = g.hand(1)
    const d = await g.connected(0)
    await g.written(0)
    await one
    expect(g.groups.state).toBe('ready')
    await g.groups.close()
    expect(d.released).toEqual([false])
    expect(g.steps.slice(-2)).toEqual(['ready close closing', 'closing release closed'])
  })

  it('a connection lost during a write: given back broken once the write lands, another asked for', async () => {
    const f = new Fake()
    const first = f.hand(1)
    const c = await f.connected(0)
    const second = f.hand(2)
    c.emit('error', new Error('Connection terminated unexpectedly'))
    // a backend can report twice
    c.emit('error', new Error('Connection terminated'))
    expect(f.groups.state).toBe('writing')
    expect(f.writes[0]?.conn.broken).toBe(true)
    expect(c.released).toEqual([])
    ;(f.writes[0] as Fake['writes'][number]).done.reject(new Error('Connection terminated unexpectedly'))
    await tick()
    await expect(first).rejects.toThrow('Connection terminated')
    expect(c.released).toEqual([true])
    expect(f.groups.state).toBe('connecting')
    const d = await f.connected(1)
    expect(f.writes[1]?.conn.client).toBe(d)
    await f.written(1)
    expect(await second).toEqual(CLEAN)
    expect(f.steps).toEqual([
      'idle connect connecting',
      'connecting connected ready',
      'ready write writing',
      'writing lost writing',
      'writing lost writing',
      'writing written ready',
      'ready replace connecting',
      'connecting connected ready',
      'ready write writing',
      'writing written ready',
    ])
  })

  it('a connection lost during a write with nothing else waiting is given back broken at once', async () => {
    const f = new Fake()
    const first = f.hand(1)
    const c = await f.connected(0)
    c.emit('error', new Error('gone'))
    await f.written(0)
    await first
    expect(c.released).toEqual([true])
    expect(f.groups.state).toBe('idle')
    expect(f.steps.slice(-2)).toEqual(['writing written ready', 'ready release idle'])
  })

  it('a connection lost while kept for its turn is given back broken at once', async () => {
    const f = new Fake()
    const first = f.hand(1)
    const c = await f.connected(0)
    await f.written(0)
    await first
    expect(f.groups.state).toBe('ready')
    c.emit('error', new Error('gone'))
    expect(f.groups.state).toBe('idle')
    expect(c.released).toEqual([true])
    expect(f.steps.slice(-2)).toEqual(['ready lost ready', 'ready release idle'])
    await turn()
    expect(c.released).toEqual([true])
  })

  it('a connection lost while closing: the rest written on a new one, then closed', async () => {
    const f = new Fake()
    const first = f.hand(1)
    const c = await f.connected(0)
    const second = f.hand(2)
    const closing = f.groups.close()
    c.emit('error', new Error('gone'))
    expect(f.groups.state).toBe('closing')
    await f.written(0)
    await first
    expect(c.released).toEqual([true])
    const d = await f.connected(1)
    await f.written(1)
    await second
    await closing
    expect(d.released).toEqual([false])
    expect(f.steps.slice(-8)).toEqual([
      'writing close closing',
      'closing lost closing',
      'closing written closing',
      'closing replace closing',
      'closing connected closing',
      'closing write closing',
      'closing written closing',
      'closing release closed',
    ])
  })

  it('a group that fails for a repository of it is written again one by one', async () => {
    const f = new Fake()
    const outs = [f.hand(1)]
    await f.connected(0)
    outs.push(f.hand(2), f.hand(3))
    await f.written(0)
    ;(f.writes[1] as Fake['writes'][number]).done.reject(new Error('a row the server refused'))
    await tick()
    expect(f.writes.slice(2).map((w) => w.dids)).toEqual([['did:plc:fake2']])
    await f.written(2)
    expect(f.writes.slice(3).map((w) => w.dids)).toEqual([['did:plc:fake3']])
    ;(f.writes[3] as Fake['writes'][number]).done.reject(new Error('bad'))
    await tick()
    expect((await Promise.allSettled(outs)).map((o) => o.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
    ])
    expect(f.groups.state).toBe('ready')
  })
})

afterAll(() => {
  // every row of the table was taken by a scenario above
  const rows = STATES.flatMap((s) =>
    EVENTS.filter((e) => GROUP_CONN_TRANSITIONS[s][e] !== undefined).map((e) => `${s} ${e}`),
  )
  expect(rows.filter((r) => !seen.has(r))).toEqual([])
})
