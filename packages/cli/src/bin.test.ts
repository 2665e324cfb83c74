// The built `rsky` command as a person or a script runs it: a child process, exit codes, stdout and
// stderr. Needs `pnpm build` (CI builds first; skipped locally when dist/ is absent).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readCar, writeCar } from '@rsky/car'
import { describe, expect, it } from 'vitest'
import { k256Sample, p256Sample, repoRoot, sampleCarPath } from './test-helpers.ts'

const bin = join(repoRoot, 'packages/cli/dist/bin.js')

function rsky(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at /)

describe.runIf(existsSync(bin) || process.env['CI'] === 'true')('rsky as a subprocess', () => {
  it('a forged block, a truncated file and a CAR whose root is not a commit: exit 1, one line, JSON', () => {
    const bytes = readFileSync(sampleCarPath(k256Sample))
    const dir = mkdtempSync(join(tmpdir(), 'rsky-bin-'))
    const forged = Buffer.from(bytes)
    forged[forged.length - 10]! ^= 0xff
    writeFileSync(join(dir, 'forged.car'), forged)
    writeFileSync(join(dir, 'truncated.car'), bytes.subarray(0, bytes.length - 7))
    const { roots, blocks } = readCar(new Uint8Array(bytes))
    const notCommit = [...blocks.cids()].find((c) => !c.equals(roots[0]!))!
    writeFileSync(join(dir, 'record-root.car'), writeCar([notCommit], blocks))
    for (const name of ['forged.car', 'truncated.car', 'record-root.car']) {
      const r = rsky('repo', 'verify', join(dir, name), '--json')
      expect(r.status).toBe(1)
      expect(JSON.parse(r.stdout)).toMatchObject({ valid: false, error: expect.any(String) })
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      noStack(r.stderr)
    }
    const text = rsky('repo', 'verify', join(dir, 'truncated.car'))
    expect(text.status).toBe(1)
    expect(text.stderr).toMatch(/^rsky repo verify: \S+/)
  })

  it('the other curve key is a bad signature (exit 1); a malformed --key or --did is a usage error (exit 2)', () => {
    const bad = rsky('repo', 'verify', sampleCarPath(p256Sample), '--key', k256Sample.key, '--json')
    expect(bad.status).toBe(1)
    expect(JSON.parse(bad.stdout)).toMatchObject({ valid: false, error: expect.stringMatching(/SIGNATURE/) })
    const key = rsky('repo', 'verify', sampleCarPath(p256Sample), '--key', 'notakey')
    expect(key.status).toBe(2)
    expect(key.stderr).toMatch(/--key is not a did:key/)
    expect(rsky('repo', 'verify', sampleCarPath(p256Sample), '--did', 'not a did').status).toBe(2)
    const ok = rsky(
      'repo',
      'verify',
      sampleCarPath(p256Sample),
      '--did',
      p256Sample.did,
      '--key',
      p256Sample.key,
    )
    expect(ok.status).toBe(0)
    expect(ok.stdout).toMatch(/signature:\s+valid/)
  })

  it('repo diff names the file an error came from', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsky-bin-'))
    const bad = join(dir, 'bad.car')
    writeFileSync(bad, readFileSync(sampleCarPath(k256Sample)).subarray(0, 100))
    const r = rsky('repo', 'diff', sampleCarPath(k256Sample), bad)
    expect(r.status).toBe(1)
    expect(r.stderr.startsWith(`rsky repo diff: ${bad}: CAR_`)).toBe(true)
  })

  it('names the subcommands of a group when one is missing or unknown (exit 2)', () => {
    const missing = rsky('repo')
    expect(missing.status).toBe(2)
    expect(missing.stderr.split('\n')[0]).toMatch(/^rsky repo: missing subcommand; one of: verify, ls/)
    const unknown = rsky('car', 'explode')
    expect(unknown.status).toBe(2)
    expect(unknown.stderr.split('\n')[0]).toBe('rsky car: unknown subcommand explode; one of: inspect')
  })

  it('stops quietly when the reader closes the pipe early (rsky repo ls | head -1)', async () => {
    const child = spawn(process.execPath, [bin, 'repo', 'ls', sampleCarPath(k256Sample)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    child.stdout.once('data', () => child.stdout.destroy())
    const status = await new Promise<number | null>((done) => child.on('close', (code) => done(code)))
    expect(stderr).toBe('')
    expect(status).toBe(0)
  })
})
