// LabelSubscription when the labeler's key cannot be fetched for a while: the label is tried again
// with backoff, the cursor never passes it, stop() and an AbortSignal end the wait at once, and
// final verdicts (forged, unsigned, malformed, expired, foreign) still come without any retry.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { P256Keypair, Secp256k1Keypair } from '@rsky/crypto'
import type { LexMap } from '@rsky/dag-cbor'
import { DidResolver } from '@rsky/identity'
import { LabelVerifier, labelToLex, signLabel } from '@rsky/label'
import { afterEach, describe, expect, it } from 'vitest'
import { MemoryCursorStore } from '../src/cursor.ts'
import { encodeMessageFrame } from '../src/frame.ts'
import { LabelKeyUnavailableError, LabelSubscription } from '../src/labels.ts'
import { type ReplayServer, type ScriptItem, startReplayServer } from './server.ts'

const SRC = 'did:plc:labelerlabelerlabelerla'
const OTHER = 'did:plc:otherlabelerotherlabelero'
const key1 = Secp256k1Keypair.import('9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c')
const key2 = P256Keypair.import('3f2a3e6bb8bf8f61c0cbb0d6ee0c5c3c6f3d3d7c38c1c8d3f1b2a0e0d0c0b0a0')
const forger = Secp256k1Keypair.import('1111111111111111111111111111111111111111111111111111111111111111')

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c()
})

/** What the loopback PLC directory answers to the n-th request (1-based) for the labeler's DID. */
type Answer = { key: string } | 'fail' | 'hang'

/** A PLC directory on loopback serving one DID document, each answer chosen by `plan`. */
async function startPlc(plan: (n: number) => Answer): Promise<{ url: string; requests: () => number }> {
  let n = 0
  const server: Server = createServer((req, res) => {
    if (decodeURIComponent(req.url ?? '') !== `/${SRC}`) {
      res.writeHead(404).end()
      return
    }
    const answer = plan(++n)
    if (answer === 'hang') return
    if (answer === 'fail') {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"Unavailable"}')
      return
    }
    const doc = {
      '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
      id: SRC,
      alsoKnownAs: ['at://labeler.test'],
      verificationMethod: [
        {
          id: `${SRC}#atproto_label`,
          type: 'Multikey',
          controller: SRC,
          publicKeyMultibase: answer.key.slice('did:key:'.length),
        },
      ],
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  closers.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  )
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => n }
}

async function startLabels(script: ScriptItem[]): Promise<ReplayServer> {
  const s = await startReplayServer(script)
  closers.push(() => s.close())
  return s
}

const uriOf = (seq: number): string => `did:plc:subject${String(seq).padStart(17, 'a')}`

async function signed(
  seq: number,
  key: Secp256k1Keypair | P256Keypair,
  extra: { src?: string; exp?: string } = {},
): Promise<LexMap> {
  const input = { src: SRC, uri: uriOf(seq), val: `v${seq}`, cts: '2024-01-01T00:00:00.000Z', ...extra }
  return labelToLex(await signLabel(input, key))
}

async function event(seq: number, label: LexMap | Promise<LexMap>): Promise<ScriptItem> {
  return { kind: 'event' as const, seq, frame: encodeMessageFrame('#labels', { seq, labels: [await label] }) }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

interface Retry {
  seq: number
  attempt: number
  given: boolean
  subCursor: number | undefined
  storeCursor: number | undefined
}

describe('LabelSubscription: labeler key unavailable', () => {
  it('retries with backoff until the key can be fetched: every label in order, cursor never past it', async () => {
    // first fetch: key1; then the labeler rotates to key2 and the directory fails 3 times
    const plc = await startPlc((n) => (n === 1 ? { key: key1.did() } : n <= 4 ? 'fail' : { key: key2.did() }))
    const script: ScriptItem[] = []
    const total = 300 // more than the subscription queues before it pauses the socket (256)
    for (let seq = 1; seq <= total; seq++) script.push(await event(seq, signed(seq, seq <= 2 ? key1 : key2)))
    const server = await startLabels(script)
    const store = new MemoryCursorStore()
    const saved: number[] = []
    const origSave = store.save.bind(store)
    store.save = (c: number) => {
      saved.push(c)
      origSave(c)
    }
    const handled: number[] = []
    const invalid: string[] = []
    const retries: Retry[] = []
    const other: unknown[] = []
    const done = deferred()
    const sub: LabelSubscription = new LabelSubscription({
      service: server.url,
      labeler: SRC,
      resolver: new DidResolver({ plcUrl: plc.url, timeoutMs: 5000 }),
      cursorStore: store,
      keyRetry: { minDelayMs: 5, maxDelayMs: 20 },
      reconnect: { minDelayMs: 5, maxDelayMs: 30 },
      onEvent: (e) => {
        if (e.$type !== '#labels') return
        handled.push(e.seq)
        if (e.seq === total) done.resolve()
      },
      onInvalidLabel: (i) => invalid.push(`${i.seq}:${i.reason}`),
      onError: (err) => {
        if (err instanceof LabelKeyUnavailableError)
          retries.push({
            seq: err.seq,
            attempt: err.attempt,
            given: err.retryInMs === undefined,
            subCursor: sub.cursor,
            storeCursor: store.cursor,
          })
        else other.push(err)
      },
    })
    closers.push(() => sub.stop())
    await sub.start()
    await done.promise
    await sub.stop()

    expect(handled).toEqual(Array.from({ length: total }, (_, i) => i + 1))
    expect(invalid).toEqual([])
    expect(other).toEqual([])
    // label 3 (the first signed with the new key) waited: one forced refresh and two retries failed
    expect(retries.map((r) => [r.seq, r.attempt, r.given])).toEqual([
      [3, 1, false],
      [3, 2, false],
      [3, 3, false],
    ])
    for (const r of retries) {
      expect(r.subCursor).toBe(2)
      expect(r.storeCursor ?? 0).toBeLessThanOrEqual(2)
    }
    expect(plc.requests()).toBe(5)
    expect(saved).toEqual([...saved].sort((a, b) => a - b))
    expect(store.cursor).toBe(total)
    expect(sub.cursor).toBe(total)
  })

  it('stop() during the backoff returns at once; the waiting event and the ones after it come again on the next start', async () => {
    let down = true
    const plc = await startPlc((n) => (n === 1 ? { key: key1.did() } : down ? 'fail' : { key: key2.did() }))
    const script: ScriptItem[] = []
    for (let seq = 1; seq <= 6; seq++) script.push(await event(seq, signed(seq, seq === 1 ? key1 : key2)))
    const server = await startLabels(script)
    const store = new MemoryCursorStore()
    const handled: number[] = []
    const invalid: string[] = []
    const firstRetry = deferred()
    const resolver = new DidResolver({ plcUrl: plc.url, timeoutMs: 5000 })
    const sub = new LabelSubscription({
      service: server.url,
      labeler: SRC,
      resolver,
      cursorStore: store,
      // a backoff far longer than the test's timeout: only an honoured stop() lets the test finish
      keyRetry: { minDelayMs: 600_000, maxDelayMs: 600_000 },
      onEvent: (e) => {
        if (e.$type === '#labels') handled.push(e.seq)
      },
      onInvalidLabel: (i) => invalid.push(`${i.seq}:${i.reason}`),
      onError: (err) => {
        if (err instanceof LabelKeyUnavailableError) firstRetry.resolve()
      },
    })
    closers.push(() => sub.stop())
    await sub.start()
    await firstRetry.promise
    await sub.stop()
    expect(handled).toEqual([1])
    expect(invalid).toEqual([])
    expect(store.cursor).toBe(1)
    expect(sub.cursor).toBe(1)

    // the directory is back: a new subscription on the same store picks up label 2 and the rest
    down = false
    const all = deferred()
    const again = new LabelSubscription({
      service: server.url,
      labeler: SRC,
      resolver,
      cursorStore: store,
      keyRetry: { minDelayMs: 5, maxDelayMs: 20 },
      onEvent: (e) => {
        if (e.$type !== '#labels') return
        handled.push(e.seq)
        if (e.seq === 6) all.resolve()
      },
      onInvalidLabel: (i) => invalid.push(`${i.seq}:${i.reason}`),
    })
    closers.push(() => again.stop())
    await again.start()
    await all.promise
    await again.stop()
    expect(handled).toEqual([1, 2, 3, 4, 5, 6])
    expect(invalid).toEqual([])
    expect(server.connections.map((c) => c.cursor)).toEqual([undefined, 1])
    expect(store.cursor).toBe(6)
  })

  it('an aborted signal ends a key fetch that hangs; a new subscription resumes from the cursor', async () => {
    let hang = true
    const plc = await startPlc((n) => (n === 1 ? { key: key1.did() } : hang ? 'hang' : { key: key2.did() }))
    const script: ScriptItem[] = []
    for (let seq = 1; seq <= 4; seq++) script.push(await event(seq, signed(seq, seq === 1 ? key1 : key2)))
    const server = await startLabels(script)
    const handled: number[] = []
    const fetching = deferred()
    const ac = new AbortController()
    const last = deferred()
    const sub = new LabelSubscription({
      service: server.url,
      labeler: SRC,
      // a fetch timeout far longer than the test's: only the abort lets the test finish
      resolver: {
        resolve(did, opts) {
          if (opts?.forceRefresh) fetching.resolve()
          return new DidResolver({ plcUrl: plc.url, timeoutMs: 600_000 }).resolve(did, opts)
        },
      },
      signal: ac.signal,
      keyRetry: { minDelayMs: 5, maxDelayMs: 20 },
      onEvent: (e) => {
        if (e.$type === '#labels') handled.push(e.seq)
      },
    })
    closers.push(() => sub.stop())
    await sub.start()
    await fetching.promise
    ac.abort()
    await sub.stop()
    expect(handled).toEqual([1])
    expect(sub.cursor).toBe(1)

    await sub.stop() // idempotent
    await sub.start() // its signal is aborted: does not connect again
    hang = false
    const resumed = new LabelSubscription({
      service: server.url,
      labeler: SRC,
      resolver: new DidResolver({ plcUrl: plc.url, timeoutMs: 5000 }),
      cursor: sub.cursor,
      onEvent: (e) => {
        if (e.$type !== '#labels') return
        handled.push(e.seq)
        if (e.seq === 4) last.resolve()
      },
    })
    closers.push(() => resumed.stop())
    await resumed.start()
    await last.promise
    await resumed.stop()
    expect(handled).toEqual([1, 2, 3, 4])
    expect(server.connections.map((c) => c.cursor)).toEqual([undefined, 1])
  })

  it('final verdicts come at once, with the directory up or down; maxAttempts gives a label up', async () => {
    let down = false
    const plc = await startPlc(() => (down ? 'fail' : { key: key1.did() }))
    const past = '2024-06-01T00:00:00.000Z'
    const forged = signed(1, forger)
    const altered = signed(2, key1).then((l) => ({ ...l, val: 'altered' }))
    const script: ScriptItem[] = [
      await event(1, forged),
      await event(2, altered),
      await event(3, signed(3, key1, { exp: past })),
      await event(4, { ver: 1, src: SRC, uri: uriOf(4), val: 'v4', cts: '2024-01-01T00:00:00.000Z' }),
      await event(5, signed(5, key1, { src: OTHER })),
      await event(
        6,
        signed(6, key1).then((l) => ({ ...l, uri: 'not a uri' })),
      ),
      await event(7, signed(7, key1)),
    ]
    const server = await startLabels(script)
    const handled: number[] = []
    const invalid: string[] = []
    const retries: string[] = []
    let finished = deferred()
    const run = async (maxAttempts?: number): Promise<void> => {
      const sub = new LabelSubscription({
        service: server.url,
        labeler: SRC,
        resolver: new DidResolver({ plcUrl: plc.url, timeoutMs: 5000, cache: null }),
        cursor: 0,
        keyRetry: { minDelayMs: 1, maxDelayMs: 5, ...(maxAttempts ? { maxAttempts } : {}) },
        onEvent: (e) => {
          if (e.$type === '#labels') handled.push(e.seq)
        },
        onInvalidLabel: (i) => {
          invalid.push(`${i.seq}:${i.reason}`)
          if (i.seq === 7) finished.resolve()
        },
        onError: (err) => {
          if (err instanceof LabelKeyUnavailableError)
            retries.push(`${err.seq}:${err.attempt}:${err.retryInMs === undefined ? 'given up' : 'retry'}`)
        },
      })
      closers.push(() => sub.stop())
      await sub.start()
      if (maxAttempts === undefined) {
        await new Promise<void>((r) => {
          const t = setInterval(() => {
            if (handled.includes(7)) {
              clearInterval(t)
              r()
            }
          }, 5)
        })
      } else await finished.promise
      await sub.stop()
    }

    await run()
    expect(handled).toEqual([7])
    expect(invalid).toEqual([
      '1:BAD_SIGNATURE',
      '2:BAD_SIGNATURE',
      '3:EXPIRED',
      '4:UNSIGNED',
      '5:FOREIGN_SOURCE',
      '6:MALFORMED',
    ])
    expect(retries).toEqual([])

    // directory down: the same labels, except that the good one cannot be checked; forged ones
    // cannot be told from a rotated key either, so they wait too. Given up after 3 tries each.
    down = true
    handled.length = 0
    invalid.length = 0
    finished = deferred()
    await run(3)
    expect(handled).toEqual([])
    expect(invalid).toEqual([
      '1:KEY_UNAVAILABLE',
      '2:KEY_UNAVAILABLE',
      '3:EXPIRED',
      '4:UNSIGNED',
      '5:FOREIGN_SOURCE',
      '6:MALFORMED',
      '7:KEY_UNAVAILABLE',
    ])
    const tries = (seq: number) => [`${seq}:1:retry`, `${seq}:2:retry`, `${seq}:3:given up`]
    expect(retries).toEqual([...tries(1), ...tries(2), ...tries(7)])
  })

  it("a fixed-key verifier with allowedSources '*': an unknown src is final at once, never retried", async () => {
    const script: ScriptItem[] = [
      await event(1, signed(1, key1)),
      await event(2, signed(2, key2, { src: OTHER })),
      await event(3, signed(3, key1)),
    ]
    const server = await startLabels(script)
    const handled: number[] = []
    const invalid: string[] = []
    const retries: unknown[] = []
    const done = deferred()
    const sub = new LabelSubscription({
      service: server.url,
      allowedSources: '*',
      verify: new LabelVerifier({ keys: { [SRC]: key1.did() } }),
      cursor: 0,
      keyRetry: { minDelayMs: 1, maxDelayMs: 5 },
      onEvent: (e) => {
        if (e.$type !== '#labels') return
        handled.push(e.seq)
        if (e.seq === 3) done.resolve()
      },
      onInvalidLabel: (i) => invalid.push(`${i.seq}:${i.reason}`),
      onError: (err) => {
        if (err instanceof LabelKeyUnavailableError) retries.push(err)
      },
    })
    closers.push(() => sub.stop())
    await sub.start()
    await done.promise
    await sub.stop()
    expect(handled).toEqual([1, 3])
    expect(invalid).toEqual(['2:UNKNOWN_SOURCE'])
    expect(retries).toEqual([])
  })

  it('stop() lets queued labels have their one try; the first whose key is missing holds the rest', async () => {
    const frames: Uint8Array[] = []
    for (let seq = 1; seq <= 5; seq++) {
      const item = await event(seq, signed(seq, seq === 3 ? key2 : key1))
      if (item.kind === 'event') frames.push(item.frame)
    }
    // a socket that hands over all five frames at once, so they are queued when stop() is called
    const socketFactory = () => {
      const socket = {
        binaryType: 'arraybuffer',
        onopen: null,
        onmessage: null as ((ev: { data: unknown }) => void) | null,
        onclose: null,
        onerror: null,
        close: () => {},
      }
      queueMicrotask(() => {
        for (const f of frames) socket.onmessage?.({ data: f })
      })
      return socket
    }
    let fetches = 0
    const keyDoc = {
      id: SRC,
      verificationMethod: [
        {
          id: `${SRC}#atproto_label`,
          type: 'Multikey',
          controller: SRC,
          publicKeyMultibase: key1.did().slice(8),
        },
      ],
    }
    const handled: number[] = []
    const retries: string[] = []
    let stopping: Promise<void> | undefined
    const sub: LabelSubscription = new LabelSubscription({
      service: 'ws://127.0.0.1:1',
      labeler: SRC,
      socketFactory,
      // key1 at first; the refresh that label 3 (signed with key2) asks for fails
      resolver: {
        resolve: async () => {
          if (++fetches > 1) throw new Error('directory down')
          return keyDoc as never
        },
      },
      keyRetry: { minDelayMs: 600_000, maxDelayMs: 600_000 },
      onEvent: (e) => {
        if (e.$type !== '#labels') return
        handled.push(e.seq)
        if (e.seq === 1) stopping = sub.stop()
      },
      onError: (err) => {
        if (err instanceof LabelKeyUnavailableError) retries.push(`${err.seq}:${err.attempt}`)
      },
    })
    await sub.start()
    await new Promise<void>((r) => {
      const t = setInterval(() => {
        if (stopping !== undefined) {
          clearInterval(t)
          r()
        }
      }, 1)
    })
    await stopping
    expect(handled).toEqual([1, 2])
    expect(retries).toEqual(['3:1'])
    expect(sub.cursor).toBe(2)
  })

  it('refuses bad retry options', () => {
    const base = { service: 'ws://127.0.0.1:1', labeler: SRC, onEvent: () => {} }
    for (const keyRetry of [
      { maxAttempts: 0 },
      { maxAttempts: 1.5 },
      { minDelayMs: -1 },
      { minDelayMs: Number.NaN },
      { minDelayMs: 100, maxDelayMs: 10 },
      { maxDelayMs: Number.POSITIVE_INFINITY },
    ]) {
      expect(() => new LabelSubscription({ ...base, keyRetry }), JSON.stringify(keyRetry)).toThrow(RangeError)
    }
    expect(
      () => new LabelSubscription({ ...base, keyRetry: { maxAttempts: Number.POSITIVE_INFINITY } }),
    ).not.toThrow()
  })
})
