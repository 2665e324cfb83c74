// One `subscribeLabels` connection: replay from the cursor, then live, pulled from the labeler (and
// its store) by the connection itself so nothing queues per subscriber. A subscriber that stops
// reading is sent nothing more once its socket buffer is full, and is dropped after a grace period.

import { labelToLex } from '@rsky/label'
import { encodeErrorFrame, encodeMessageFrame } from '@rsky/sync'
import type { WebSocket } from 'ws'
import type { Labeler } from './labeler.ts'

/** Limits of one subscriber. */
export interface SubscribeLimits {
  /** Stop sending while the socket holds more than this many unsent bytes. Default 1 MiB. */
  readonly highWaterBytes?: number
  /** Drop a subscriber that stays above the high-water mark this long, in ms. Default 10,000. */
  readonly slowConsumerMs?: number
  /** Events read per batch. Default 500. */
  readonly batchSize?: number
  /** Called when a subscriber is dropped for not reading: what was sent and what sat unsent. */
  readonly onSlowConsumer?: (info: { sent: number; bufferedBytes: number }) => void
}

/** Outcome of checking the `cursor` parameter. */
export type CursorCheck =
  | { kind: 'live' }
  | { kind: 'replay'; after: number; outdated: boolean }
  | { kind: 'error'; error: 'InvalidRequest' | 'FutureCursor'; message: string }

/** Parses and checks `cursor` against the labeler's head and the pruned window. */
export function checkCursor(raw: string | null, head: number, prunedBefore: number): CursorCheck {
  if (raw === null) return { kind: 'live' }
  if (!/^(0|[1-9][0-9]{0,15})$/.test(raw)) {
    return { kind: 'error', error: 'InvalidRequest', message: 'cursor must be a non-negative integer' }
  }
  const cursor = Number(raw)
  if (cursor > head) return { kind: 'error', error: 'FutureCursor', message: 'cursor is ahead of the stream' }
  if (prunedBefore > 0 && cursor < prunedBefore - 1)
    return { kind: 'replay', after: prunedBefore - 1, outdated: true }
  return { kind: 'replay', after: cursor, outdated: false }
}

/** Serves one subscriber until it goes away or falls too far behind. */
export async function serveSubscriber(
  ws: WebSocket,
  labeler: Labeler,
  cursorParam: string | null,
  limits: SubscribeLimits = {},
): Promise<void> {
  const highWater = limits.highWaterBytes ?? 1024 * 1024
  const slowMs = limits.slowConsumerMs ?? 10_000
  const batch = limits.batchSize ?? 500
  let closed = false
  let wake: (() => void) | undefined
  const unsubscribe = labeler.onAppend(() => wake?.())
  ws.on('close', () => {
    closed = true
    wake?.()
  })
  ws.on('error', () => {})
  try {
    const check = checkCursor(cursorParam, labeler.head, await labeler.store.prunedBefore())
    if (check.kind === 'error') {
      ws.send(encodeErrorFrame(check.error, check.message))
      ws.close(1008, check.error)
      return
    }
    let after = check.kind === 'live' ? labeler.head : check.after
    if (check.kind === 'replay' && check.outdated) {
      ws.send(
        encodeMessageFrame('#info', {
          name: 'OutdatedCursor',
          message: 'requested cursor is older than the backfill window',
        }),
      )
    }
    let slowSince: number | undefined
    let sent = 0
    while (!closed) {
      if (ws.bufferedAmount > highWater) {
        const now = Date.now()
        slowSince ??= now
        if (now - slowSince >= slowMs) {
          limits.onSlowConsumer?.({ sent, bufferedBytes: ws.bufferedAmount })
          ws.terminate()
          return
        }
        await sleep(Math.min(50, slowMs))
        continue
      }
      slowSince = undefined
      const events = await labeler.eventsAfter(after, batch)
      if (events.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve
          if (labeler.head > after || closed) resolve()
        })
        wake = undefined
        continue
      }
      for (const e of events) {
        if (closed) return
        ws.send(encodeMessageFrame('#labels', { seq: e.seq, labels: [labelToLex(e.label)] }))
        after = e.seq
        sent++
      }
    }
  } catch {
    if (!closed) ws.terminate()
  } finally {
    unsubscribe()
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
