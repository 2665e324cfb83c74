import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { LEXICONS_DIR } from '../../lexicon/test/real-lexicons.ts'
import { typeCheckDir } from '../../lexicon/test/typecheck.ts'
import { main } from './main.ts'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const samples = JSON.parse(readFileSync(join(root, 'test-vectors/repos/samples.json'), 'utf8')) as Array<{
  file: string
  did: string
  key: string
  records: number
}>
const k256 = samples[0]!
const p256 = samples[1]!
const carPath = (s: { file: string }) => join(root, 'test-vectors/repos', s.file)

/** Runs main() in-process and captures what it writes. */
async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
  })
  return { code, stdout, stderr }
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'rsky-cli-'))
}

describe('rsky repo verify', () => {
  it.each([k256, p256])('verifies the shipped sample $file with its key', async (s) => {
    const r = await run('repo', 'verify', carPath(s), '--did', s.did, '--key', s.key, '--json')
    expect(r.code).toBe(0)
    const json = JSON.parse(r.stdout)
    expect(json).toMatchObject({ valid: true, did: s.did, records: s.records, signature: 'valid' })
    expect(Object.values(json.collections as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(
      s.records,
    )
  })

  it('prints a readable report', async () => {
    const r = await run('repo', 'verify', carPath(k256), '--key', k256.key)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/did:\s+did:plc:/)
    expect(r.stdout).toMatch(/signature:\s+valid/)
    expect(r.stdout).toMatch(/app\.bsky\.feed\.post\s+\d+/)
  })

  it('rejects the wrong key, DID, a forged block and a truncated file with exit 1 and one line', async () => {
    const wrongKey = await run('repo', 'verify', carPath(k256), '--key', p256.key, '--json')
    expect(wrongKey.code).toBe(1)
    expect(JSON.parse(wrongKey.stdout)).toMatchObject({ valid: false })
    expect(wrongKey.stderr.trim().split('\n')).toHaveLength(1)
    expect((await run('repo', 'verify', carPath(k256), '--did', p256.did)).code).toBe(1)

    const bytes = readFileSync(carPath(k256))
    const dir = tmp()
    const forged = Buffer.from(bytes)
    forged[forged.length - 10]! ^= 0xff
    writeFileSync(join(dir, 'forged.car'), forged)
    const f = await run('repo', 'verify', join(dir, 'forged.car'))
    expect(f.code).toBe(1)
    expect(f.stderr).not.toMatch(/\n\s+at /) // no stack trace
    writeFileSync(join(dir, 'truncated.car'), bytes.subarray(0, bytes.length >> 1))
    expect((await run('repo', 'verify', join(dir, 'truncated.car'))).code).toBe(1)
  })

  it('usage errors exit 2', async () => {
    expect((await run('repo', 'verify')).code).toBe(2)
    expect((await run('repo', 'verify', 'a', 'b')).code).toBe(2)
    expect((await run('repo', 'verify', carPath(k256), '--bogus')).code).toBe(2)
    expect((await run('repo', 'verify', '/no/such/file.car')).code).toBe(2)
    expect((await run('nonsense')).code).toBe(2)
    expect((await run()).code).toBe(2)
    expect((await run('--help')).code).toBe(0)
  })
})

describe('rsky repo ls / get / export / diff, rsky car inspect', () => {
  it('lists a collection and gets a record as JSON', async () => {
    const ls = await run('repo', 'ls', carPath(k256), 'app.bsky.graph.follow', '--json')
    expect(ls.code).toBe(0)
    const rows = JSON.parse(ls.stdout) as Array<{ path: string; cid: string }>
    expect(rows.length).toBeGreaterThan(100)
    expect(rows.every((r) => r.path.startsWith('app.bsky.graph.follow/'))).toBe(true)
    const get = await run('repo', 'get', carPath(k256), rows[0]!.path)
    expect(get.code).toBe(0)
    expect(JSON.parse(get.stdout)).toMatchObject({ $type: 'app.bsky.graph.follow' })
    expect((await run('repo', 'get', carPath(k256), 'app.bsky.graph.follow/nope')).code).toBe(1)
    expect((await run('repo', 'get', carPath(k256), 'not a path')).code).toBe(2)
  })

  it('exports one JSON file per record', async () => {
    const dir = tmp()
    const r = await run('repo', 'export', carPath(p256), dir)
    expect(r.code).toBe(0)
    const count = readdirSync(dir).reduce((n, c) => n + readdirSync(join(dir, c)).length, 0)
    expect(count).toBe(p256.records)
    expect(existsSync(join(dir, 'app.bsky.actor.profile', 'self.json'))).toBe(true)
  })

  it('diffs two repositories', async () => {
    const r = await run('repo', 'diff', carPath(k256), carPath(p256), '--json')
    expect(r.code).toBe(0)
    const d = JSON.parse(r.stdout)
    expect(d.counts.create + d.counts.update + d.counts.delete).toBeGreaterThan(0)
    expect((await run('repo', 'diff', carPath(k256), carPath(k256), '--json')).stdout).toContain('"ops": []')
  })

  it('inspects a CAR', async () => {
    const r = await run('car', 'inspect', carPath(k256), '--json')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({
      valid: true,
      version: 1,
      codecs: { 'dag-cbor': expect.any(Number) },
    })
  })
})

describe('rsky lex gen', () => {
  it('writes types and validators for the real lexicons that type-check with strict settings', async () => {
    const out = join(tmp(), 'gen')
    const r = await run('lex', 'gen', LEXICONS_DIR, out, '--json')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const json = JSON.parse(r.stdout) as { valid: boolean; lexicons: number; files: string[] }
    expect(json.valid).toBe(true)
    expect(json.lexicons).toBeGreaterThan(390)
    expect(json.files).toContain('app/bsky/feed/post.ts')
    expect(json.files).toContain('index.ts')
    // Default output: `.js` relative imports and the `@rsky/lexicon` runtime.
    const post = readFileSync(join(out, 'app/bsky/feed/post.ts'), 'utf8')
    expect(post).toContain("from '@rsky/lexicon'")
    expect(typeCheckDir(out)).toEqual([])
  })

  it('prints a readable summary and takes --ext and --runtime', async () => {
    const dir = tmp()
    writeFileSync(
      join(dir, 'thing.json'),
      JSON.stringify({
        lexicon: 1,
        id: 'com.example.thing',
        defs: { main: { type: 'object', properties: { a: { type: 'string' } } } },
      }),
    )
    const out = join(dir, 'out')
    const r = await run('lex', 'gen', dir, out, '--ext', '.ts', '--runtime', 'my-runtime')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/lexicons:\s+1 from /)
    expect(r.stdout).toMatch(/written:\s+3 files to /)
    const index = readFileSync(join(out, 'index.ts'), 'utf8')
    expect(index).toContain('.ts')
    expect(readFileSync(join(out, 'com/example/thing.ts'), 'utf8')).toContain('my-runtime')
  })

  it('an invalid lexicon or a file that is not JSON exits 1 with one line; usage errors exit 2', async () => {
    const dir = tmp()
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ lexicon: 1, id: 'not an nsid', defs: {} }))
    const bad = await run('lex', 'gen', dir, join(dir, 'out'))
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/INVALID_LEXICON/)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    writeFileSync(join(dir, 'bad.json'), '{ nope')
    const notJson = await run('lex', 'gen', dir, join(dir, 'out'), '--json')
    expect(notJson.code).toBe(1)
    expect(JSON.parse(notJson.stdout)).toMatchObject({ valid: false })
    expect(notJson.stderr).toMatch(/bad\.json/)
    expect((await run('lex', 'gen', dir)).code).toBe(2)
    expect((await run('lex', 'gen', '/no/such/dir', dir)).code).toBe(2)
    expect((await run('lex', 'gen', join(dir, 'bad.json'), dir)).code).toBe(2)
    expect((await run('lex', 'gen', dir, dir, '--ext', '.mjs')).code).toBe(2)
    expect((await run('--help')).stdout).toContain('rsky lex gen DIR OUT')
  })
})

describe('the built rsky command', () => {
  // The published package supports Node 20.19+: run the build on the machine's own Node when it
  // differs from the test runner's (CI sets RSKY_HOST_NODE from .ci/toolchain.sh).
  const bin = join(root, 'packages/cli/dist/bin.js')
  const nodes = [...new Set([process.execPath, process.env['RSKY_HOST_NODE'] ?? process.execPath])]
  it.runIf(existsSync(bin) || process.env['CI'] === 'true').each(nodes)('runs on %s', (node) => {
    const r = spawnSync(node, [bin, 'repo', 'verify', carPath(p256), '--key', p256.key, '--json'], {
      encoding: 'utf8',
    })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, signature: 'valid', records: p256.records })
    const bad = spawnSync(node, [bin, 'repo', 'verify', carPath(p256), '--key', k256.key], {
      encoding: 'utf8',
    })
    expect(bad.status).toBe(1)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    const out = join(tmp(), 'gen')
    const gen = spawnSync(node, [bin, 'lex', 'gen', LEXICONS_DIR, out, '--json'], { encoding: 'utf8' })
    expect(gen.stderr).toBe('')
    expect(gen.status).toBe(0)
    expect(JSON.parse(gen.stdout)).toMatchObject({ valid: true })
    expect(existsSync(join(out, 'app/bsky/feed/post.ts'))).toBe(true)
  })
})
