// The mirror's live path as a service runs it: a MirrorEngine fed the workload's `#commit` frames
// through a socket that honours pause/resume (as `ws` does), each commit authenticated (inline or on
// a CommitAuthPool) and written durably, runs of them in one transaction. A loopback HTTP server
// answers the engine's health probe; nothing else touches the network.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Cid, LexMap } from '@rsky/dag-cbor'
import { MirrorEngine, type MirrorStore } from '@rsky/mirror'
import {
  type CommitAuthenticator,
  decodeFrame,
  parseCommitEvent,
  type SocketFactory,
  type SocketLike,
  staticKeys,
} from '@rsky/sync'
import type { SyncWorkload } from './sync.ts'

/** A socket factory that plays `frames` once per connection, 64 per turn of the event loop. */
export function frameSocket(frames: readonly Uint8Array[]): SocketFactory {
  return () => {
    let i = 0
    let paused = false
    let closed = false
    const s: SocketLike = {
      binaryType: 'arraybuffer',
      onopen: null,
      onmessage: null,
      onclose: null,
      onerror: null,
      close() {
        closed = true
      },
      pause() {
        paused = true
      },
      resume() {
        paused = false
        setImmediate(pump)
      },
    }
    const pump = (): void => {
      for (let n = 0; !paused && !closed && i < frames.length && n < 64; n++)
        s.onmessage?.({ data: frames[i++] })
      if (!paused && !closed && i < frames.length) setImmediate(pump)
    }
    setImmediate(() => {
      s.onopen?.({})
      pump()
    })
    return s
  }
}

let host: Promise<string> | undefined
/** A loopback server answering `_health` (the engine's probe when given DIDs). */
function healthHost(): Promise<string> {
  host ??= new Promise((resolve) => {
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json')
      res.end('{}')
    })
    server.unref()
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))
  })
  return host
}

type Seed = { did: string; state: { rev: string; data: Cid; status: 'synchronized' } }

/** The seed states of a stream, found once per stream: the decoding is setup, not the measured path. */
const seeds = new WeakMap<readonly Uint8Array[], Seed[]>()

function seedsOf(frames: readonly Uint8Array[]): Seed[] {
  const known = seeds.get(frames)
  if (known !== undefined) return known
  const seen = new Set<string>()
  const repos: Seed[] = []
  for (const frame of frames) {
    const p = parseCommitEvent(decodeFrame(frame).body as LexMap)
    if (!p.success) throw new Error('bad frame')
    const e = p.value
    if (seen.has(e.repo) || e.since === null || e.prevData === undefined) continue
    seen.add(e.repo)
    repos.push({ did: e.repo, state: { rev: e.since, data: e.prevData, status: 'synchronized' } })
  }
  seeds.set(frames, repos)
  return repos
}

/** Each DID starts at the state its first commit in the stream follows. */
export async function seedStates(store: MirrorStore, frames: readonly Uint8Array[]): Promise<void> {
  await store.commit({ repos: seedsOf(frames) })
}

/**
 * One run of the engine over the whole stream into a fresh store: resolves once every commit is
 * applied (each one checked: a rejection or a commit not applied fails the run).
 */
export async function engineRun(
  w: SyncWorkload,
  store: MirrorStore,
  authenticator: CommitAuthenticator | undefined,
): Promise<void> {
  await seedStates(store, w.frames)
  let failed: string | undefined
  const engine = new MirrorEngine({
    store,
    service: await healthHost(),
    dids: [...w.keys.keys()],
    keys: staticKeys(w.keys),
    socketFactory: frameSocket(w.frames),
    ...(authenticator === undefined ? {} : { authenticator }),
    onReject: (r) => {
      failed = `${r.code}: ${r.message}`
    },
  })
  // a store that has followed this stream before (a cursor held): the seeded states stand, and a
  // first start's resync of every active repository does not apply
  await store.saveCursor(engine.stream, 0)
  await engine.start()
  try {
    while (engine.stats.commitsApplied < w.frames.length) {
      if (failed !== undefined) throw new Error(`commit rejected: ${failed}`)
      if (engine.stats.commitsBuffered + engine.stats.chainBreaks > 0)
        throw new Error('a commit was not applied')
      await new Promise((r) => setTimeout(r, 1))
    }
  } finally {
    await engine.stop()
  }
}
