// The engine as a child process (`rsky sync run`), killed with SIGKILL at seeded random moments
// while the PDS keeps taking writes, then restarted; at the end `rsky sync records` lists exactly
// what getRepo holds for every account.
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import type { MirrorStore } from '../src/index.ts'
import { applyWrites, type Did, heldByHost, type Net, newAccount, type Seed } from './pds.ts'
import { expectEqualToHost } from './scenario.ts'

const root = join(import.meta.dirname, '../../..')
const bin = join(root, 'packages/cli/src/bin.ts')
const nodeArgs = ['--conditions=source', '--no-warnings']

function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function startEngine(net: Net, db: string, log: string): ChildProcess {
  // Child output goes to a file, not a pipe: see the note in pds.ts on GC outside a Node context.
  const fd = openSync(log, 'a')
  const child = spawn(
    process.execPath,
    [...nodeArgs, bin, 'sync', 'run', '--service', net.pds.url, '--db', db, '--plc', net.plc.url],
    { stdio: ['ignore', 'ignore', fd], cwd: root },
  )
  closeSync(fd)
  return child
}

/** Runs the built-from-source `rsky` to the end, its stdout into a file; resolves to [exit code, stdout]. */
async function rskyToFile(args: string[], out: string): Promise<[number | null, string]> {
  const fd = openSync(out, 'w')
  const child = spawn(process.execPath, [...nodeArgs, bin, ...args], {
    stdio: ['ignore', fd, 'ignore'],
    cwd: root,
  })
  closeSync(fd)
  const code = await exited(child)
  return [code, readFileSync(out, 'utf8')]
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

export interface Post {
  uri: string
  cid: string
  rkey: string
}

/** The writes the scenario makes on the PDS (in this process, or in the PDS's own process over IPC). */
export interface Writer {
  pdsUrl: string
  plcUrl: string
  newAccount(): Promise<Did>
  post(did: Did, text: string): Promise<Post>
  /** `creates` new posts and deletes of `deletes` (rkeys) in one commit. */
  applyWrites(did: Did, creates: number, deletes: string[]): Promise<Post[]>
  like(did: Did, post: Post): Promise<void>
}

/** A {@link Writer} over the seed client of a network in this process. */
export function localWriter(net: Net, sc: Seed): Writer {
  return {
    pdsUrl: net.pds.url,
    plcUrl: net.plc.url,
    newAccount: () => newAccount(sc),
    async post(did, text) {
      const p = await sc.post(did, text)
      const uri = p.ref.uriStr
      return { uri, cid: p.ref.cidStr, rkey: uri.split('/').pop() as string }
    },
    applyWrites: (did, creates, deletes) => applyWrites(sc, did, creates, deletes),
    async like(did, p) {
      await sc.like(did, { uriStr: p.uri, cidStr: p.cid, raw: { uri: p.uri, cid: p.cid } } as never)
    },
  }
}

/** One random write: a post, a batch with a delete, a delete, a like or a new account. */
async function randomWrite(
  w: Writer,
  dids: Did[],
  rand: () => number,
  posts: Map<Did, Post[]>,
): Promise<void> {
  const did = dids[Math.floor(rand() * dids.length)] as Did
  const held = posts.get(did) as Post[]
  const r = rand()
  if (r < 0.4) {
    held.push(await w.post(did, `post ${Math.floor(rand() * 1e6)}`))
  } else if (r < 0.6) {
    const gone = held.splice(0, 1).map((p) => p.rkey)
    held.push(...(await w.applyWrites(did, 1 + Math.floor(rand() * 4), gone)))
  } else if (r < 0.8) {
    const p = held.shift()
    if (p !== undefined) await w.applyWrites(did, 0, [p.rkey])
  } else if (r < 0.95) {
    const other = posts.get(dids[Math.floor(rand() * dids.length)] as Did) as Post[]
    const p = other[other.length - 1]
    if (p !== undefined) await w.like(did, p)
  } else {
    const d = await w.newAccount()
    dids.push(d)
    posts.set(d, [])
  }
}

/**
 * Runs `rounds` kill/restart cycles, then a last run until the mirror equals the host; checks
 * `rsky sync records --json` against getRepo for every account.
 */
export async function crashScenario(opts: ScenarioOptions): Promise<void> {
  // Every engine started is killed on the way out, whatever failed: none is left running as an orphan.
  const started: ChildProcess[] = []
  try {
    await runScenario(opts, started)
  } finally {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  }
}

export interface ScenarioOptions {
  writer: Writer
  db: string
  store: () => Promise<MirrorStore>
  /** Something that changes whenever the engine wrote (read cheaply: one query, no store object). */
  progress: () => Promise<string>
  seed: number
  rounds: number
  /** A folder for the engine's log and the records listing. */
  workDir: string
}

function track(list: ChildProcess[], child: ChildProcess): ChildProcess {
  list.push(child)
  return child
}

async function runScenario(opts: ScenarioOptions, started: ChildProcess[]): Promise<void> {
  const { writer: w, db } = opts
  const net = { pds: { url: w.pdsUrl }, plc: { url: w.plcUrl } } as Net
  const rand = rng(opts.seed)
  const dids: Did[] = []
  const posts = new Map<Did, Post[]>()
  for (let i = 0; i < 3; i++) {
    const d = await w.newAccount()
    dids.push(d)
    posts.set(d, [])
    for (let j = 0; j < 4; j++) await randomWrite(w, [d], rand, posts)
  }
  const log = `${opts.workDir}/engine.log`
  const trace = (m: string): void => {
    if (process.env['RSKY_TRACE']) process.stderr.write(`${new Date().toISOString()} ${m}\n`)
  }
  for (let round = 0; round < opts.rounds; round++) {
    trace(`round ${round}`)
    const child = track(started, startEngine(net, db, log))
    // kill only once this run has written something, at a random moment after
    const before = await opts.progress()
    const ready = Date.now() + 15_000
    await randomWrite(w, dids, rand, posts)
    while ((await opts.progress()) === before && Date.now() < ready) await sleep(200)
    const killAt = Date.now() + Math.floor(rand() * 800)
    while (Date.now() < killAt) await randomWrite(w, dids, rand, posts)
    trace('kill')
    child.kill('SIGKILL')
    await exited(child)
    // writes while the engine is down: the restart must catch up from its cursor
    for (let i = 0; i < 3; i++) await randomWrite(w, dids, rand, posts)
  }
  const child = track(started, startEngine(net, db, log))
  for (let i = 0; i < 5; i++) await randomWrite(w, dids, rand, posts)
  trace('final run')
  const store = await opts.store()
  try {
    await expectEqualToHost(net, store, dids, 60_000)
  } finally {
    await store.close()
  }
  child.kill('SIGTERM')
  expect(await exited(child)).toBe(0)
  expect(readFileSync(log, 'utf8')).not.toMatch(/rejected/)

  // `rsky sync records --json`: one line per record, exactly getRepo's, for every account
  const [code, stdout] = await rskyToFile(
    ['sync', 'records', '--db', db, '--json'],
    `${opts.workDir}/records.jsonl`,
  )
  expect(code).toBe(0)
  const lines = stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
  const listed = lines.map((l) => {
    const o = JSON.parse(l) as { did: string; collection: string; rkey: string; cid: string }
    return `${o.did} ${o.collection}/${o.rkey} ${o.cid}`
  })
  const want: string[] = []
  for (const did of dids) want.push(...((await heldByHost(net.pds.url, did)) ?? []))
  expect(listed.sort()).toEqual(want.sort())
}
