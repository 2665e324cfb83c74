// The built `rsky` command as a person or a script runs it: a child process, exit codes, stdout and
// stderr. Needs `pnpm build` (CI builds first; skipped locally when dist/ is absent).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
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

/** rsky with `input` on stdin. */
function rskyStdin(
  input: Uint8Array | string,
  ...args: string[]
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input })
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

  it('- reads stdin: repo verify, car inspect, blob compute and lex validate', () => {
    const car = readFileSync(sampleCarPath(k256Sample))
    const v = rskyStdin(car, 'repo', 'verify', '-', '--key', k256Sample.key, '--json')
    expect(v.stderr).toBe('')
    expect(v.status).toBe(0)
    expect(JSON.parse(v.stdout)).toMatchObject({
      valid: true,
      file: '-',
      signature: 'valid',
      records: k256Sample.records,
    })
    expect(rskyStdin(car, 'car', 'inspect', '-').status).toBe(0)
    const ls = rskyStdin(car, 'repo', 'ls', '-', '--json')
    expect(ls.stdout.trim().split('\n')).toHaveLength(k256Sample.records)
    const blob = rskyStdin('hello\n', 'blob', 'compute', '-', '--json')
    expect(JSON.parse(blob.stdout)).toMatchObject({
      valid: true,
      size: 6,
      cid: expect.stringMatching(/^bafkrei/),
    })
    const json = rskyStdin('{"a": 1}', 'car', 'inspect', '-')
    expect(json.status).toBe(1)
    expect(json.stderr.trim()).toBe(
      'rsky car inspect: NOT_A_CAR: stdin is not a CAR file: it looks like JSON text',
    )
    const empty = rskyStdin('', 'repo', 'verify', '-')
    expect(empty.status).toBe(1)
    expect(empty.stderr).toContain('stdin is not a CAR file: the file is empty')
  })

  it('hostile files as CARs: one line saying what the file looks like, exit 1, no stack', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsky-bin-'))
    const files: Array<[string, Uint8Array | string, RegExp]> = [
      ['empty.car', '', /the file is empty/],
      ['doc.car', '{"roots": []}', /looks like JSON/],
      ['random.car', new Uint8Array(4096).map((_, i) => (i * 193 + 7) & 0xff), /random or other binary data/],
    ]
    for (const [name, content, says] of files) {
      writeFileSync(join(dir, name), content)
      for (const cmd of [
        ['repo', 'verify'],
        ['car', 'inspect'],
        ['repo', 'mst'],
      ]) {
        const r = rsky(...cmd, join(dir, name))
        expect(r.status).toBe(1)
        expect(r.stdout).toBe('')
        expect(r.stderr.trim().split('\n')).toHaveLength(1)
        expect(r.stderr).toMatch(says)
        noStack(r.stderr)
      }
    }
  })

  it('an unknown option is named without Node internals; rsky --json alone is a usage error', () => {
    const r = rsky('repo', 'verify', sampleCarPath(k256Sample), '--bogus')
    expect(r.status).toBe(2)
    expect(r.stderr.split('\n')[0]).toBe('rsky repo verify: unknown option --bogus')
    expect(r.stderr).not.toMatch(/positional argument|ERR_PARSE_ARGS/)
    const missing = rsky('repo', 'verify', sampleCarPath(k256Sample), '--did')
    expect(missing.stderr.split('\n')[0]).toBe('rsky repo verify: option --did needs a value')
    const json = rsky('--json')
    expect(json.status).toBe(2)
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, failure: { kind: 'usage' } })
    expect(json.stderr.split('\n')[0]).toBe('rsky: --json needs a command; e.g. rsky resolve HANDLE --json')
  })

  it('offline commands through the binary: syntax, key, tid, lex breaking exit codes', () => {
    expect(rsky('syntax', 'check', 'handle', 'alice.test').status).toBe(0)
    expect(rsky('syntax', 'check', 'did', 'did:nope').status).toBe(1)
    const key = JSON.parse(rsky('key', 'generate', '--curve', 'p256', '--json').stdout)
    expect(rsky('key', 'inspect', key.didKey).stdout).toContain('p256')
    expect(rsky('syntax', 'tid', 'generate', '--count', '3').stdout.trim().split('\n')).toHaveLength(3)
    const mst = rsky('repo', 'mst', sampleCarPath(p256Sample))
    expect(mst.status).toBe(0)
    expect(mst.stdout).toMatch(/^layer \d+ {2}bafyrei/)
    // The lexicon tools: two folders that differ by one tightened bound.
    const dir = mkdtempSync(join(tmpdir(), 'rsky-bin-'))
    const write = (folder: string, maxLength: number) => {
      mkdirSync(join(dir, folder), { recursive: true })
      const props = { text: { type: 'string', maxLength } }
      const main = { type: 'record', key: 'tid', record: { type: 'object', properties: props } }
      writeFileSync(
        join(dir, folder, 'thing.json'),
        JSON.stringify({ lexicon: 1, id: 'com.example.thing', defs: { main } }),
      )
    }
    write('old', 300)
    write('new', 100)
    expect(rsky('lex', 'parse', join(dir, 'old')).stdout).toContain('com.example.thing  main:record')
    expect(rsky('lex', 'lint', join(dir, 'old')).status).toBe(0)
    const breaking = rsky('lex', 'breaking', join(dir, 'old'), join(dir, 'new'))
    expect(breaking.status).toBe(1)
    expect(breaking.stdout).toMatch(
      /BREAKING\s+tightened\s+com\.example\.thing defs\.main\.record\.properties\.text\.maxLength/,
    )
    expect(breaking.stderr).toMatch(/^rsky lex breaking: BREAKING_CHANGES: 1 breaking change/)
    expect(rsky('lex', 'breaking', join(dir, 'new'), join(dir, 'old')).status).toBe(0)
    expect(rsky('lex', 'diff', join(dir, 'new'), join(dir, 'old')).stdout).toMatch(/ok\s+loosened/)
    writeFileSync(
      join(dir, 'rec.json'),
      JSON.stringify({ $type: 'com.example.thing', text: 'x'.repeat(200) }),
    )
    expect(rsky('lex', 'validate', join(dir, 'old'), 'com.example.thing', join(dir, 'rec.json')).status).toBe(
      0,
    )
    const invalid = rsky('lex', 'validate', join(dir, 'new'), 'com.example.thing', join(dir, 'rec.json'))
    expect(invalid.status).toBe(1)
    expect(invalid.stderr).toMatch(/INVALID_RECORD: .*path=\$\.text/)
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
