// checkHost: a service subscribed directly to a PDS rejects #commit and #sync of accounts whose DID
// document names another host, after fetching that document once more; #identity forgets the host.
import type { LexMap } from '@rsky/dag-cbor'
import { describe, expect, it } from 'vitest'
import { Firehose, type FirehoseRejection, type PdsResolver } from '../src/firehose.ts'
import { encodeMessageFrame } from '../src/frame.ts'
import { seededStream } from './fixtures.ts'
import { type ScriptItem, startReplayServer } from './server.ts'

const TIME = '2024-01-01T00:00:00.000Z'

describe('Firehose checkHost against a loopback server', () => {
  it('delivers events from the PDS the DID names, rejects others as WRONG_HOST', async () => {
    const { accounts, stream, keys } = await seededStream(515, 3, 90, { commitsOnly: true })
    const [a, b, c] = accounts.map((x) => x.did) as [string, string, string]
    // seqs doubled so an #identity of `a` fits between two events in the middle
    const script: ScriptItem[] = []
    const mid = stream[Math.floor(stream.length / 2)]?.seq as number
    for (const e of stream) {
      script.push({
        kind: 'event',
        seq: e.seq * 2,
        frame: encodeMessageFrame(e.t, { ...e.body, seq: e.seq * 2 }),
      })
      if (e.seq === mid) {
        const body: LexMap = { seq: e.seq * 2 + 1, did: a, time: TIME }
        script.push({ kind: 'event', seq: e.seq * 2 + 1, frame: encodeMessageFrame('#identity', body) })
      }
    }
    const last = (stream[stream.length - 1]?.seq as number) * 2
    const server = await startReplayServer(script)
    const here = server.url.replace(/^ws/, 'http').replace(/\/xrpc.*$/, '')
    const calls: string[] = []
    const hosts: PdsResolver = {
      resolvePdsEndpoint(did, opts) {
        const fresh = opts?.forceRefresh === true
        calls.push(`${did}${fresh ? ' refresh' : ''}`)
        if (did === a) return here
        if (did === b) return 'https://elsewhere.example.com'
        // c moved here: only a fresh document says so
        return fresh ? `${here}/` : 'https://old-pds.example.com'
      },
    }
    const delivered = new Map<string, number>()
    const rejected: FirehoseRejection[] = []
    let fh!: Firehose
    try {
      await new Promise<void>((resolve) => {
        fh = new Firehose({
          service: server.url,
          keys,
          checkHost: true,
          hosts,
          fetchRepo: null,
          onEvent: (e) => {
            if (e.type === 'commit') delivered.set(e.did, (delivered.get(e.did) ?? 0) + 1)
            if ('seq' in e && e.seq === last) resolve()
          },
          onReject: (r) => {
            rejected.push(r)
            if (r.seq === last) resolve()
          },
        })
        void fh.start()
      })
      await fh.stop()
    } finally {
      await server.close()
    }
    const count = (did: string) => stream.filter((e) => e.did === did).length
    expect(delivered.get(a)).toBe(count(a))
    expect(delivered.get(c)).toBe(count(c))
    expect(delivered.get(b)).toBeUndefined()
    expect(rejected.length).toBe(count(b))
    for (const r of rejected) {
      expect(r.code).toBe('WRONG_HOST')
      expect(r.did).toBe(b)
      expect(r.message).toContain('elsewhere.example.com')
    }
    // a: resolved once, then again after its #identity; b: one refresh, then remembered as hosted
    // elsewhere (issue 12 case 11: no lookup per event); c: one stale answer, one refresh, then cached
    expect(calls.filter((x) => x === a).length).toBe(2)
    expect(calls.filter((x) => x === `${b} refresh`).length).toBe(1)
    expect(count(b)).toBeGreaterThan(3)
    expect(calls.filter((x) => x.startsWith(c))).toEqual([c, `${c} refresh`])
    expect(count(a) > 0 && count(b) > 0 && count(c) > 0).toBe(true)
  }, 60_000)

  it('rejects as HOST_UNAVAILABLE when the resolver fails, and checks nothing when off', async () => {
    const { stream, keys } = await seededStream(99, 2, 20, { commitsOnly: true })
    const script: ScriptItem[] = stream.map((e) => ({ kind: 'event', seq: e.seq, frame: e.frame }))
    const last = stream[stream.length - 1]?.seq as number
    for (const checkHost of [true, false]) {
      const server = await startReplayServer(script)
      const codes: string[] = []
      let delivered = 0
      let fh!: Firehose
      try {
        await new Promise<void>((resolve) => {
          fh = new Firehose({
            service: server.url,
            keys,
            checkHost,
            hosts: {
              resolvePdsEndpoint() {
                throw new Error('resolver down')
              },
            },
            fetchRepo: null,
            onEvent: (e) => {
              delivered++
              if ('seq' in e && e.seq === last) resolve()
            },
            onReject: (r) => {
              codes.push(r.code)
              if (r.seq === last) resolve()
            },
          })
          void fh.start()
        })
        await fh.stop()
      } finally {
        await server.close()
      }
      if (checkHost) {
        expect(delivered).toBe(0)
        expect(new Set(codes)).toEqual(new Set(['HOST_UNAVAILABLE']))
        expect(codes.length).toBe(stream.length)
      } else {
        expect(codes).toEqual([])
        expect(delivered).toBe(stream.length)
      }
    }
  }, 60_000)
})
