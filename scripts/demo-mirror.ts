// What `npm start` runs: the official PDS and PLC directory on loopback (@atproto/dev-env) with a
// few accounts that already have history, `rsky sync run` mirroring them into a SQLite file while
// more writes arrive (a new account, deletes, a batch, a handle change), then `rsky sync status`
// and a check that the mirror holds exactly what `getRepo` holds for every account.
//   node scripts/demo-mirror.ts            (after the packages are built; npm start does both)
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { TestNetworkNoAppView } from '@atproto/dev-env'
import { MemoryBlockstore, Repo, readCarWithRoot } from '@atproto/repo'

// The PDS's better-sqlite3 frees statements from GC finalizers; V8's memory reducer can run such a
// GC outside a Node environment and abort the process. The demo is short, but stays safe.
setFlagsFromString('--no-memory-reducer')

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(root, 'packages/cli/dist/bin.js')
const rsky = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' })

function say(line: string): void {
  process.stdout.write(`${line}\n`)
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`demo: gave up waiting for ${what} after ${ms / 1000} s`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** `collection/rkey cid` of every record getRepo returns, sorted. */
async function heldByHost(pds: string, did: string): Promise<string[]> {
  const res = await fetch(`${pds}/xrpc/com.atproto.sync.getRepo?did=${encodeURIComponent(did)}`)
  if (!res.ok) throw new Error(`getRepo ${did}: ${res.status}`)
  const { root: head, blocks } = await readCarWithRoot(new Uint8Array(await res.arrayBuffer()))
  const repo = await Repo.load(new MemoryBlockstore(blocks), head)
  return (await repo.data.list()).map((l) => `${l.key} ${l.value.toString()}`).sort()
}

/** The same lines from `rsky sync records --json`. */
function heldByMirror(db: string, did: string): string[] {
  const r = rsky(['sync', 'records', '--db', db, '--did', did, '--json'])
  if (r.status !== 0) throw new Error(`rsky sync records: ${r.stderr}`)
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { collection: string; rkey: string; cid: string })
    .map((x) => `${x.collection}/${x.rkey} ${x.cid}`)
    .sort()
}

const net = await TestNetworkNoAppView.create({})
const sc = net.getSeedClient()
let engine: ChildProcess | undefined
try {
  const pds = net.pds.url
  type Did = `did:${string}:${string}`
  const dids: Did[] = []
  const account = async (name: string): Promise<Did> => {
    await sc.createAccount(name, { email: `${name}@demo.test`, handle: `${name}.test`, password: 'hunter22' })
    const did = sc.dids[name] as Did
    dids.push(did)
    return did
  }
  say(`official PDS on ${pds}, PLC directory on ${net.plc.url}`)
  const [alice, bob, carol] = [await account('alice'), await account('bob'), await account('carol')]
  const alicePosts: Awaited<ReturnType<typeof sc.post>>['ref'][] = []
  for (let i = 0; i < 10; i++)
    for (const did of [alice, bob, carol]) {
      const { ref } = await sc.post(did, `post ${i}`)
      if (did === alice) alicePosts.push(ref)
    }
  await sc.follow(alice, bob)
  await sc.follow(bob, carol)
  say('3 accounts with 10 posts each and some follows: history for the backfill')

  const db = join(mkdtempSync(join(tmpdir(), 'rsky-demo-')), 'mirror.db')
  const args = ['sync', 'run', '--service', pds, '--plc', net.plc.url, '--db', db]
  say(`\n$ rsky ${args.join(' ')}   (runs until SIGTERM)`)
  engine = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'inherit', 'inherit'] })
  const exited = new Promise<number | null>((r) => engine?.once('exit', (code) => r(code)))

  const active = (): number => {
    const r = rsky(['sync', 'status', '--db', db, '--json'])
    return r.status === 0 ? (JSON.parse(r.stdout) as { repos: { active: number } }).repos.active : 0
  }
  await until('the backfill of the 3 accounts', () => active() >= 3)
  say('backfilled; now writes arrive live, over the firehose')
  // live writes while it follows the firehose
  const dave = await account('dave')
  for (let i = 0; i < 5; i++) await sc.post(dave, `dave ${i}`)
  await sc.like(dave, (await sc.post(alice, 'live post')).ref)
  for (const ref of alicePosts.slice(0, 2)) await sc.deletePost(alice, ref.uri)
  await sc.updateHandle(bob, 'bob-renamed.test')
  say('live: a new account with posts, a like, two deletes, a handle change')

  const equal = async (): Promise<boolean> => {
    for (const did of dids)
      if (JSON.stringify(await heldByHost(pds, did)) !== JSON.stringify(heldByMirror(db, did))) return false
    return true
  }
  await until('the mirror to hold what the PDS holds', equal)
  engine.kill('SIGTERM')
  const code = await exited
  engine = undefined
  if (code !== 0) throw new Error(`rsky sync run exited with ${code}`)

  say(`\n$ rsky sync status --db ${db}`)
  const status = rsky(['sync', 'status', '--db', db])
  process.stdout.write(status.stdout)
  let records = 0
  for (const did of dids) records += heldByMirror(db, did).length
  say(
    `\nmirror == getRepo for all ${dids.length} accounts (${records} records): nothing missing, nothing extra`,
  )
  say(`the mirror stays in ${db}; try: npm start -- sync records --db ${db} --json`)
} finally {
  engine?.kill('SIGKILL')
  await net.close()
}
