// Crash test (issue 12): a consumer in a child process is killed with SIGKILL at random points
// while a real loopback WebSocket server streams ~2,000 commits over 32 DIDs. After the restarts,
// every commit's effect is in the idempotent sink exactly once (keyed by seq and path), the folded
// sink equals the stream's final records, and at every kill the saved cursor had not passed an
// event whose effect was missing.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commitEventOf, seededStream } from './fixtures.ts'
import { type ReplayServer, type ScriptItem, startReplayServer } from './server.ts'
import { keyTable, rng, type StreamEvent } from './stream.ts'

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url))
const KILLS = 8

let stream: StreamEvent[]
let server: ReplayServer
let dir: string
let keysJson: string

beforeAll(async () => {
  const s = await seededStream(4242, 32, 2100, { commitsOnly: true })
  stream = s.stream
  keysJson = JSON.stringify(Object.fromEntries(keyTable(s.accounts)))
  const script: ScriptItem[] = stream.map((e) => ({ kind: 'event', seq: e.seq, frame: e.frame }))
  server = await startReplayServer(script, { pace: 8 })
  dir = mkdtempSync(join(tmpdir(), 'rsky-crash-'))
}, 120_000)

afterAll(async () => {
  await server?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function savedCursor(): number | undefined {
  const p = join(dir, 'store.json')
  if (!existsSync(p)) return undefined
  return (JSON.parse(readFileSync(p, 'utf8')) as { cursors: Record<string, number> }).cursors[server.url]
}

function sinkLines(): string[] {
  const p = join(dir, 'sink.log')
  if (!existsSync(p)) return []
  // a kill can cut the last line short: only whole lines count (the event is delivered again)
  const text = readFileSync(p, 'utf8')
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean)
}

function runChild(seed: number): { child: ChildProcess; exit: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    ['--conditions=source', CHILD, server.url, dir, String(stream.at(-1)?.seq)],
    {
      env: { ...process.env, CHILD_SEED: String(seed) },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  child.stderr?.on('data', (d) => {
    if (process.env.DEBUG_CRASH) process.stderr.write(d)
  })
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, exit }
}

describe('a consumer killed with SIGKILL at random points', () => {
  it('applies every commit exactly once in an idempotent sink; the cursor never passed unfinished work', async () => {
    writeFileSync(join(dir, 'keys.json'), keysJson)
    const rand = rng(99)
    const commitSeqs = stream.map((e) => e.seq)
    const violations: string[] = []
    let kills = 0
    let runs = 0
    const deadline = Date.now() + 150_000
    for (;;) {
      expect(Date.now()).toBeLessThan(deadline)
      runs++
      const { child, exit } = runChild(runs)
      if (kills < KILLS) {
        const before = savedCursor() ?? 0
        // kill at a random point of the progress: after 50-600 more sink lines (bounded in time)
        const target = sinkLines().length + 50 + Math.floor(rand() * 550)
        const started = Date.now()
        const progressed = new Promise<'kill'>((resolve) => {
          const t = setInterval(() => {
            if (sinkLines().length >= target || Date.now() - started > 20_000) {
              clearInterval(t)
              resolve('kill')
            }
          }, 3)
          void exit.then(() => clearInterval(t))
        })
        const code = await Promise.race([exit, progressed])
        if (code === 'kill') {
          child.kill('SIGKILL')
          await exit
          kills++
          const cursor = savedCursor() ?? 0
          const applied = new Set(sinkLines().map((l) => Number(l.split(' ')[0])))
          for (const s of commitSeqs)
            if (s <= cursor && !applied.has(s)) violations.push(`kill ${kills}: cursor ${cursor} passed ${s}`)
          if (process.env.DEBUG_CRASH)
            console.log(`kill ${kills} at ${target} lines: cursor ${before} -> ${cursor}`)
          continue
        }
        expect(code).toBe(0)
        break
      }
      expect(await exit).toBe(0)
      break
    }
    expect(violations).toEqual([])
    expect(savedCursor()).toBe(stream.at(-1)?.seq)

    // exactly once: one effect per (seq, path); replays after a kill repeat a key, never add one
    const expected = new Map<string, string>()
    const finalRecords = new Map<string, string>()
    for (const e of stream) {
      const evt = commitEventOf(e.body)
      for (const op of evt.ops) {
        expected.set(`${e.seq} ${op.path}`, `${op.action} ${op.cid ?? '-'}`)
        const key = `${e.did} ${op.path}`
        if (op.action === 'delete') finalRecords.delete(key)
        else finalRecords.set(key, String(op.cid))
      }
    }
    const lines = sinkLines()
    const applied = new Map<string, string>()
    for (const l of lines) {
      const [seq, , action, path, cid] = l.split(' ')
      applied.set(`${seq} ${path}`, `${action} ${cid}`)
    }
    expect(applied).toEqual(expected)
    // the idempotent sink folded in seq order equals the stream's final records
    const folded = new Map<string, string>()
    const bySeq = [...new Set(lines)].map((l) => l.split(' ')).sort((a, b) => Number(a[0]) - Number(b[0]))
    for (const [, did, action, path, cid] of bySeq) {
      if (action === 'delete') folded.delete(`${did} ${path}`)
      else folded.set(`${did} ${path}`, cid as string)
    }
    expect(folded).toEqual(finalRecords)
    expect(kills).toBe(KILLS)
    expect(existsSync(join(dir, 'rejects.log'))).toBe(false)
    if (process.env.DEBUG_CRASH)
      console.log(`${runs} runs, ${kills} kills, ${lines.length} sink lines for ${expected.size} effects`)
  }, 180_000)
})
