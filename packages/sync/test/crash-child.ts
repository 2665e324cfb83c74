// Test-only: the consumer of crash.test.ts, run as a child process and killed with SIGKILL at
// random points. It applies each commit's ops to an append-only sink (idempotent: keyed by seq and
// path), then lets the Firehose commit state and cursor to a durable store; it exits 0 once the
// saved cursor reaches the last seq.
import { appendFileSync, readFileSync } from 'node:fs'
import { Firehose } from '../src/firehose.ts'
import { staticKeys } from '../src/keys.ts'
import { JsonFileSyncStore } from './file-sync-store.ts'

const [url, dir, lastArg] = process.argv.slice(2) as [string, string, string]
const last = Number(lastArg)
const keys = staticKeys(JSON.parse(readFileSync(`${dir}/keys.json`, 'utf8')) as Record<string, string>)
const store = new JsonFileSyncStore(`${dir}/store.json`)
const sink = `${dir}/sink.log`
let seed = Number(process.env.CHILD_SEED ?? 1)
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed / 2 ** 31
}

const fh = new Firehose({
  service: url,
  keys,
  store,
  fetchRepo: null,
  concurrency: 8,
  maxQueue: 64,
  reconnect: { minDelayMs: 5, maxDelayMs: 50 },
  onError: (e) => process.stderr.write(`error: ${(e as Error)?.message}\n`),
  onReject: (r) => appendFileSync(`${dir}/rejects.log`, `${r.seq} ${r.code}\n`),
  onEvent: async (e) => {
    if (e.type !== 'commit' || e.verified === null) return
    const lines = e.verified.ops.map((op) => `${e.seq} ${e.did} ${op.action} ${op.path} ${op.cid ?? '-'}\n`)
    // a little work, so a kill can land while handlers run
    if (rand() < 0.3) await new Promise((r) => setTimeout(r, 1))
    appendFileSync(sink, lines.join(''))
  },
})
await fh.start()
const poll = setInterval(async () => {
  if (store.getCursor(url) === last) {
    clearInterval(poll)
    await fh.stop()
    process.exit(0)
  }
  if (fh.state() === 'failed') process.exit(3)
}, 5)
