import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BlockMap, readCarWithRoot, writeCar } from '@rsky/car'
import { Secp256k1Keypair } from '@rsky/crypto'
import type { Cid, LexMap } from '@rsky/dag-cbor'
import { decodeCommit, encodeCommit, exportRepoCarBytes, signCommit } from '@rsky/repo'
import { Tid } from '@rsky/syntax'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Firehose, type FirehoseEvent, type FirehoseRejection } from '../src/firehose.ts'
import { encodeErrorFrame, encodeMessageFrame } from '../src/frame.ts'
import { staticKeys } from '../src/keys.ts'
import { FileCursorStore } from '../src/node.ts'
import { MemoryRepoStateStore } from '../src/repo-state.ts'
import { type ReplayServer, type ScriptItem, startReplayServer } from './server.ts'
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

const FAST = { minDelayMs: 5, maxDelayMs: 40 }

function withSeq(body: LexMap, seq: number): LexMap {
  return { ...body, seq }
}

function frameOf(t: string, body: LexMap): Uint8Array {
  return encodeMessageFrame(t, body)
}

function forge(body: LexMap): LexMap {
  const { root, blocks } = readCarWithRoot(body.blocks as Uint8Array)
  const c = decodeCommit(blocks.get(root) as Uint8Array)
  const { sig: _s, ...unsigned } = c as unknown as { sig: Uint8Array } & LexMap
  return { ...body, __resign: unsigned } as LexMap
}

async function resign(body: LexMap): Promise<LexMap> {
  const { __resign: unsigned, ...rest } = body as LexMap & { __resign: LexMap }
  const signed = await signCommit(unsigned as never, Secp256k1Keypair.create())
  const enc = encodeCommit(signed)
  const { root, blocks } = readCarWithRoot(rest.blocks as Uint8Array)
  const nb = new BlockMap()
  for (const [cid, b] of blocks) if (!cid.equals(root)) nb.set(cid, b)
  nb.set(enc.cid, enc.bytes)
  return { ...rest, commit: enc.cid, blocks: writeCar([enc.cid], nb) }
}

function dropDataNode(body: LexMap): LexMap {
  const { root, blocks } = readCarWithRoot(body.blocks as Uint8Array)
  const c = decodeCommit(blocks.get(root) as Uint8Array)
  const nb = new BlockMap()
  for (const [cid, b] of blocks) if (!cid.equals(c.data)) nb.set(cid, b)
  return { ...body, blocks: writeCar([root], nb) }
}

describe('Firehose against a real loopback server', () => {
  let accounts: Account[]
  let valid: StreamEvent[]
  let script: ScriptItem[]
  const expectedReject = new Map<number, string>()
  const expectedDeliver = new Set<number>()
  let skipperCar: Uint8Array
  let skipper: Account
  let server: ReplayServer
  let keys: ReturnType<typeof staticKeys>

  beforeAll(async () => {
    const rand = rng(2024)
    accounts = await makeAccounts(40, rand)
    valid = await generateStream(accounts, 2000, rand, 1)
    // a repository whose stream skips one commit: the next one breaks the chain, a resync follows
    skipper = (await makeAccounts(1, rng(77), () => 'p256'))[0] as Account
    keys = staticKeys(keyTable([...accounts, skipper]))
    const sk: LexMap[] = []
    for (let i = 0; i < 5; i++) {
      const c = await commit(skipper, randomWrites(skipper, rng(300 + i)))
      sk.push(commitBody(skipper.did, 0, c))
      if (i === 3) skipperCar = await exportRepoCarBytes(skipper.storage)
    }

    script = []
    let seq = 1
    const push = (t: string, body: LexMap, expect: 'deliver' | string) => {
      const b = withSeq(body, seq)
      script.push({ kind: 'event', seq, frame: frameOf(t, b) })
      if (expect === 'deliver') expectedDeliver.add(seq)
      else expectedReject.set(seq, expect)
      seq++
    }
    const hostile = [
      async (b: LexMap) => ['BAD_SIGNATURE', await resign(forge(b))] as const,
      async (b: LexMap) => ['BROKEN_PROOF', dropDataNode(b)] as const,
      async (b: LexMap) => {
        const ops = b.ops as LexMap[]
        return [
          ops.length > 1 ? 'BROKEN_PROOF' : 'BAD_EVENT',
          { ...b, ops: ops.length > 1 ? ops.slice(1) : 'x' },
        ] as const
      },
    ]
    for (let i = 0; i < valid.length; i++) {
      const e = valid[i] as StreamEvent
      if (e.t === '#commit' && i % 97 === 5) {
        const [code, body] = await hostile[i % hostile.length]!(e.body)
        push('#commit', body, code)
      }
      push(e.t, e.body, 'deliver')
      if (e.t === '#commit' && i % 131 === 7) push('#commit', e.body, 'STALE_REV') // replayed commit, new seq
      if (i === 300) script.push({ kind: 'once', frame: Uint8Array.from([0xa2, 0x61, 0x74, 0xff]) }) // malformed CBOR
      if (i === 700)
        script.push({ kind: 'once', frame: encodeErrorFrame('ConsumerTooSlow', 'slow'), closeAfter: true })
      if (i === 900)
        push(
          '#identity',
          { seq: 0, did: e.did, time: '2024-01-01T00:00:00Z', pad: new Uint8Array(70_000) },
          'FRAME_TOO_LARGE',
        )
      if (i % 450 === 200) script.push({ kind: 'disconnect' })
      if (i >= 1000 && i < 1005) {
        const k = i - 1000
        if (k === 2) continue // the skipped commit
        push('#commit', sk[k] as LexMap, k === 3 ? 'CHAIN_BREAK' : 'deliver')
      }
      if (i === 1100) push('#info' as string, { name: 'OutdatedCursor' }, 'info')
    }
    // info has no seq: remove the bookkeeping entry added by push
    for (const [s, c] of expectedReject) if (c === 'info') expectedReject.delete(s)
    server = await startReplayServer(script, { inclusive: (n) => n % 2 === 1 })
  }, 60_000)

  afterAll(async () => {
    await server?.close()
  })

  it('verifies every valid event exactly once, rejects each bad one with its reason, resumes after every disconnect', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsky-sync-'))
    const store = new FileCursorStore(join(dir, 'cursor'))
    const delivered = new Map<number, number>()
    const lastRev = new Map<string, string>()
    const rejected = new Map<number, FirehoseRejection>()
    const errors: string[] = []
    const resynced: string[] = []
    const lastSeq = (script.filter((s) => s.kind === 'event').at(-1) as { seq: number }).seq
    let fh!: Firehose
    const cursorViolations: number[] = []
    let inflight = 0
    let maxInflight = 0
    const finished = new Promise<void>((resolve) => {
      // deliver, then commit: the cursor moves after the last callback, so poll for it too
      const poll = setInterval(() => check(), 10)
      const check = () => {
        if (fh?.cursor === lastSeq) {
          clearInterval(poll)
          resolve()
        }
      }
      fh = new Firehose({
        service: server.url,
        keys,
        cursorStore: store,
        maxFrameSize: 64 * 1024,
        maxQueue: 200,
        concurrency: 8,
        reconnect: FAST,
        fetchRepo: async (did) => {
          expect(did).toBe(skipper.did)
          return skipperCar
        },
        onResync: (r) => {
          resynced.push(r.did)
        },
        onEvent: async (e: FirehoseEvent) => {
          inflight++
          maxInflight = Math.max(maxInflight, inflight)
          if ('seq' in e) {
            if (fh.cursor !== undefined && fh.cursor >= e.seq) cursorViolations.push(e.seq)
            delivered.set(e.seq, (delivered.get(e.seq) ?? 0) + 1)
            if (e.type === 'commit') {
              const prev = lastRev.get(e.did)
              expect(e.verified).not.toBeNull()
              if (prev !== undefined) expect(e.event.rev > prev).toBe(true)
              lastRev.set(e.did, e.event.rev)
            }
          }
          if ('seq' in e && e.seq % 17 === 0) await new Promise((r) => setTimeout(r, 1))
          if ('seq' in e && fh.cursor !== undefined && fh.cursor >= e.seq) cursorViolations.push(e.seq)
          inflight--
          setImmediate(check)
        },
        onReject: (r) => {
          if (r.seq !== undefined) rejected.set(r.seq, r)
          setImmediate(check)
        },
        onError: (err) => errors.push(String((err as Error)?.message ?? err)),
      })
    })
    await fh.start()
    await finished
    await fh.stop()

    const dupes = [...delivered].filter(([, n]) => n > 1)
    expect(dupes).toEqual([])
    expect([...delivered.keys()].sort((a, b) => a - b)).toEqual([...expectedDeliver].sort((a, b) => a - b))
    expect(new Map([...rejected].map(([s, r]) => [s, r.code]))).toEqual(expectedReject)
    expect(rejected.size).toBeGreaterThan(35)
    expect(resynced).toEqual([skipper.did])
    expect(cursorViolations).toEqual([])
    expect(maxInflight).toBeGreaterThan(1)
    // every disconnect, the bad frame and the error frame each cost one reconnect, resumed at the right cursor
    // (a scripted disconnect can land on a connection the client already dropped, costing nothing)
    expect(server.connections.length).toBeGreaterThanOrEqual(1 + 3 + 2)
    expect(server.connections.length).toBeLessThanOrEqual(1 + 4 + 2)
    for (const c of server.connections.slice(1)) expect(c.cursor).toBeGreaterThan(0)
    expect(errors.some((e) => e.includes('error=ConsumerTooSlow'))).toBe(true)
    expect(errors.some((e) => e.includes('DAG-CBOR') || e.includes('code=BAD'))).toBe(true)
    expect(readFileSync(join(dir, 'cursor'), 'utf8').trim()).toBe(String(lastSeq))
    expect(fh.stats.duplicates).toBeGreaterThan(0) // inclusive replays were dropped
  }, 60_000)

  it('restarts from a persisted cursor without redelivering', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsky-sync-'))
    const store = new FileCursorStore(join(dir, 'cursor'))
    const states = new MemoryRepoStateStore()
    const seen = new Map<number, number>()
    const lastSeq = (script.filter((s) => s.kind === 'event').at(-1) as { seq: number }).seq
    const run = async (stopAt: number) => {
      let fh!: Firehose
      await new Promise<void>((resolve) => {
        fh = new Firehose({
          service: server.url,
          keys,
          cursorStore: store,
          repoState: states,
          maxFrameSize: 64 * 1024,
          reconnect: FAST,
          fetchRepo: async () => skipperCar,
          onEvent: (e) => {
            if ('seq' in e) seen.set(e.seq, (seen.get(e.seq) ?? 0) + 1)
            if ('seq' in e && e.seq >= stopAt) resolve()
          },
        })
        void fh.start()
      })
      await fh.stop()
      return fh.cursor as number
    }
    const first = await run(600)
    expect(Number(readFileSync(join(dir, 'cursor'), 'utf8'))).toBe(first)
    await run(lastSeq)
    expect([...seen.values()].every((n) => n === 1)).toBe(true)
    expect(seen.size).toBe(expectedDeliver.size)
  }, 60_000)
})

describe('#sync events through the Firehose client', () => {
  it('a #sync at the held rev is ignored; a #sync matching the stored tree moves the rev; a new tree resyncs (or re-bases without a hook); later commits chain from it', async () => {
    const [acct] = await makeAccounts(1, rng(31), () => 'k256')
    if (!acct) throw new Error('no account')
    const keys = staticKeys(keyTable([acct]))
    const syncBody = (seq: number, c: { cid: Cid; rev: string; relevantBlocks: BlockMap }): LexMap => ({
      seq,
      did: acct.did,
      blocks: writeCar([c.cid], [{ cid: c.cid, bytes: c.relevantBlocks.get(c.cid) as Uint8Array }]),
      rev: c.rev,
      time: '2024-01-01T00:00:00Z',
    })
    const c1 = await commit(acct, randomWrites(acct, rng(1)))
    const c2 = await commit(acct, randomWrites(acct, rng(2)))
    // the same tree under a newer rev (a re-signed commit, no writes)
    const c2b = await acct.repo.formatResignCommit(Tid.nextStr(c2.rev), acct.keypair)
    acct.repo = await acct.repo.applyCommit(c2b)
    await commit(acct, randomWrites(acct, rng(3))) // never on the stream
    const c4 = await commit(acct, randomWrites(acct, rng(4)))
    const car4 = await exportRepoCarBytes(acct.storage)
    const c5 = await commit(acct, randomWrites(acct, rng(5)))
    const script: ScriptItem[] = [
      { kind: 'event', seq: 1, frame: frameOf('#commit', commitBody(acct.did, 1, c1)) },
      { kind: 'event', seq: 2, frame: frameOf('#commit', commitBody(acct.did, 2, c2)) },
      { kind: 'event', seq: 3, frame: frameOf('#sync', syncBody(3, c2)) },
      { kind: 'event', seq: 4, frame: frameOf('#sync', syncBody(4, c2b)) },
      { kind: 'event', seq: 5, frame: frameOf('#sync', syncBody(5, c4)) },
      { kind: 'event', seq: 6, frame: frameOf('#commit', commitBody(acct.did, 6, c5)) },
    ]
    const server = await startReplayServer(script)
    try {
      for (const withHook of [true, false]) {
        const got: string[] = []
        const resynced: string[] = []
        let fh!: Firehose
        await new Promise<void>((resolve) => {
          fh = new Firehose({
            service: server.url,
            keys,
            fetchRepo: withHook ? async () => car4 : null,
            onResync: (r) => {
              resynced.push(r.rev)
            },
            onEvent: (e) => {
              if (e.type === 'sync') got.push(`${e.seq} sync ${e.verified?.action}`)
              if (e.type === 'commit') got.push(`${e.seq} commit ${e.verified !== null}`)
              if ('seq' in e && e.seq === 6) resolve()
            },
            onReject: (r) => {
              got.push(`${r.seq} ${r.code}`)
              if (r.seq === 6) resolve()
            },
          })
          void fh.start()
        })
        await fh.stop()
        // a #sync at the rev already held is normal traffic: ignored, not a rejection (sync spec)
        expect(got).toEqual([
          '1 commit true',
          '2 commit true',
          '4 sync none',
          '5 sync resync',
          '6 commit true',
        ])
        expect(resynced).toEqual(withHook ? [c4.rev] : [])
      }
    } finally {
      await server.close()
    }
  })
})
