// Key rotation through @rsky/identity (refreshed once on failure), the deprecated tooBig flag,
// and the Jetstream and label clients against real WebSocket servers on loopback.
import type { AddressInfo } from 'node:net'
import { zstdCompressSync } from 'node:zlib'
import { Secp256k1Keypair } from '@rsky/crypto'
import type { LexMap } from '@rsky/dag-cbor'
import { DidResolver } from '@rsky/identity'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { authenticateCommit } from '../src/authenticate.ts'
import type { LabelEvent } from '../src/events.ts'
import { encodeErrorFrame, encodeMessageFrame } from '../src/frame.ts'
import { JetstreamClient, type JetstreamEvent } from '../src/jetstream.ts'
import { staticKeys } from '../src/keys.ts'
import { LabelSubscription } from '../src/labels.ts'
import { zstdDictionaryDecompressor } from '../src/node.ts'
import type { RepoState } from '../src/repo-state.ts'
import { commitEventOf } from './fixtures.ts'
import { commit, commitBody, makeAccounts, randomWrites, rng } from './stream.ts'

const FAST = { minDelayMs: 5, maxDelayMs: 30 }

describe('signing key from @rsky/identity', () => {
  it('follows a key rotation with one refresh; a forged commit costs one refresh and is BAD_SIGNATURE', async () => {
    const [acct] = await makeAccounts(1, rng(5), () => 'k256')
    if (!acct) throw new Error('no account')
    const oldKey = acct.keypair
    const newKey = Secp256k1Keypair.create()
    let served = oldKey
    let fetches = 0
    const doc = () => ({
      '@context': ['https://www.w3.org/ns/did/v1'],
      id: acct.did,
      alsoKnownAs: ['at://alice.test'],
      verificationMethod: [
        {
          id: `${acct.did}#atproto`,
          type: 'Multikey',
          controller: acct.did,
          publicKeyMultibase: served.did().slice('did:key:'.length),
        },
      ],
      service: [
        { id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: 'https://pds.test' },
      ],
    })
    const resolver = new DidResolver({
      plcUrl: 'https://plc.test',
      fetch: (async (input: string | URL) => {
        fetches++
        expect(decodeURIComponent(String(input))).toBe(`https://plc.test/${acct.did}`)
        return new Response(JSON.stringify(doc()), { headers: { 'content-type': 'application/json' } })
      }) as never,
    })
    let prior: RepoState | undefined
    const step = async (body: LexMap) => {
      const r = await authenticateCommit(commitEventOf(body), { keys: resolver, prior })
      if (r.success) prior = { rev: r.value.rev, data: r.value.data, status: 'synchronized' }
      return r
    }
    for (let i = 0; i < 3; i++) {
      const r = await step(commitBody(acct.did, i + 1, await commit(acct, randomWrites(acct, rng(i)))))
      expect(r.success ? '' : r.message).toBe('')
    }
    expect(fetches).toBe(1) // cached after the first lookup
    // the account rotates its key; the cached document still names the old one
    served = newKey
    acct.keypair = newKey
    for (let i = 3; i < 6; i++) {
      const r = await step(commitBody(acct.did, i + 1, await commit(acct, randomWrites(acct, rng(i)))))
      expect(r.success).toBe(true)
    }
    expect(fetches).toBe(2) // exactly one refresh, then the new key is cached
    // a commit signed by someone else: one refresh, then rejected
    acct.keypair = Secp256k1Keypair.create()
    const forged = await step(commitBody(acct.did, 7, await commit(acct, randomWrites(acct, rng(7)))))
    expect(forged).toMatchObject({ success: false, code: 'BAD_SIGNATURE' })
    expect(fetches).toBe(3)
    void oldKey
  })
})

describe('tooBig', () => {
  it('is ignored: a commit authenticates the same with either value (the flag is deprecated)', async () => {
    const [acct] = await makeAccounts(1, rng(9))
    if (!acct) throw new Error('no account')
    const keys = staticKeys(new Map([[acct.did, acct.keypair.did()]]))
    const body = commitBody(acct.did, 1, await commit(acct, randomWrites(acct, rng(1))))
    const a = await authenticateCommit(commitEventOf(body), { keys })
    const b = await authenticateCommit(commitEventOf({ ...body, tooBig: true }), { keys })
    expect(a.success && b.success).toBe(true)
    if (a.success && b.success) expect(b.value.ops).toEqual(a.value.ops)
  })
})

interface Served {
  url: string
  requests: URL[]
  close(): Promise<void>
}

/** A loopback WebSocket server; `onConnect` gets each socket and its request URL. */
async function serve(onConnect: (ws: import('ws').WebSocket, url: URL, n: number) => void): Promise<Served> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((r) => wss.once('listening', () => r()))
  const requests: URL[] = []
  wss.on('connection', (ws, req) => {
    const url = new URL(req.url ?? '/', 'http://x')
    requests.push(url)
    onConnect(ws, url, requests.length - 1)
  })
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate()
        wss.close(() => resolve())
      }),
  }
}

const servers: Served[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
})

const JS_DID = 'did:plc:jetstreamjetstreamjetst'

function jetstreamEvents(n: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = []
  for (let i = 0; i < n; i++) {
    const time_us = 1_725_000_000_000_000 + i * 1000
    if (i % 10 === 3) {
      // an identity event without a handle: valid (rsky rejects it)
      out.push({
        did: JS_DID,
        time_us,
        kind: 'identity',
        identity: { did: JS_DID, seq: 100 + i, time: '2024-09-01T00:00:00.000Z' },
      })
    } else if (i % 10 === 7) {
      out.push({
        did: JS_DID,
        time_us,
        kind: 'account',
        account: {
          did: JS_DID,
          active: false,
          status: 'deactivated',
          seq: 100 + i,
          time: '2024-09-01T00:00:00.000Z',
        },
      })
    } else {
      out.push({
        did: JS_DID,
        time_us,
        kind: 'commit',
        commit: {
          rev: '3l3qo2vutsw2b',
          operation: 'create',
          collection: 'app.bsky.feed.post',
          rkey: `3l3qo2vuowo2${'abcdefghij'[i % 10]}`,
          record: { $type: 'app.bsky.feed.post', text: `post ${i}`, createdAt: '2024-09-01T00:00:00.000Z' },
          cid: 'bafyreidc6sydkkbchcyg62v77wbhzvb2mvytlmsychqgwf2xojjtirmzj4',
        },
      })
    }
  }
  return out
}

describe('JetstreamClient on loopback', () => {
  const dictionary = new TextEncoder().encode(
    '{"did":"did:plc:","time_us":,"kind":"commit","commit":{"rev":"","operation":"create","collection":"app.bsky.feed.post","rkey":"","record":{"$type":"app.bsky.feed.post","text":"","createdAt":""},"cid":"bafyrei"}}'.repeat(
      4,
    ),
  )

  it('zstd with a dictionary, filters in the URL, handle-less identity, resume without redelivery', async () => {
    const events = jetstreamEvents(120)
    const server = await serve((ws, url, n) => {
      const cursor = url.searchParams.get('cursor')
      const compress = url.searchParams.get('compress') === 'true'
      // Jetstream replays from the cursor inclusive; the client drops what it already has
      let i = cursor === null ? 0 : events.findIndex((e) => (e.time_us as number) >= Number(cursor))
      const send = () => {
        while (i < events.length) {
          const text = JSON.stringify(events[i++])
          ws.send(compress ? zstdCompressSync(Buffer.from(text), { dictionary } as never) : text)
          if (n === 0 && i === 45) return void ws.terminate() // mid-stream disconnect
          if (n === 1 && i === 80) {
            ws.send(compress ? zstdCompressSync(Buffer.from('{"kind":"nope"}'), { dictionary } as never) : '')
            ws.send(Buffer.from('not zstd at all'))
            return void ws.terminate()
          }
        }
      }
      send()
    })
    servers.push(server)
    const seen = new Map<number, number>()
    const kinds = new Map<string, number>()
    const rejects: string[] = []
    let client!: JetstreamClient
    await new Promise<void>((resolve) => {
      client = new JetstreamClient({
        service: server.url,
        wantedCollections: ['app.bsky.feed.post', 'app.bsky.graph.*'],
        wantedDids: [JS_DID],
        decompress: zstdDictionaryDecompressor(dictionary),
        reconnect: FAST,
        onEvent: (e: JetstreamEvent) => {
          seen.set(e.time_us, (seen.get(e.time_us) ?? 0) + 1)
          kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1)
          if (e.kind === 'identity') expect(e.identity.handle).toBeUndefined()
          if (seen.size === events.length) resolve()
        },
        onReject: (r) => rejects.push(r.message),
      })
      void client.start()
    })
    await client.stop()
    expect(seen.size).toBe(events.length)
    expect([...seen.values()].every((c) => c === 1)).toBe(true)
    expect(kinds.get('identity')).toBe(12)
    expect(kinds.get('account')).toBe(12)
    expect(client.cursor).toBe(events.at(-1)?.time_us)
    expect(server.requests.length).toBe(3)
    const first = server.requests[0] as URL
    expect(first.pathname).toBe('/subscribe')
    expect(first.searchParams.getAll('wantedCollections')).toEqual(['app.bsky.feed.post', 'app.bsky.graph.*'])
    expect(first.searchParams.getAll('wantedDids')).toEqual([JS_DID])
    expect(first.searchParams.get('compress')).toBe('true')
    expect(first.searchParams.get('cursor')).toBeNull()
    expect(server.requests[1]?.searchParams.get('cursor')).toBe(String(events[44]?.time_us))
    expect(server.requests[2]?.searchParams.get('cursor')).toBe(String(events[79]?.time_us))
    expect(rejects.some((m) => m.includes('kind'))).toBe(true)
    expect(rejects.some((m) => m.includes('decompress'))).toBe(true)
  })

  it('without a decompressor asks for plain JSON', async () => {
    const client = new JetstreamClient({ service: 'ws://127.0.0.1:1', cursor: 5, onEvent: () => {} })
    const url = new URL(client.url())
    expect(url.searchParams.get('compress')).toBeNull()
    expect(url.searchParams.get('cursor')).toBe('5')
  })
})

describe('LabelSubscription on loopback', () => {
  it('delivers #labels in order once, resumes from the last seq after a disconnect and an error frame', async () => {
    const src = 'did:plc:labelerlabelerlabelerla'
    const frames = Array.from({ length: 60 }, (_, i) =>
      encodeMessageFrame('#labels', {
        seq: i + 1,
        labels: [
          {
            ver: 1,
            src,
            uri: `at://did:plc:subjectsubjectsubjectsu/app.bsky.feed.post/3l3qo2vuowo2${i % 10}`,
            val: i % 2 ? 'spam' : '!hide',
            cts: '2024-09-01T00:00:00.000Z',
          },
        ],
      }),
    )
    const server = await serve((ws, url, n) => {
      const cursor = Number(url.searchParams.get('cursor') ?? 0)
      for (const [i, f] of frames.entries()) {
        if (i + 1 <= cursor) continue
        ws.send(f)
        if (n === 0 && i === 19) return void ws.terminate()
        if (n === 1 && i === 39) {
          ws.send(encodeErrorFrame('ConsumerTooSlow', 'slow down'))
          return void ws.close()
        }
      }
    })
    servers.push(server)
    const seqs: number[] = []
    const errors: string[] = []
    let sub!: LabelSubscription
    await new Promise<void>((resolve) => {
      sub = new LabelSubscription({
        service: server.url,
        verify: false, // unsigned labels: this test is about ordering and resume
        reconnect: FAST,
        onEvent: (e: LabelEvent) => {
          if (e.$type !== '#labels') return
          seqs.push(e.seq)
          expect(e.labels[0]?.src).toBe(src)
          if (e.seq === 60) resolve()
        },
        onError: (e) => errors.push(String((e as Error).message)),
      })
      void sub.start()
    })
    await sub.stop()
    expect(seqs).toEqual(Array.from({ length: 60 }, (_, i) => i + 1))
    expect(sub.cursor).toBe(60)
    expect(server.requests.map((u) => u.searchParams.get('cursor'))).toEqual([null, '20', '40'])
    expect(errors.some((m) => m.includes('ConsumerTooSlow'))).toBe(true)
    expect(server.requests[0]?.pathname).toBe('/xrpc/com.atproto.label.subscribeLabels')
  })
})
