import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readCar, writeCar } from '@rsky/car'
import { parseCid } from '@rsky/dag-cbor'
import { describe, expect, it } from 'vitest'
import { LEXICONS_DIR } from '../../lexicon/test/real-lexicons.ts'
import { typeCheckDir } from '../../lexicon/test/typecheck.ts'
import { helpOf, usageOf } from './help.ts'
import { commands, main } from './main.ts'
import { k256Sample, p256Sample, repoRoot, sampleCarPath } from './test-helpers.ts'

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

/** Output of a listing with --json: one JSON value per line. */
function jsonLines(stdout: string): unknown[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l))
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'rsky-cli-'))
}

/** Writes `dir/thing.json`: the lexicon `com.example.thing`, an object with these properties. */
function writeThingLexicon(dir: string, properties: Record<string, unknown>): void {
  writeFileSync(
    join(dir, 'thing.json'),
    JSON.stringify({ lexicon: 1, id: 'com.example.thing', defs: { main: { type: 'object', properties } } }),
  )
}

describe('rsky repo verify', () => {
  it.each([k256Sample, p256Sample])('verifies the shipped sample $file with its key', async (s) => {
    const r = await run('repo', 'verify', sampleCarPath(s), '--did', s.did, '--key', s.key, '--json')
    expect(r.code).toBe(0)
    const json = JSON.parse(r.stdout)
    expect(json).toMatchObject({ valid: true, did: s.did, records: s.records, signature: 'valid' })
    expect(Object.values(json.collections as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(
      s.records,
    )
  })

  it('prints a readable report', async () => {
    const r = await run('repo', 'verify', sampleCarPath(k256Sample), '--key', k256Sample.key)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/did:\s+did:plc:/)
    expect(r.stdout).toMatch(/signature:\s+valid/)
    expect(r.stdout).toMatch(/app\.bsky\.feed\.post\s+\d+/)
  })

  it('rejects the wrong key, DID, a forged block and a truncated file with exit 1 and one line', async () => {
    const wrongKey = await run('repo', 'verify', sampleCarPath(k256Sample), '--key', p256Sample.key, '--json')
    expect(wrongKey.code).toBe(1)
    expect(JSON.parse(wrongKey.stdout)).toMatchObject({ valid: false })
    expect(wrongKey.stderr.trim().split('\n')).toHaveLength(1)
    expect((await run('repo', 'verify', sampleCarPath(k256Sample), '--did', p256Sample.did)).code).toBe(1)

    const bytes = readFileSync(sampleCarPath(k256Sample))
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
    expect((await run('repo', 'verify', sampleCarPath(k256Sample), '--bogus')).code).toBe(2)
    expect((await run('repo', 'verify', '/no/such/file.car')).code).toBe(2)
    expect((await run('nonsense')).code).toBe(2)
    expect((await run()).code).toBe(2)
    expect((await run('--help')).code).toBe(0)
  })
})

// The fields of `repo verify --json`, in order, on success and failure alike.
const VERIFY_FIELDS = [
  'valid',
  'file',
  'did',
  'rev',
  'commit',
  'data',
  'version',
  'signature',
  'records',
].concat(['collections', 'blocks', 'ms'])
const FAILURE_FIELDS = ['kind', 'code', 'name', 'message', 'file', 'cid', 'path', 'offset', 'cause']

/** The sample's commit facts, from a successful verification. */
async function facts(s: typeof k256Sample) {
  const ok = JSON.parse((await run('repo', 'verify', sampleCarPath(s), '--json')).stdout)
  expect(Object.keys(ok)).toEqual(VERIFY_FIELDS)
  return { did: ok.did, rev: ok.rev, commit: ok.commit, data: ok.data, version: ok.version }
}

async function verifyFailure(file: string, ...extra: string[]) {
  const r = await run('repo', 'verify', file, '--json', ...extra)
  const json = JSON.parse(r.stdout)
  expect(Object.keys(json)).toEqual([...VERIFY_FIELDS, 'error', 'failure'])
  expect(Object.keys(json.failure)).toEqual(FAILURE_FIELDS)
  expect(json.valid).toBe(false)
  expect(r.stderr.trim().split('\n')[0]).toBe(`rsky repo verify: ${json.error}`)
  return { code: r.code, json, stderr: r.stderr }
}

describe('rsky repo verify --json on failure: what was learned, and where it failed', () => {
  const bytes = new Uint8Array(readFileSync(sampleCarPath(k256Sample)))
  const dir = tmp()

  it('a missing record block: the commit facts, MISSING_BLOCK with the record path and CID', async () => {
    const known = await facts(k256Sample)
    const rows = jsonLines((await run('repo', 'ls', sampleCarPath(k256Sample), '--json')).stdout) as Array<{
      path: string
      cid: string
    }>
    const victim = rows[Math.floor(rows.length / 2)]!
    const { roots, blocks } = readCar(bytes)
    blocks.delete(parseCid(victim.cid))
    const file = join(dir, 'missing-record.car')
    writeFileSync(file, writeCar(roots, blocks))
    const { code, json } = await verifyFailure(file, '--key', k256Sample.key)
    expect(code).toBe(1)
    expect(json).toMatchObject({ ...known, file, signature: 'valid', records: null, collections: null })
    expect(json.failure).toEqual({
      kind: 'invalid',
      code: 'MISSING_BLOCK',
      name: 'MissingBlockError',
      message: expect.stringContaining('missing record'),
      file: null,
      cid: victim.cid,
      path: victim.path,
      offset: null,
      cause: null,
    })
    expect(json.error).toBe(`MISSING_BLOCK: ${json.failure.message}`)
  })

  it('a forged block: CAR_HASH_MISMATCH with the block CID and byte offset, commit facts still read', async () => {
    const known = await facts(k256Sample)
    const forged = bytes.slice()
    forged[forged.length - 10]! ^= 0xff
    const file = join(dir, 'forged.car')
    writeFileSync(file, forged)
    const { code, json } = await verifyFailure(file)
    expect(code).toBe(1)
    expect(json).toMatchObject({ ...known, signature: 'unchecked', blocks: null })
    expect(json.failure).toMatchObject({
      kind: 'invalid',
      code: 'CAR_HASH_MISMATCH',
      name: 'CarBlockHashMismatchError',
    })
    expect(json.failure.cid).toMatch(/^bafyrei/)
    expect(json.failure.offset).toBeGreaterThan(0)
    expect(json.failure.offset).toBeLessThan(forged.length)
  })

  it('a truncated file: CAR_TRUNCATED with the offset; a root that is a record: BAD_CAR_ROOT', async () => {
    const file = join(dir, 'truncated.car')
    writeFileSync(file, bytes.subarray(0, bytes.length - 7))
    const t = await verifyFailure(file)
    expect(t.code).toBe(1)
    expect(t.json.failure).toMatchObject({ code: 'CAR_TRUNCATED', offset: expect.any(Number) })
    expect(t.json.commit).toBe((await facts(k256Sample)).commit)

    const { roots, blocks } = readCar(bytes)
    const record = [...blocks.cids()].find((c) => !c.equals(roots[0]!))!
    const notCommit = join(dir, 'record-root.car')
    writeFileSync(notCommit, writeCar([record], blocks))
    const r = await verifyFailure(notCommit, '--key', k256Sample.key)
    expect(r.code).toBe(1)
    expect(r.json).toMatchObject({
      commit: record.toString(),
      did: null,
      rev: null,
      data: null,
      signature: 'unchecked',
    })
    expect(r.json.failure).toMatchObject({ code: 'BAD_CAR_ROOT', name: 'InvalidCarRootError' })
    expect(r.json.failure.cause).toMatchObject({ name: 'InvalidCommitError', code: 'BAD_COMMIT' })
  })

  it('the wrong DID or key: the commit facts, the signature verdict, DID_MISMATCH / BAD_SIGNATURE', async () => {
    const known = await facts(p256Sample)
    const did = await verifyFailure(sampleCarPath(p256Sample), '--did', k256Sample.did)
    expect(did.code).toBe(1)
    expect(did.json).toMatchObject({ ...known, signature: 'unchecked' })
    expect(did.json.failure).toMatchObject({ code: 'DID_MISMATCH', name: 'DidMismatchError', cid: null })
    const key = await verifyFailure(sampleCarPath(p256Sample), '--key', k256Sample.key)
    expect(key.code).toBe(1)
    expect(key.json).toMatchObject({ ...known, signature: 'invalid' })
    expect(key.json.failure).toMatchObject({ code: 'BAD_SIGNATURE', cid: known.commit })
  })

  it('usage and file problems: exit 2, the same fields all null, kind usage or io', async () => {
    const cases: Array<[[string, ...string[]], string]> = [
      [['/no/such/file.car'], 'io'],
      [[dir], 'io'],
      [[sampleCarPath(k256Sample), '--key', 'did:key:zNope'], 'usage'],
      [[sampleCarPath(k256Sample), '--did', 'nope'], 'usage'],
    ]
    for (const [args, kind] of cases) {
      const { code, json } = await verifyFailure(...args)
      expect(code).toBe(2)
      expect(json.failure.kind).toBe(kind)
      expect(json.did).toBeNull()
      expect(json.commit).toBeNull()
    }
    const noFile = await run('repo', 'verify', '--json')
    expect(noFile.code).toBe(2)
    const json = JSON.parse(noFile.stdout)
    expect(Object.keys(json)).toEqual([...VERIFY_FIELDS, 'error', 'failure'])
    expect(json.failure).toMatchObject({ kind: 'usage', code: 'USAGE' })
  })
})

describe('exit codes: 0 all well, 1 invalid data, 2 usage and path problems', () => {
  it('repo export into an existing file or under one is exit 2 (io), before reading the CAR', async () => {
    const dir = tmp()
    const file = join(dir, 'a-file')
    writeFileSync(file, 'x')
    for (const out of [file, join(file, 'sub')]) {
      const r = await run('repo', 'export', sampleCarPath(k256Sample), out, '--json')
      expect(r.code).toBe(2)
      expect(JSON.parse(r.stdout).failure).toMatchObject({ kind: 'io', code: 'IO', file: out })
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
    }
    // An unreadable input is exit 2 too, and wins over a bad output.
    expect((await run('repo', 'export', '/no/such.car', file)).code).toBe(2)
    // A damaged input with a good output is exit 1.
    const bad = join(dir, 'bad.car')
    writeFileSync(bad, readFileSync(sampleCarPath(k256Sample)).subarray(0, 200))
    expect((await run('repo', 'export', bad, join(dir, 'out'))).code).toBe(1)
  })

  it('lex gen with OUT an existing file is exit 2 (the file-system error)', async () => {
    const dir = tmp()
    writeThingLexicon(dir, {})
    const out = join(dir, 'out-file')
    writeFileSync(out, 'x')
    const r = await run('lex', 'gen', dir, out, '--json')
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stdout).failure).toMatchObject({ kind: 'io', code: 'ENOTDIR' })
  })

  it('every command: too few or too many arguments are 2, an unknown option is 2 and named plainly', async () => {
    for (const c of commands) {
      const [min, max] = c.arity
      const cases: string[][] = [Array(max + 1).fill('x'), [...Array(min).fill('x'), '--bogus']]
      if (min > 0) cases.push([])
      for (const args of cases) {
        const r = await run(...c.path, ...args, '--json')
        const what = `${c.path.join(' ')} ${args.join(' ')}`
        expect(r.code, what).toBe(2)
        expect(JSON.parse(r.stdout).failure.kind, what).toBe('usage')
      }
      const bogus = await run(...c.path, ...Array(min).fill('x'), '--bogus')
      expect(bogus.stderr.split('\n')[0]).toBe(`rsky ${c.path.join(' ')}: unknown option --bogus`)
    }
  })

  it('every file command: no file is 2, a missing file is 2, an extra argument is 2, an unknown option is 2', async () => {
    const dir = tmp()
    const fill = (c: (typeof commands)[number], first: string): string[] => {
      const [min] = c.arity
      const second = c.path[0] === 'repo' && c.path[1] === 'get' ? 'app.bsky.feed.post/x' : dir
      return [first, second].slice(0, Math.max(min, 1))
    }
    const fileCommands = commands.filter((c) =>
      [
        'repo verify',
        'repo ls',
        'repo get',
        'repo export',
        'repo diff',
        'repo mst',
        'car inspect',
        'lex gen',
      ].includes(c.path.join(' ')),
    )
    expect(fileCommands).toHaveLength(8)
    for (const c of fileCommands) {
      const first = c.path[0] === 'lex' ? '/no/such/dir' : '/no/such.car'
      const cases: string[][] = [
        [],
        fill(c, first),
        [...fill(c, sampleCarPath(k256Sample)), 'x', 'y', 'z'],
        [...fill(c, sampleCarPath(k256Sample)), '--bogus'],
      ]
      for (const args of cases) {
        const r = await run(...c.path, ...args, '--json')
        expect(r.code, `${c.path.join(' ')} ${args.join(' ')}`).toBe(2)
        expect(['usage', 'io']).toContain(JSON.parse(r.stdout).failure.kind)
      }
    }
  })

  it('repo get of an absent record is 1 with RECORD_NOT_FOUND and the path', async () => {
    const r = await run('repo', 'get', sampleCarPath(k256Sample), 'app.bsky.feed.post/nope', '--json')
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout)).toMatchObject({
      valid: false,
      failure: { kind: 'invalid', code: 'RECORD_NOT_FOUND', path: 'app.bsky.feed.post/nope' },
    })
  })

  it('no command is 2 with the help on stderr; unknown commands are 2 with JSON; help and version are 0', async () => {
    const none = await run()
    expect(none.code).toBe(2)
    expect(none.stdout).toBe('')
    expect(none.stderr).toContain('rsky repo verify FILE.car')
    const unknown = await run('nonsense', '--json')
    expect(unknown.code).toBe(2)
    expect(JSON.parse(unknown.stdout).failure).toMatchObject({
      kind: 'usage',
      message: 'unknown command: nonsense',
    })
    expect(JSON.parse((await run('repo', 'bogus', '--json')).stdout).failure.kind).toBe('usage')
    for (const argv of [['--help'], ['-h'], ['help'], ['--version'], ['repo', '--help'], ['help', 'repo']]) {
      const r = await run(...argv)
      expect(r.code, argv.join(' ')).toBe(0)
      expect(r.stderr).toBe('')
    }
    expect((await run('help', 'nonsense')).code).toBe(2)
  })
})

describe('help texts', () => {
  const readme = readFileSync(join(repoRoot, 'packages/cli/README.md'), 'utf8')

  it('rsky --help lists every command; each command help describes each of its options', async () => {
    const top = (await run('--help')).stdout
    for (const c of commands) {
      expect(top).toContain(usageOf(c))
      expect(top).toContain(c.summary)
      for (const argv of [
        [...c.path, '--help'],
        [...c.path, '-h'],
        ['help', ...c.path],
      ]) {
        const r = await run(...argv)
        expect(r.code).toBe(0)
        expect(r.stdout.split('\n')[0]).toBe(`usage: ${usageOf(c)} [--json]`)
      }
      const help = (await run(...c.path, '--help')).stdout
      const described = helpOf(c)
      expect(described, c.path.join(' ')).toBeDefined()
      for (const name of Object.keys(c.options ?? {})) {
        // `--name VALUE` for an option with a value, `--name` alone for a boolean flag.
        const boolean = c.options![name]!.type === 'boolean'
        expect(
          described!.options.some(
            ([flag]) => (boolean && flag === `--${name}`) || flag.startsWith(`--${name} `),
          ),
          `${c.path.join(' ')} --${name}`,
        ).toBe(true)
        expect(help).toMatch(new RegExp(`\\n  --${name}${boolean ? '( \\S+)?' : ' \\S+'} +\\S`))
      }
      expect(described!.options).toHaveLength(Object.keys(c.options ?? {}).length)
      for (const flag of ['--json', '--help', 'exit codes:', '  1  ', '  2  ']) expect(help).toContain(flag)
    }
  })

  it('rsky --help lists exactly the command table, in its order, and each group help its group', async () => {
    const listed = (text: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith('  rsky '))
        .map((l) => l.trim())
    const top = listed((await run('--help')).stdout)
    expect(top).toHaveLength(commands.length)
    commands.forEach((c, i) => {
      expect(top[i]!.startsWith(usageOf(c))).toBe(true)
    })
    for (const group of new Set(commands.map((c) => c.path[0]!))) {
      const inGroup = commands.filter((c) => c.path[0] === group)
      const r = await run(group, '--help')
      if (inGroup.length === 1 && inGroup[0]!.path.length === 1) continue // a command, not a group
      expect(listed(r.stdout), group).toHaveLength(inGroup.length)
    }
  })

  it('the README shows every usage line, the exit code table and the JSON failure fields', () => {
    for (const c of commands) expect(readme).toContain(`| \`${usageOf(c).replaceAll('|', '\\|')}\` |`)
    expect(readme).toContain('| **0** |')
    expect(readme).toContain('| **1** |')
    expect(readme).toContain('| **2** |')
    for (const f of [...VERIFY_FIELDS, ...FAILURE_FIELDS]) expect(readme).toContain(`"${f}"`)
  })
})

describe('rsky repo ls / get / export / diff, rsky car inspect', () => {
  it('lists a collection and gets a record as JSON', async () => {
    const ls = await run('repo', 'ls', sampleCarPath(k256Sample), 'app.bsky.graph.follow', '--json')
    expect(ls.code).toBe(0)
    const rows = jsonLines(ls.stdout) as Array<{ path: string; cid: string }>
    expect(rows.length).toBeGreaterThan(100)
    expect(rows.every((r) => r.path.startsWith('app.bsky.graph.follow/'))).toBe(true)
    const get = await run('repo', 'get', sampleCarPath(k256Sample), rows[0]!.path)
    expect(get.code).toBe(0)
    expect(JSON.parse(get.stdout)).toMatchObject({ $type: 'app.bsky.graph.follow' })
    expect((await run('repo', 'get', sampleCarPath(k256Sample), 'app.bsky.graph.follow/nope')).code).toBe(1)
    expect((await run('repo', 'get', sampleCarPath(k256Sample), 'not a path')).code).toBe(2)
  })

  it('exports one JSON file per record', async () => {
    const dir = tmp()
    const r = await run('repo', 'export', sampleCarPath(p256Sample), dir)
    expect(r.code).toBe(0)
    const count = readdirSync(dir).reduce((n, c) => n + readdirSync(join(dir, c)).length, 0)
    expect(count).toBe(p256Sample.records)
    expect(existsSync(join(dir, 'app.bsky.actor.profile', 'self.json'))).toBe(true)
  })

  it('diffs two repositories', async () => {
    const r = await run('repo', 'diff', sampleCarPath(k256Sample), sampleCarPath(p256Sample), '--json')
    expect(r.code).toBe(0)
    const d = JSON.parse(r.stdout)
    expect(d.counts.create + d.counts.update + d.counts.delete).toBeGreaterThan(0)
    expect(
      (await run('repo', 'diff', sampleCarPath(k256Sample), sampleCarPath(k256Sample), '--json')).stdout,
    ).toContain('"ops": []')
  })

  it('inspects a CAR', async () => {
    const r = await run('car', 'inspect', sampleCarPath(k256Sample), '--json')
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
    writeThingLexicon(dir, { a: { type: 'string' } })
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
  const bin = join(repoRoot, 'packages/cli/dist/bin.js')
  const nodes = [...new Set([process.execPath, process.env['RSKY_HOST_NODE'] ?? process.execPath])]
  it.runIf(existsSync(bin) || process.env['CI'] === 'true').each(nodes)('runs on %s', (node) => {
    const r = spawnSync(
      node,
      [bin, 'repo', 'verify', sampleCarPath(p256Sample), '--key', p256Sample.key, '--json'],
      {
        encoding: 'utf8',
      },
    )
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({
      valid: true,
      signature: 'valid',
      records: p256Sample.records,
    })
    const bad = spawnSync(node, [bin, 'repo', 'verify', sampleCarPath(p256Sample), '--key', k256Sample.key], {
      encoding: 'utf8',
    })
    expect(bad.status).toBe(1)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    // The JSON failure report: what was learned, the error's code and where.
    const badJson = spawnSync(
      node,
      [bin, 'repo', 'verify', sampleCarPath(p256Sample), '--key', k256Sample.key, '--json'],
      {
        encoding: 'utf8',
      },
    )
    expect(badJson.status).toBe(1)
    const report = JSON.parse(badJson.stdout)
    expect(Object.keys(report)).toEqual([...VERIFY_FIELDS, 'error', 'failure'])
    expect(report).toMatchObject({ valid: false, did: p256Sample.did, signature: 'invalid' })
    expect(report.failure).toMatchObject({ kind: 'invalid', code: 'BAD_SIGNATURE', cid: report.commit })
    // Usage and path problems are exit 2.
    const file = join(tmp(), 'a-file')
    writeFileSync(file, 'x')
    const exp = spawnSync(node, [bin, 'repo', 'export', sampleCarPath(p256Sample), file], {
      encoding: 'utf8',
    })
    expect(exp.status).toBe(2)
    expect(exp.stderr.trim().split('\n')).toHaveLength(1)
    expect(spawnSync(node, [bin, 'repo', 'verify', sampleCarPath(p256Sample), '--bogus']).status).toBe(2)
    const help = spawnSync(node, [bin, 'lex', 'gen', '--help'], { encoding: 'utf8' })
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('--runtime MODULE')
    const out = join(tmp(), 'gen')
    const gen = spawnSync(node, [bin, 'lex', 'gen', LEXICONS_DIR, out, '--json'], { encoding: 'utf8' })
    expect(gen.stderr).toBe('')
    expect(gen.status).toBe(0)
    expect(JSON.parse(gen.stdout)).toMatchObject({ valid: true })
    expect(existsSync(join(out, 'app/bsky/feed/post.ts'))).toBe(true)
  })
})
