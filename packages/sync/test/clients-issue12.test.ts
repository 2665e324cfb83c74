// Issue 12 cases 9 and 10: Jetstream delivers events that arrive out of time order (and drops
// only real replays), never skips an event whose handler fails; a cursor file that is blank or
// not decimal does not load as a cursor.
import { mkdtempSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type WebSocket, WebSocketServer } from 'ws'
import { JetstreamClient, type JetstreamEvent } from '../src/jetstream.ts'
import { FileCursorStore } from '../src/node.ts'

const DID = 'did:plc:jetstreamjetstreamjetst'
const FAST = { minDelayMs: 5, maxDelayMs: 20 }

function post(i: number, time_us: number): Record<string, unknown> {
  return {
    did: DID,
    time_us,
    kind: 'commit',
    commit: {
      rev: `3l3qo2vutsw${'abcdefghijklmnopqrstuvwxyz'[i % 26]}2`,
      operation: 'create',
      collection: 'app.bsky.feed.post',
      rkey: `3l3qo2vuowo2${'abcdefghij'[i % 10]}`,
      record: { $type: 'app.bsky.feed.post', text: `post ${i}`, createdAt: '2024-09-01T00:00:00.000Z' },
      cid: 'bafyreidc6sydkkbchcyg62v77wbhzvb2mvytlmsychqgwf2xojjtirmzj4',
    },
  }
}

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of closers.splice(0)) await c()
})

async function serve(
  onConnect: (ws: WebSocket, url: URL, n: number) => void,
): Promise<{ url: string; requests: URL[] }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((r) => wss.once('listening', () => r()))
  const requests: URL[] = []
  wss.on('connection', (ws, req) => {
    const url = new URL(req.url ?? '/', 'http://x')
    requests.push(url)
    onConnect(ws, url, requests.length - 1)
  })
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate()
        wss.close(() => resolve())
      }),
  )
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, requests }
}

describe('case 9: Jetstream never drops an event for its time', () => {
  it('delivers events whose time_us is at or below the previous one; drops only replays of handled events', async () => {
    const T = 1_725_000_000_000_000
    // replay-to-live cutover: live events interleave with late replayed ones (older time_us)
    const events = [
      post(0, T + 10),
      post(1, T + 30),
      post(2, T + 20),
      post(3, T + 30),
      post(4, T + 40),
      post(5, T + 5),
    ]
    const server = await serve((ws, _url, n) => {
      for (const e of events) ws.send(JSON.stringify(e))
      // the second connection replays everything: all of it already handled
      if (n === 0) ws.terminate()
    })
    const seen: string[] = []
    let client!: JetstreamClient
    await new Promise<void>((resolve) => {
      client = new JetstreamClient({
        service: server.url,
        reconnect: FAST,
        onEvent: (e: JetstreamEvent) => {
          if (e.kind === 'commit') seen.push(e.commit.record?.text as string)
          if (seen.length === events.length) setTimeout(resolve, 100)
        },
      })
      void client.start()
    })
    await client.stop()
    expect(seen).toEqual(['post 0', 'post 1', 'post 2', 'post 3', 'post 4', 'post 5'])
    expect(client.cursor).toBe(T + 40)
  })

  it('a failing handler is retried and never skipped; after the last try the client fails and the cursor stays', async () => {
    const T = 1_725_000_000_000_000
    const events = [post(0, T + 1), post(1, T + 2), post(2, T + 3)]
    const server = await serve((ws) => {
      for (const e of events) ws.send(JSON.stringify(e))
    })
    let tries = 0
    const handled: number[] = []
    const client = new JetstreamClient({
      service: server.url,
      reconnect: FAST,
      retry: { attempts: 3, minDelayMs: 1, maxDelayMs: 2 },
      onError: () => {},
      onEvent: (e: JetstreamEvent) => {
        if (e.time_us === T + 2 && ++tries <= 5) throw new Error('handler down')
        handled.push(e.time_us)
      },
    })
    await client.start()
    const end = Date.now() + 10_000
    while (client.state() !== 'failed' && Date.now() < end) await new Promise((r) => setTimeout(r, 5))
    await client.stop()
    expect(client.state()).toBe('failed')
    expect(tries).toBe(3)
    expect(handled).toEqual([T + 1])
    expect(client.cursor).toBe(T + 1)
  })

  it('rewindUs asks for a little earlier and drops what was already handled', () => {
    const client = new JetstreamClient({
      service: 'ws://127.0.0.1:1',
      cursor: 5_000_000,
      rewindUs: 1_000_000,
      onEvent: () => {},
    })
    expect(new URL(client.url()).searchParams.get('cursor')).toBe('4000000')
  })
})

describe('case 10: FileCursorStore loads only a decimal cursor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rsky-cursor-'))
  const table: [string, string][] = [
    ['empty', ''],
    ['blank', '  \n'],
    ['hex', '0x10'],
    ['exponent', '1e3'],
    ['negative', '-5'],
    ['fraction', '1.5'],
    ['leading zero', '010'],
    ['too large', '9007199254740993'],
    ['text', 'cursor'],
  ]
  for (const [name, text] of table) {
    it(`refuses ${name} (${JSON.stringify(text)})`, async () => {
      const path = join(dir, `c-${name.replace(/ /g, '-')}`)
      writeFileSync(path, text)
      await expect(new FileCursorStore(path).load()).rejects.toThrow(RangeError)
    })
  }
  it('loads a decimal cursor, 0 included, and a missing file as none', async () => {
    const path = join(dir, 'ok')
    writeFileSync(path, '1234\n')
    expect(await new FileCursorStore(path).load()).toBe(1234)
    writeFileSync(path, '0')
    expect(await new FileCursorStore(path).load()).toBe(0)
    expect(await new FileCursorStore(join(dir, 'missing')).load()).toBeUndefined()
  })
})
