// Fast producer, slow consumer: the client's queue stays bounded (the socket pauses) and the heap
// does not grow with the number of events sent. Bounded in time, asserted on counts, not speed.

import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { Firehose } from '../src/firehose.ts'
import { encodeMessageFrame } from '../src/frame.ts'
import { staticKeys } from '../src/keys.ts'

describe('soak: fast producer, slow consumer', () => {
  it('keeps the queue bounded and the heap flat', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise<void>((r) => wss.once('listening', () => r()))
    let sent = 0
    const pad = new Uint8Array(2048)
    wss.on('connection', (ws) => {
      let seq = 1
      const pump = () => {
        if (ws.readyState !== ws.OPEN) return
        // the producer never waits for the consumer beyond the kernel/socket buffers
        for (let i = 0; i < 200 && ws.bufferedAmount < 8 * 1024 * 1024; i++) {
          ws.send(
            encodeMessageFrame('#identity', {
              seq: seq++,
              did: `did:plc:soak${seq % 50}`,
              time: '2024-01-01T00:00:00Z',
              pad,
            }),
          )
          sent++
        }
        setImmediate(pump)
      }
      pump()
    })
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`
    const maxQueue = 100
    let handled = 0
    const fh = new Firehose({
      service: url,
      keys: staticKeys(new Map()),
      maxQueue,
      concurrency: 4,
      fetchRepo: null,
      onEvent: async () => {
        handled++
        await new Promise((r) => setTimeout(r, 1))
      },
    })
    await fh.start()
    const heap: number[] = []
    const queue: number[] = []
    const started = Date.now()
    while (Date.now() - started < 3000) {
      await new Promise((r) => setTimeout(r, 250))
      globalThis.gc?.()
      heap.push(process.memoryUsage().heapUsed)
      queue.push(fh.pending)
    }
    await fh.stop()
    for (const c of wss.clients) c.terminate()
    await new Promise<void>((r) => wss.close(() => r()))
    console.log(
      JSON.stringify({
        handled,
        sent,
        maxPending: fh.maxPending,
        queue,
        heapMB: heap.map((h) => Math.round(h / 1e6)),
      }),
    )
    expect(handled).toBeGreaterThan(200)
    // the producer was held back by the paused socket: it could not run far ahead of the consumer
    expect(fh.maxPending).toBeLessThanOrEqual(maxQueue + 64)
    expect(Math.max(...queue)).toBeLessThanOrEqual(maxQueue + 64)
    // heap after warm-up stays within a band (no growth proportional to events sent)
    const warm = heap.slice(2)
    const growth = Math.max(...warm) - Math.min(...warm)
    expect(growth).toBeLessThan(64 * 1024 * 1024)
    expect(sent).toBeLessThan(handled + 20_000) // bounded by socket buffers, not by the test length
  }, 20_000)
})
