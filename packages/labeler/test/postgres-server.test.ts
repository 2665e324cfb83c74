// The server over the Postgres store: replay then live to a verifying subscriber, and a client that
// sends a message over the incoming cap is cut off.
import { LabelVerifier } from '@rsky/label'
import { LabelSubscription } from '@rsky/sync'
import { createTestDatabase } from '@rsky/test-vectors'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { Labeler } from '../src/labeler.ts'
import { serveLabeler } from '../src/server.ts'
import { PostgresLabelStore } from '../src/store/postgres.ts'
import { LABELER_DID, labelerKey, subject, until } from './helpers.ts'

describe('labeler server on Postgres', () => {
  it('replays then streams live; restarts resume the seq; an oversized client message closes the socket', async () => {
    const db = await createTestDatabase('rsky_labeler_srv')
    try {
      let store = await PostgresLabelStore.open({ url: db.url })
      let labeler = await Labeler.create({ did: LABELER_DID, keypair: labelerKey, store })
      for (let i = 0; i < 5; i++) await labeler.issue({ uri: subject(i), val: 'spam' })
      await store.close()
      // a new process over the same database continues the sequence
      store = await PostgresLabelStore.open({ url: db.url })
      labeler = await Labeler.create({ did: LABELER_DID, keypair: labelerKey, store })
      expect(labeler.head).toBe(5)
      const server = await serveLabeler(labeler, { maxIncomingBytes: 64 })
      const seqs: number[] = []
      const sub = new LabelSubscription({
        service: server.url,
        labeler: LABELER_DID,
        verify: new LabelVerifier({ keys: { [LABELER_DID]: labelerKey.did() } }),
        cursor: 0,
        reconnect: { minDelayMs: 5, maxDelayMs: 30 },
        onEvent: (e) => {
          if (e.$type === '#labels') seqs.push(e.seq)
        },
      })
      try {
        await sub.start()
        await until(() => seqs.length === 5, 10_000, 'replay')
        for (let i = 0; i < 5; i++) await labeler.issue({ uri: subject(i), val: 'rude' })
        await until(() => seqs.length === 10, 10_000, 'live')
        expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])

        const ws = new WebSocket(`${server.url.replace('http', 'ws')}/xrpc/com.atproto.label.subscribeLabels`)
        await new Promise<void>((r) => ws.once('open', () => r()))
        const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)))
        ws.send(new Uint8Array(1024))
        expect(await closed).toBe(1009) // message too big
      } finally {
        await sub.stop()
        await server.close()
        await store.close()
      }
    } finally {
      await db.drop()
    }
  })
})
