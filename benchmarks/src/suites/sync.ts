// Firehose workloads: authenticated `#commit` events (sync 1.1) against @atproto/sync's
// authenticated parsing, frame decoding, and authentication spread over worker threads by DID.

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { parseCommitAuthenticated } from '@atproto/sync'
import * as ipldCbor from '@ipld/dag-cbor'
import type { LexMap } from '@rsky/dag-cbor'
import {
  authenticateCommit,
  type CommitEvent,
  decodeFrame,
  parseCommitEvent,
  type RepoState,
  staticKeys,
} from '@rsky/sync'
import { CommitAuthPool } from '@rsky/sync/node'
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
