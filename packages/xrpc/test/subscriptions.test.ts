// A subscriber that stops reading: the server pauses its handler at the high-water mark and,
// when the backlog does not drain in time, sends ConsumerTooSlow and closes; memory stays bounded.
import { decodeFrame } from '@rsky/sync'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { XrpcServer } from '../src/index.ts'
import { serveNode } from '../src/node.ts'
import { TEST_LEXICONS } from './fixtures.ts'

describe('subscriptions: slow consumers', () => {
  it('a client that stops reading is cut off with ConsumerTooSlow, the handler pauses meanwhile', async () => {
    const server = new XrpcServer({ lexicons: TEST_LEXICONS })
    let produced = 0
    let handlerDone = false
    const pad = 'x'.repeat(16 * 1024)
    server.addSubscription('com.example.subscribe', async function* ({ signal }) {
      try {
        for (let i = 0; i < 20_000 && !signal.aborted; i++) {
          produced++
          yield { t: '#tick', body: { seq: i, pad } }
        }
      } finally {
        handlerDone = true
      }
    })
    const host = await serveNode(server, { highWaterMark: 256 * 1024, slowClientTimeoutMs: 300 })
    try {
      const ws = new WebSocket(`${host.url.replace('http', 'ws')}/xrpc/com.example.subscribe`)
      const frames: { op: number; body: Record<string, unknown> }[] = []
      ws.on('message', (d: Buffer) => frames.push(decodeFrame(new Uint8Array(d)) as (typeof frames)[number]))
      const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()))
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve())
        ws.once('error', reject)
      })
      ws.pause() // stop reading from the socket
      const started = Date.now()
      while (!handlerDone && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 50))
      expect(handlerDone).toBe(true)
      // Paused at the mark: nowhere near every message was produced.
      expect(produced).toBeLessThan(20_000)
      ws.resume()
      await closed
      const last = frames.at(-1)
      expect([last?.op, last?.body.error]).toEqual([-1, 'ConsumerTooSlow'])
      // Every message before the error frame arrived whole and in order.
      const seqs = frames.slice(0, -1).map((f) => f.body.seq)
      expect(seqs).toEqual(seqs.map((_, i) => i))
    } finally {
      await host.close()
    }
  })
})
