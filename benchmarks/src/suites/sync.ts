// Firehose workloads: authenticated `#commit` events (sync 1.1) against @atproto/sync's
// authenticated parsing, frame decoding, and authentication spread over worker threads by DID.

import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { parseCommitAuthenticated } from '@atproto/sync'
import * as ipldCbor from '@ipld/dag-cbor'
import type { LexMap } from '@rsky/dag-cbor'
import {
  authenticateCommit,
  type CommitAuthenticator,
  type CommitEvent,
  decodeFrame,
  Firehose,
  MemorySyncStore,
  parseCommitEvent,
  type RepoState,
  staticKeys,
} from '@rsky/sync'
import { CommitAuthPool } from '@rsky/sync/node'
import { WebSocketServer } from 'ws'
import type { BenchCase, BenchSuite, ImplFactory } from '../harness.ts'
import { type CurveMix, headerLength, type SyncWorkload, syncWorkload } from '../workloads/sync.ts'

const COMMITS = 2000
const ACCOUNTS = 200

function parse(frame: Uint8Array): CommitEvent {
  const f = decodeFrame(frame)
  if (f.op !== 1) throw new Error('not a message frame')
  const p = parseCommitEvent(f.body as LexMap)
  if (!p.success) throw new Error(`bad event: ${p.issues[0]?.message}`)
  return p.value
}

/** Ours: frame → typed event → authenticateCommit, chaining each DID's state (rev, data). */
function oursAuth(w: SyncWorkload): () => Promise<void> {
  const keys = staticKeys(w.keys)
  return async () => {
    const states = new Map<string, RepoState>()
    for (const frame of w.frames) {
      const evt = parse(frame)
      const r = await authenticateCommit(evt, { keys, prior: states.get(evt.repo) })
      if (!r.success) throw new Error(`${r.code}: ${r.message}`)
      states.set(evt.repo, { rev: r.value.rev, data: r.value.data, status: 'synchronized' })
    }
  }
}

/** @atproto/sync: the frame body decoded with @ipld/dag-cbor, then parseCommitAuthenticated. */
function atprotoAuth(w: SyncWorkload): () => Promise<void> {
  const resolver = {
    did: { resolveAtprotoKey: async (did: string) => w.keys.get(did) as string },
  } as unknown as Parameters<typeof parseCommitAuthenticated>[0]
  return async () => {
    for (const frame of w.frames) {
      const hl = headerLength(frame)
      const header = ipldCbor.decode(frame.subarray(0, hl)) as { op: number; t: string }
      if (header.op !== 1) throw new Error('not a message frame')
      const evt = ipldCbor.decode(frame.subarray(hl)) as Parameters<typeof parseCommitAuthenticated>[1]
      const ops = await parseCommitAuthenticated(resolver, evt)
      if (ops.length === 0) throw new Error('no ops')
    }
  }
}

/**
 * `CommitAuthPool` (@rsky/sync/node) with `n` worker threads: the main thread decodes and parses
 * each frame, resolves the key and chains each DID's commits (in order, as a Firehose does);
 * the pool sends each DID to one worker, so different repositories verify in parallel.
 */
function pooled(w: SyncWorkload, n: number): ImplFactory {
  return () => {
    const pool = new CommitAuthPool({ threads: n })
    const keys = staticKeys(w.keys)
    return async () => {
      const states = new Map<string, RepoState>()
      const chains = new Map<string, Promise<void>>()
      let ok = 0
      for (const frame of w.frames) {
        const evt = parse(frame)
        const did = evt.repo
        const step = async () => {
          const r = await pool.authenticateCommit(evt, { keys, prior: states.get(did) })
          if (!r.success) throw new Error(`${r.code}: ${r.message}`)
          states.set(did, { rev: r.value.rev, data: r.value.data, status: 'synchronized' })
          ok++
        }
        chains.set(did, (chains.get(did) ?? Promise.resolve()).then(step))
      }
      await Promise.all(chains.values())
      if (ok !== w.frames.length) throw new Error(`verified ${ok} of ${w.frames.length}`)
    }
  }
}

/** A loopback WebSocket server that sends `frames` (after the cursor) to each subscriber. */
async function frameServer(
  frames: Uint8Array[],
  seqs: number[],
): Promise<{ url: string; close(): Promise<void> }> {
  // unref'd: the benchmark's child process must be able to exit with the server still open
  const http = createServer()
  http.unref()
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()))
  const wss = new WebSocketServer({ server: http })
  wss.on('connection', (ws, req) => {
    const c = new URL(req.url ?? '/', 'http://x').searchParams.get('cursor')
    let i = c === null ? 0 : seqs.findIndex((s) => s > Number(c))
    if (i < 0) i = frames.length
    const pump = (): void => {
      while (i < frames.length) {
        if (ws.bufferedAmount > 1024 * 1024) return void setTimeout(pump, 1)
        ws.send(frames[i++] as Uint8Array)
      }
    }
    pump()
  })
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate()
        wss.close(() => http.close(() => resolve()))
      }),
  }
}

/**
 * The whole client: a Firehose reading the frames from a loopback WebSocket server, authenticating
 * (inline or through a pool), delivering to a handler that takes 1 ms per event (32 DIDs at once)
 * and committing state and cursor to a MemorySyncStore. One call = the whole stream from scratch.
 */
function firehoseRun(w: SyncWorkload, threads: number): ImplFactory {
  return async () => {
    const seqs = w.frames.map((f) => parse(f).seq)
    const last = seqs.at(-1) as number
    const server = await frameServer(w.frames, seqs)
    const pool = threads > 0 ? new CommitAuthPool({ threads }) : undefined
    const keys = staticKeys(w.keys)
    return async () => {
      let delivered = 0
      const fh = new Firehose({
        service: server.url,
        keys,
        store: new MemorySyncStore(),
        fetchRepo: null,
        concurrency: 32,
        ...(pool ? { authenticator: pool as CommitAuthenticator } : {}),
        onEvent: async () => {
          await new Promise((r) => setTimeout(r, 1))
          delivered++
        },
      })
      await fh.start()
      while (fh.cursor !== last) {
        if (fh.state() === 'failed') throw new Error('firehose failed')
        await new Promise((r) => setTimeout(r, 1))
      }
      await fh.stop()
      if (delivered !== w.frames.length) throw new Error(`delivered ${delivered} of ${w.frames.length}`)
    }
  }
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/**
 * The ceiling for `n` threads: `n` worker threads each decode and authenticate their own share of
 * the DIDs (chained, in order), and nothing but a start and a done message crosses threads.
 */
function independent(n: number): ImplFactory {
  return async () => {
    const workers = Array.from(
      { length: n },
      (_, part) =>
        new Worker(new URL(import.meta.url), {
          workerData: { syncCeiling: { part, of: n } },
          execArgv: process.execArgv,
        }),
    )
    const ask = (w: Worker) =>
      new Promise<void>((resolve, reject) => {
        w.ref()
        const done = (m: unknown) => {
          w.off('error', reject)
          w.unref()
          if (m === 'ok') resolve()
          else reject(new Error(String(m)))
        }
        w.once('message', done)
        w.once('error', reject)
        w.postMessage('run')
      })
    await Promise.all(workers.map(ask)) // loaded and warm
    return () => Promise.all(workers.map(ask))
  }
}

function authCase(w: SyncWorkload, mix: CurveMix): BenchCase {
  const label = mix === 'k256' ? 'secp256k1' : 'half secp256k1, half P-256'
  return {
    name: `authenticate ${w.frames.length} #commit frames, ${label} (${ACCOUNTS} repos, 1–5 ops, ${(w.ops / w.frames.length).toFixed(1)} avg)`,
    unit: 'commit',
    perCall: w.frames.length,
    note: 'from frame bytes: frame and event decoded, CAR hash-checked, signature verified, ops checked (ours: sync 1.1 MST inversion against prevData, rev and chain per repo; @atproto/sync: covering proofs and signature, records decoded to JSON). Keys are a fixed table on both sides; one thread',
    impls: {
      '@rsky/sync authenticateCommit': () => oursAuth(w),
      '@atproto/sync parseCommitAuthenticated': () => atprotoAuth(w),
    },
  }
}

const suite: BenchSuite = {
  name: 'sync',
  description:
    'Firehose commit authentication (sync 1.1) and frame decoding against @atproto/sync, and scaling over worker threads.',
  async cases() {
    const k256 = await syncWorkload(COMMITS, ACCOUNTS, 'k256')
    const mixed = await syncWorkload(COMMITS, ACCOUNTS, 'mixed')
    const bytes = k256.frames.reduce((n, f) => n + f.length, 0)
    return [
      authCase(k256, 'k256'),
      authCase(mixed, 'mixed'),
      {
        name: `decode ${k256.frames.length} #commit frames (${(bytes / k256.frames.length / 1024).toFixed(1)} KiB avg)`,
        unit: 'frame',
        perCall: k256.frames.length,
        note: 'ours: header and body decoded (strict DAG-CBOR) and the body checked against the #commit lexicon shape; @ipld/dag-cbor: header and body decoded, no shape check',
        impls: {
          '@rsky/sync decodeFrame + parseCommitEvent': () => () => {
            for (const f of k256.frames) parse(f)
          },
          '@ipld/dag-cbor decode': () => () => {
            for (const f of k256.frames) {
              const hl = headerLength(f)
              ipldCbor.decode(f.subarray(0, hl))
              ipldCbor.decode(f.subarray(hl))
            }
          },
        },
      },
      {
        name: `authenticate ${k256.frames.length} secp256k1 #commit frames over worker threads (spread by DID)`,
        unit: 'commit',
        perCall: k256.frames.length,
        note: '@rsky/sync/node CommitAuthPool: the main thread decodes each frame and chains each DID (one repo per thread, in order); workers verify. The ceiling row: two threads each decode and authenticate their own DIDs, nothing crossing threads. Ratios are speed-ups over the other rows; the main thread shares the cores machineInfo reports',
        impls: {
          '@rsky/sync CommitAuthPool, 2 threads': pooled(k256, 2),
          '@rsky/sync CommitAuthPool, 1 thread': pooled(k256, 1),
          '@rsky/sync authenticateCommit, main thread': () => oursAuth(k256),
          'ceiling: 2 threads, each authenticateCommit on its own DIDs, no pool': independent(2),
        },
      },
      {
        name: `Firehose end to end: ${k256.frames.length} #commit frames over loopback WebSocket, handler 1 ms per event, 32 DIDs at once`,
        unit: 'commit',
        perCall: k256.frames.length,
        memory: true,
        note: 'the whole client from socket to committed cursor: frames read, authenticated, delivered to a handler that waits 1 ms, then state and cursor committed to a MemorySyncStore (group commits); maxQueue 1,000 events / 64 MiB bounds memory. Ratios are against the first row',
        impls: {
          '@rsky/sync Firehose, inline authentication': firehoseRun(k256, 0),
          '@rsky/sync Firehose, CommitAuthPool 2 threads': firehoseRun(k256, 2),
        },
      },
    ]
  },
}

export default suite

// Worker body of `independent`: authenticate this thread's share of the DIDs on each 'run'.
const ceiling = (workerData as { syncCeiling?: { part: number; of: number } } | null)?.syncCeiling
if (!isMainThread && parentPort !== null && ceiling !== undefined) {
  const port = parentPort
  const w = await syncWorkload(COMMITS, ACCOUNTS, 'k256')
  const mine = w.frames.filter((f) => fnv1a(parse(f).repo) % ceiling.of === ceiling.part)
  const run = oursAuth({ ...w, frames: mine })
  port.on('message', () => {
    run().then(
      () => port.postMessage('ok'),
      (err: unknown) => port.postMessage(String(err)),
    )
  })
}
