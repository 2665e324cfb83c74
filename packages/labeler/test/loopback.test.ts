// A real labeler server on loopback: our LabelSubscription (verifying) and @atproto's Subscription
// client both see issue/negate/expire in order after a cursor replay; FutureCursor, OutdatedCursor,
// forged and foreign labels, frames over the cap, a subscriber that never reads, and queryLabels.
import { connect } from 'node:net'
import { Subscription } from '@atproto/xrpc-server'
import { Secp256k1Keypair } from '@rsky/crypto'
import { LabelState, LabelVerifier, signLabel } from '@rsky/label'
import { type LabelEvent, LabelSubscription } from '@rsky/sync'
import { afterEach, describe, expect, it } from 'vitest'
import { atprotoVerifyLabel } from '../../label/test/reference.ts'
import type { LabelerServer } from '../src/server.ts'
import { LABELER_DID, labelerKey, startLabeler, subject, until } from './helpers.ts'

const FAST = { minDelayMs: 5, maxDelayMs: 30 }
const servers: LabelerServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
})

describe('labeler server on loopback', () => {
  it('streams replay then live to our subscription and to @atproto Subscription, in order', async () => {
    const { labeler, server, wsUrl } = await startLabeler()
    servers.push(server)
    for (let i = 0; i < 20; i++) await labeler.issue({ uri: subject(i % 5), val: i % 2 ? 'spam' : 'rude' })

    const ours: { seq: number; val: string; neg?: boolean; exp?: string }[] = []
    const invalid: string[] = []
    const state = new LabelState()
    const sub = new LabelSubscription({
      service: wsUrl,
      labeler: LABELER_DID,
      verify: new LabelVerifier({ keys: { [LABELER_DID]: labelerKey.did() } }),
      cursor: 0,
      state,
      reconnect: FAST,
      onEvent: (e: LabelEvent) => {
        if (e.$type !== '#labels') return
        for (const l of e.labels) ours.push({ seq: e.seq, val: l.val, neg: l.neg, exp: l.exp })
      },
      onInvalidLabel: (i) => invalid.push(i.reason),
    })
    await sub.start()

    const ac = new AbortController()
    const theirs: { seq: number; ok: boolean }[] = []
    const refSub = new Subscription<{ $type?: string; seq: number; labels: Record<string, unknown>[] }>({
      service: wsUrl,
      method: 'com.atproto.label.subscribeLabels',
      signal: ac.signal,
      getParams: () => ({ cursor: 0 }),
      validate: (v) => v as never,
    })
    const refDone = (async () => {
      try {
        for await (const m of refSub) {
          for (const l of m.labels ?? [])
            theirs.push({ seq: m.seq, ok: await atprotoVerifyLabel(l, labelerKey.did()) })
          if (m.seq >= 33) break
        }
      } catch (err) {
        if (!ac.signal.aborted) throw err
      }
    })()

    await until(() => ours.length >= 20, 10_000, 'replay')
    // live: negate, expire (future exp), re-issue, then ten more
    await labeler.negate({ uri: subject(0), val: 'rude' })
    await labeler.expire({
      uri: subject(1),
      val: 'spam',
      exp: new Date(Date.now() + 3_600_000).toISOString(),
    })
    await labeler.issue({ uri: subject(2), val: 'gore', exp: '2001-01-01T00:00:00.000Z' }) // already expired
    for (let i = 0; i < 10; i++) await labeler.issue({ uri: subject(4), val: `live-${i}` })

    await until(() => ours.length + invalid.length >= 33 && theirs.length >= 33, 10_000, 'live events')
    await refDone
    ac.abort()
    await sub.stop()

    expect(ours.map((o) => o.seq)).toEqual([
      ...Array.from({ length: 22 }, (_, i) => i + 1),
      ...Array.from({ length: 10 }, (_, i) => i + 24),
    ])
    expect(ours[20]).toMatchObject({ seq: 21, val: 'rude', neg: true })
    expect(ours[21]?.exp).toBeDefined()
    expect(invalid).toEqual(['EXPIRED']) // seq 23: signed fine but expired on arrival
    expect(sub.cursor).toBe(33)
    expect(theirs.map((t) => t.seq)).toEqual(Array.from({ length: 33 }, (_, i) => i + 1))
    expect(theirs.every((t) => t.ok)).toBe(true)
    // the state helper: subject 0's `rude` was negated; subject 1 still `spam` (not yet expired)
    expect(state.current(subject(0)).map((l) => l.val)).toEqual(['spam'])
    expect(state.current(subject(1)).map((l) => l.val)).toEqual(['rude', 'spam'])
  })

  it('rejects forged and foreign labels, keeps the cursor moving past them', async () => {
    const { labeler, server, wsUrl } = await startLabeler()
    servers.push(server)
    const forger = Secp256k1Keypair.create()
    const other = 'did:plc:otherlabelerotherlabeler'
    await labeler.issue({ uri: subject(1), val: 'ok-1' })
    await labeler.store.append([
      await signLabel({ src: LABELER_DID, uri: subject(2), val: 'forged' }, forger),
      await signLabel({ src: other, uri: subject(3), val: 'foreign' }, forger),
      {
        ...(await signLabel({ src: LABELER_DID, uri: subject(4), val: 'was-ok' }, labelerKey)),
        val: 'altered',
      },
    ])
    await labeler.issue({ uri: subject(5), val: 'ok-2' }) // seq 5
    const got: string[] = []
    const invalid: string[] = []
    const sub = new LabelSubscription({
      service: wsUrl,
      labeler: LABELER_DID,
      verify: new LabelVerifier({ keys: { [LABELER_DID]: labelerKey.did(), [other]: forger.did() } }),
      cursor: 0,
      reconnect: FAST,
      onEvent: (e) => {
        if (e.$type === '#labels') got.push(...e.labels.map((l) => l.val))
      },
      onInvalidLabel: (i) => invalid.push(`${i.seq}:${i.reason}`),
    })
    await sub.start()
    await until(() => sub.cursor === 5, 10_000, 'cursor 5')
    await sub.stop()
    expect(got).toEqual(['ok-1', 'ok-2'])
    expect(invalid).toEqual(['2:BAD_SIGNATURE', '3:FOREIGN_SOURCE', '4:BAD_SIGNATURE'])
  })

  it('FutureCursor stops the client; OutdatedCursor info then replay from the window', async () => {
    const { labeler, server, wsUrl } = await startLabeler()
    servers.push(server)
    for (let i = 0; i < 6; i++) await labeler.issue({ uri: subject(i), val: 'spam' })
    const errors: string[] = []
    const future = new LabelSubscription({
      service: wsUrl,
      verify: false,
      cursor: 99,
      reconnect: FAST,
      onEvent: () => {},
      onError: (e) => errors.push(String((e as { error?: string }).error ?? (e as Error).message)),
    })
    await future.start()
    await until(() => errors.includes('FutureCursor'), 10_000, 'FutureCursor')
    await future.stop()

    await labeler.issue({ uri: subject(0), val: 'spam' }) // supersedes seq 1
    await labeler.store.prune(4)
    const events: string[] = []
    const sub = new LabelSubscription({
      service: wsUrl,
      labeler: LABELER_DID,
      verify: new LabelVerifier({ keys: { [LABELER_DID]: labelerKey.did() } }),
      cursor: 0,
      reconnect: FAST,
      onEvent: (e) => {
        events.push(e.$type === '#labels' ? String(e.seq) : e.$type === '#info' ? e.name : e.$type)
      },
    })
    await sub.start()
    await until(() => events.includes('7'), 10_000, 'seq 7')
    await sub.stop()
    // seq 1 was superseded and pruned; 2 and 3 are still current labels so they stay
    expect(events).toEqual(['OutdatedCursor', '4', '5', '6', '7'])
  })

  it('frames over the subscriber cap are errors, never events', async () => {
    const { labeler, server, wsUrl } = await startLabeler()
    servers.push(server)
    await labeler.issue({ uri: subject(0), val: 'x'.repeat(100) })
    const errors: string[] = []
    let events = 0
    const sub = new LabelSubscription({
      service: wsUrl,
      verify: false,
      cursor: 0,
      maxFrameSize: 64,
      reconnect: { ...FAST, maxAttempts: 2 },
      onEvent: () => {
        events++
      },
      onError: (e) => errors.push((e as Error).message),
    })
    await sub.start()
    await until(() => errors.length >= 1, 10_000, 'an error')
    await sub.stop()
    expect(events).toBe(0)
  })

  it('drops a subscriber that never reads, after sending at most the high-water mark', async () => {
    const drops: { sent: number; bufferedBytes: number }[] = []
    const highWaterBytes = 64 * 1024
    const { labeler, server } = await startLabeler({
      subscribe: {
        highWaterBytes,
        slowConsumerMs: 200,
        batchSize: 100,
        onSlowConsumer: (d) => drops.push(d),
      },
    })
    servers.push(server)
    const one = await signLabel({ src: LABELER_DID, uri: subject(0), val: 'flood' }, labelerKey)
    const total = 40_000
    for (let i = 0; i < total; i += 5_000)
      await labeler.store.append(Array.from({ length: 5_000 }, () => one))
    const port = Number(new URL(server.url).port)
    const sock = connect(port, '127.0.0.1')
    await new Promise<void>((r) => sock.once('connect', () => r()))
    sock.write(
      'GET /xrpc/com.atproto.label.subscribeLabels?cursor=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    )
    sock.pause() // never read
    await until(() => drops.length === 1, 15_000, 'the drop')
    await until(() => server.subscribers === 0, 5_000, 'socket closed')
    sock.destroy()
    const d = drops[0] as { sent: number; bufferedBytes: number }
    expect(d.sent).toBeLessThan(total)
    expect(d.bufferedBytes).toBeLessThan(highWaterBytes + 100 * 400)
  })
})

describe('queryLabels over HTTP', () => {
  it('answers patterns, sources, limit and cursor; 400 for bad params', async () => {
    const { labeler, server } = await startLabeler()
    servers.push(server)
    for (let i = 0; i < 5; i++) await labeler.issue({ uri: subject(i), val: 'spam' })
    await labeler.negate({ uri: subject(0), val: 'spam' })
    const get = async (qs: string) => {
      const res = await fetch(`${server.url}/xrpc/com.atproto.label.queryLabels?${qs}`)
      return {
        status: res.status,
        body: (await res.json()) as { cursor?: string; labels: Record<string, unknown>[]; error?: string },
      }
    }
    const all = await get('uriPatterns=*&limit=3')
    expect(all.status).toBe(200)
    expect(all.body.labels.map((l) => l.uri)).toEqual([subject(1), subject(2), subject(3)])
    expect(all.body.cursor).toBe('4')
    const next = await get(`uriPatterns=*&limit=3&cursor=${all.body.cursor}`)
    expect(next.body.labels.map((l) => [l.uri, l.neg ?? false])).toEqual([
      [subject(4), false],
      [subject(0), true],
    ])
    expect(next.body.cursor).toBeUndefined()
    // labels come back in JSON form and verify through @atproto's path after $bytes decoding
    const first = next.body.labels[0] as Record<string, unknown>
    const sig = (first.sig as { $bytes: string }).$bytes
    const label = { ...first, sig: new Uint8Array(Buffer.from(sig, 'base64')) }
    expect(await atprotoVerifyLabel(label, labelerKey.did())).toBe(true)
    expect(
      (await get(`uriPatterns=${encodeURIComponent(subject(2))}&sources=${LABELER_DID}`)).body.labels,
    ).toHaveLength(1)
    expect((await get('uriPatterns=*&sources=did:plc:nobodynobodynobodynobody')).body.labels).toHaveLength(0)
    for (const bad of [
      '',
      'uriPatterns=a*b',
      'uriPatterns=*&limit=0',
      'uriPatterns=*&limit=251',
      'uriPatterns=*&cursor=-1',
      'uriPatterns=*&sources=nope',
    ]) {
      const r = await get(bad)
      expect([bad, r.status, r.body.error]).toEqual([bad, 400, 'InvalidRequest'])
    }
    expect((await fetch(`${server.url}/xrpc/com.atproto.label.nope`)).status).toBe(404)
  })
})
