// Test-only: a real WebSocket server on loopback that replays a scripted firehose.
import type { AddressInfo } from 'node:net'
import { type WebSocket, WebSocketServer } from 'ws'

export type ScriptItem =
  | { kind: 'event'; seq: number; frame: Uint8Array }
  /** A frame without a seq (malformed bytes, error frames, info): sent once, then dropped from the script. */
  | { kind: 'once'; frame: Uint8Array; closeAfter?: boolean }
  /** Abruptly drops the connection the first time it is reached. */
  | { kind: 'disconnect' }

export interface ReplayServer {
  url: string
  connections: { cursor: number | undefined }[]
  close(): Promise<void>
}

/**
 * Serves `script` on `/xrpc/com.atproto.sync.subscribeRepos`. On connect it replays events after
 * the cursor (or from it, when `inclusive`, as the spec's "greater-or-equal" wording allows).
 */
export async function startReplayServer(
  script: ScriptItem[],
  opts: { inclusive?: (conn: number) => boolean; pace?: number; path?: string } = {},
): Promise<ReplayServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((r) => wss.once('listening', () => r()))
  const used = new Set<number>()
  const connections: { cursor: number | undefined }[] = []
  wss.on('connection', (ws: WebSocket, req) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const c = url.searchParams.get('cursor')
    const cursor = c === null ? undefined : Number(c)
    const inclusive = opts.inclusive?.(connections.length) ?? false
    connections.push({ cursor })
    let i = 0
    let closed = false
    ws.on('close', () => {
      closed = true
    })
    const pump = (): void => {
      let sent = 0
      while (!closed && i < script.length) {
        // respect the socket's buffer so a slow (paused) client pushes back on us
        if (ws.bufferedAmount > 256 * 1024) return void setTimeout(pump, 2)
        const idx = i++
        const item = script[idx] as ScriptItem
        if (item.kind === 'event') {
          if (cursor !== undefined && (inclusive ? item.seq < cursor : item.seq <= cursor)) continue
          ws.send(item.frame)
        } else if (item.kind === 'once') {
          if (used.has(idx)) continue
          used.add(idx)
          ws.send(item.frame)
          if (item.closeAfter) {
            ws.close()
            return
          }
        } else {
          if (used.has(idx)) continue
          used.add(idx)
          ws.terminate()
          return
        }
        if (++sent >= (opts.pace ?? 64)) return void setImmediate(pump)
      }
    }
    pump()
  })
  const port = (wss.address() as AddressInfo).port
  return {
    url: `ws://127.0.0.1:${port}`,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate()
        wss.close(() => resolve())
      }),
  }
}
