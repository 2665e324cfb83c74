// Worker-thread body for the sync suite's scaling case: authenticates the `#commit` frames it is
// sent (all of a DID's frames go to the same worker, in stream order) with its own chain state.
import { parentPort } from 'node:worker_threads'
import { authenticateCommit, decodeFrame, parseCommitEvent, type RepoState, staticKeys } from '@rsky/sync'

type Msg = { keys: [string, string][] } | { frames: Uint8Array[] }

let keys = staticKeys(new Map())
const port = parentPort
if (port === null) throw new Error('sync-worker: not a worker thread')
port.on('message', async (m: Msg) => {
  if ('keys' in m) {
    keys = staticKeys(new Map(m.keys))
    port.postMessage(0)
    return
  }
  const states = new Map<string, RepoState>()
  let ok = 0
  for (const f of m.frames) {
    const frame = decodeFrame(f)
    if (frame.op !== 1) continue
    const p = parseCommitEvent(frame.body as never)
    if (!p.success) continue
    const r = await authenticateCommit(p.value, { keys, prior: states.get(p.value.repo) })
    if (!r.success) continue
    states.set(p.value.repo, { rev: r.value.rev, data: r.value.data, status: 'synchronized' })
    ok++
  }
  port.postMessage(ok)
})
