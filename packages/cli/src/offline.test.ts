// The offline commands added for issue 19, in-process: syntax, key, blob, repo mst and the lexicon
// tools, each on good input, on hostile input (a named error, exit 1, one line), and against the
// reference packages where one exists.
import { createHash } from 'node:crypto'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseDidKey as atprotoParseDidKey } from '@atproto/crypto'
import { isValidHandle as atprotoIsValidHandle, isValidNsid as atprotoIsValidNsid } from '@atproto/syntax'
import fc from 'fast-check'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { create as createDigest } from 'multiformats/hashes/digest'
import { describe, expect, it } from 'vitest'
import { LEXICONS_DIR } from '../../lexicon/test/real-lexicons.ts'
import { sniffNotCar } from './commands/sniff.ts'
import { main } from './main.ts'
import { k256Sample, p256Sample, sampleCarPath } from './test-helpers.ts'

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
  })
  return { code, stdout, stderr }
}

const jsonLines = (s: string): Array<Record<string, unknown>> =>
  s
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)

const tmp = (): string => mkdtempSync(join(tmpdir(), 'rsky-offline-'))

/** A failure of a command: exit 1, one line on stderr naming the code, a JSON failure document. */
async function expectInvalid(code: string, ...argv: string[]): Promise<Record<string, unknown>> {
  const text = await run(...argv)
  expect(text.code, argv.join(' ')).toBe(1)
  expect(text.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1)
  expect(text.stderr).toContain(code)
  const json = await run(...argv, '--json')
  const last =
    json.stdout.trim().split('\n').length > 1 && json.stdout.trim().startsWith('{"')
      ? jsonLines(json.stdout).at(-1)!
      : JSON.parse(json.stdout)
  expect(last).toMatchObject({ valid: false, failure: { kind: 'invalid', code } })
  return last as Record<string, unknown>
}

describe('rsky syntax', () => {
  const good: Array<[string, string]> = [
    ['did', 'did:plc:z72i7hdynmk6r22z27h6tvur'],
    ['handle', 'alice.bsky.social'],
    ['nsid', 'app.bsky.feed.post'],
    ['rkey', 'self'],
    ['tid', '3jzfcijpj2z2a'],
    ['datetime', '2024-01-01T00:00:00.000Z'],
    ['at-uri', 'at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3jzfcijpj2z2a'],
    ['at-identifier', 'alice.bsky.social'],
    ['cid', 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm'],
    ['language', 'en-US'],
    ['uri', 'https://example.com/a'],
  ]
  const bad: Array<[string, string]> = [
    ['did', 'did:PLC:x'],
    ['handle', 'alice'],
    ['nsid', 'app.bsky'],
    ['rkey', '..'],
    ['tid', '3jzfcijpj2z2'],
    ['datetime', '2024-01-01'],
    ['at-uri', 'https://example.com'],
    ['cid', 'not-a-cid'],
    ['language', '12'],
  ]

  it.each(good)('check %s %s: valid, exit 0', async (kind, value) => {
    const r = await run('syntax', 'check', kind, value, '--json')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ valid: true, kind, value })
  })

  it.each(bad)('check %s %s: exit 1 with the rule it breaks', async (kind, value) => {
    const r = await run('syntax', 'check', kind, value, '--json')
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout).failure).toMatchObject({ kind: 'invalid', name: 'InvalidSyntaxValueError' })
    expect(r.stderr).toMatch(new RegExp(`not a valid ${kind}: `))
  })

  it('an unknown KIND is a usage error listing the kinds; a value starting with - goes after --', async () => {
    const r = await run('syntax', 'check', 'colour', 'red')
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('one of: did, handle')
    const dash = await run('syntax', 'check', 'handle', '-bad-')
    expect(dash.code).toBe(2)
    expect(dash.stderr.split('\n')[0]).toBe(
      'rsky syntax check: unknown option -b (put a value that starts with - after --)',
    )
    const after = await run('syntax', 'check', 'handle', '--', '-bad-')
    expect(after.code).toBe(1)
  })

  it('agrees with @atproto/syntax on handles and NSIDs (fast-check)', async () => {
    const label = fc.stringMatching(/^[a-zA-Z0-9-]{0,8}$/)
    const arb = fc.array(label, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.'))
    await fc.assert(
      fc.asyncProperty(arb, async (value) => {
        if (value.startsWith('-')) return
        const h = await run('syntax', 'check', 'handle', value)
        expect(h.code === 0, `handle ${value}`).toBe(atprotoIsValidHandle(value))
        const n = await run('syntax', 'check', 'nsid', value)
        expect(n.code === 0, `nsid ${value}`).toBe(atprotoIsValidNsid(value))
      }),
      { numRuns: 150, seed: 19 },
    )
  })

  it('tid generate: N strictly increasing TIDs with the clock id; tid inspect reads them back', async () => {
    const r = await run('syntax', 'tid', 'generate', '--count', '50', '--clock-id', '7', '--json')
    expect(r.code).toBe(0)
    const tids = jsonLines(r.stdout)
    expect(tids).toHaveLength(50)
    const strs = tids.map((t) => t['tid'] as string)
    expect([...strs].sort()).toEqual(strs)
    expect(new Set(strs).size).toBe(50)
    expect(tids.every((t) => t['clockId'] === 7)).toBe(true)
    const back = JSON.parse((await run('syntax', 'tid', 'inspect', strs[0]!, '--json')).stdout)
    expect(back).toMatchObject({ valid: true, tid: strs[0], clockId: 7, timestamp: tids[0]!['timestamp'] })
    expect(Math.abs(Date.parse(back.time) - Date.now())).toBeLessThan(24 * 3600 * 1000)
    expect((await run('syntax', 'tid', 'generate', '--count', '0')).code).toBe(2)
    expect((await run('syntax', 'tid', 'generate', '--clock-id', '1024')).code).toBe(2)
    expect((await run('syntax', 'tid', 'generate', '--count', 'many')).code).toBe(2)
    await expectInvalid('invalid_tid', 'syntax', 'tid', 'inspect', 'zzzzzzzzzzzzz')
  })
})

describe('rsky key', () => {
  it.each(['k256', 'p256'])(
    'generate --curve %s: a key the reference parses to the same curve and bytes',
    async (curve) => {
      const r = await run('key', 'generate', '--curve', curve, '--json')
      expect(r.code).toBe(0)
      const k = JSON.parse(r.stdout)
      expect(k.privateKeyHex).toMatch(/^[0-9a-f]{64}$/)
      expect(k.multikey).toBe(k.didKey.slice('did:key:'.length))
      const ref = atprotoParseDidKey(k.didKey)
      expect(ref.jwtAlg).toBe(curve === 'k256' ? 'ES256K' : 'ES256')
      const inspected = JSON.parse((await run('key', 'inspect', k.multikey, '--json')).stdout)
      expect(inspected).toMatchObject({ valid: true, didKey: k.didKey, curve, jwtAlg: ref.jwtAlg })
      expect(inspected.publicKeyHex).toBe(k.publicKeyHex)
    },
  )

  it('inspect: the sample keys; a forged, truncated or off-curve key is exit 1; --curve other is 2', async () => {
    for (const s of [k256Sample, p256Sample]) {
      const r = await run('key', 'inspect', s.key)
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(s.key)
    }
    await expectInvalid('INVALID_DID_KEY', 'key', 'inspect', k256Sample.key.slice(0, -4))
    await expectInvalid('INVALID_DID_KEY', 'key', 'inspect', 'did:key:zNope')
    await expectInvalid('INVALID_MULTIKEY', 'key', 'inspect', `z${'1'.repeat(48)}`)
    expect((await run('key', 'generate', '--curve', 'ed25519')).code).toBe(2)
  })
})

describe('rsky blob compute', () => {
  it('gives the CID multiformats computes for the same bytes (raw codec, sha-256), streamed', async () => {
    const dir = tmp()
    for (const size of [0, 1, 1 << 16, (1 << 20) + 3]) {
      const bytes = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff)
      const file = join(dir, `b${size}`)
      writeFileSync(file, bytes)
      const r = await run('blob', 'compute', file, '--mime', 'image/png', '--json')
      expect(r.code).toBe(0)
      const digest = createDigest(0x12, new Uint8Array(createHash('sha256').update(bytes).digest()))
      const expected = CID.createV1(raw.code, digest).toString()
      expect(JSON.parse(r.stdout)).toEqual({
        valid: true,
        cid: expected,
        size,
        blobRef: { $type: 'blob', ref: { $link: expected }, mimeType: 'image/png', size },
      })
    }
    expect((await run('blob', 'compute', join(dir, 'b1'), '--mime', 'not a mime')).code).toBe(2)
    expect((await run('blob', 'compute', dir)).code).toBe(2)
  })
})

describe('rsky repo mst', () => {
  it('every node once, the root first, layers from the top down to 0; entries add up to the records', async () => {
    const r = await run('repo', 'mst', sampleCarPath(k256Sample), '--json')
    expect(r.code).toBe(0)
    const rows = jsonLines(r.stdout)
    const nodes = rows.filter((x) => x['type'] === 'node')
    const summary = rows.at(-1)!
    expect(summary['type']).toBe('summary')
    expect(summary['nodes']).toBe(nodes.length)
    expect(new Set(nodes.map((n) => n['cid'])).size).toBe(nodes.length)
    expect(nodes[0]!['depth']).toBe(0)
    const entries = nodes.reduce((n, x) => n + (x['entries'] as number), 0)
    expect(entries).toBe(k256Sample.records)
    const layers = Object.keys(summary['layers'] as object).map(Number)
    expect(Math.min(...layers)).toBe(0)
    expect(Math.max(...layers)).toBe(nodes[0]!['layer'])
    const text = await run('repo', 'mst', sampleCarPath(p256Sample))
    expect(text.stdout).toMatch(/layer 0: \d+ nodes, \d+ entries/)
  })

  it('a damaged CAR is exit 1 with nothing on stdout before the error line', async () => {
    const dir = tmp()
    const bytes = readFileSync(sampleCarPath(k256Sample))
    const forged = Buffer.from(bytes)
    forged[forged.length - 10]! ^= 0xff
    writeFileSync(join(dir, 'forged.car'), forged)
    const r = await run('repo', 'mst', join(dir, 'forged.car'))
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    const json = await run('repo', 'mst', join(dir, 'forged.car'), '--json')
    expect(jsonLines(json.stdout)).toEqual([
      expect.objectContaining({
        valid: false,
        failure: expect.objectContaining({ code: 'CAR_HASH_MISMATCH' }),
      }),
    ])
  })
})

describe('a file that is not a CAR says what it looks like', () => {
  const dir = tmp()
  const cases: Array<[string, Uint8Array | string, string]> = [
    ['empty.car', '', 'empty'],
    ['doc.json', '{"lexicon": 1, "id": "com.example.x"}\n', 'JSON'],
    ['notes.txt', 'these are some notes, not a repository\n', 'text'],
    ['archive.gz', new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), 'gzip'],
    ['archive.zip', new Uint8Array([0x50, 0x4b, 3, 4, 20, 0, 0, 0]), 'zip'],
    ['random.bin', new Uint8Array(256).map((_, i) => (i * 167 + 0x9d) & 0xff), 'random or other binary'],
  ]
  for (const [name, content] of cases) writeFileSync(join(dir, name), content)

  it.each(cases)('%s: NOT_A_CAR (%s) from every CAR command', async (name, _content, looks) => {
    const file = join(dir, name)
    for (const argv of [
      ['car', 'inspect', file],
      ['repo', 'verify', file],
      ['repo', 'ls', file],
      ['repo', 'mst', file],
    ]) {
      const r = await run(...argv)
      expect(r.code, argv.join(' ')).toBe(1)
      expect(r.stderr.split('\n')[0]).toContain(`NOT_A_CAR: ${file} is not a CAR file:`)
      expect(r.stderr).toContain(looks)
      expect(r.stdout).toBe('')
    }
  })

  it('random bytes of every length and seed: never mistaken for a CAR by the sniff when the header is impossible', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
        const verdict = sniffNotCar('x', bytes, bytes.length)
        // Whatever the verdict, it is a named error or a hand-over to the CAR reader, never a throw.
        if (verdict !== undefined) expect(verdict.code).toBe('NOT_A_CAR')
      }),
      { numRuns: 300, seed: 19 },
    )
    // A real CAR header passes the sniff.
    const head = new Uint8Array(readFileSync(sampleCarPath(k256Sample)).subarray(0, 64))
    expect(sniffNotCar('x', head, head.length)).toBeUndefined()
  })
})

/** Writes lexicon documents (id -> defs) as files under a new folder, by id path. */
function lexDir(docs: Record<string, Record<string, unknown>>): string {
  const dir = tmp()
  for (const [id, defs] of Object.entries(docs)) {
    const file = join(dir, `${id.split('.').join('/')}.json`)
    mkdirSync(join(file, '..'), { recursive: true })
    writeFileSync(file, JSON.stringify({ lexicon: 1, id, defs }))
  }
  return dir
}

const recordDef = (properties: Record<string, unknown>, required: string[] = []) => ({
  main: { type: 'record', key: 'tid', record: { type: 'object', required, properties } },
})

describe('rsky lex parse / lint / validate', () => {
  it('parse: every real lexicon as JSON lines; lint: no errors on the real set', async () => {
    const r = await run('lex', 'parse', LEXICONS_DIR, '--json')
    expect(r.code).toBe(0)
    const docs = jsonLines(r.stdout)
    expect(docs.length).toBeGreaterThan(390)
    expect(docs.find((d) => d['id'] === 'app.bsky.feed.post')).toMatchObject({
      file: 'app/bsky/feed/post.json',
      defs: expect.arrayContaining([{ name: 'main', type: 'record' }]),
    })
    const lint = await run('lex', 'lint', LEXICONS_DIR, '--json')
    expect(lint.code).toBe(0)
    expect(jsonLines(lint.stdout).filter((f) => f['level'] === 'error')).toEqual([])
  })

  it('parse and lint of broken folders: the file named, exit 1, nothing listed by parse', async () => {
    const dir = lexDir({ 'com.example.a': recordDef({ s: { type: 'string' } }) })
    writeFileSync(join(dir, 'broken.json'), '{ "lexicon": 1, "id": ')
    const parse = await run('lex', 'parse', dir)
    expect(parse.code).toBe(1)
    expect(parse.stdout).toBe('')
    expect(parse.stderr).toMatch(/broken\.json: not JSON/)
    const lint = await run('lex', 'lint', dir, '--json')
    expect(lint.code).toBe(1)
    const findings = jsonLines(lint.stdout)
    expect(findings[0]).toMatchObject({ level: 'error', rule: 'invalid-lexicon', file: 'broken.json' })
    expect(findings.some((f) => f['rule'] === 'unbounded-string')).toBe(true)
    const refs = lexDir({
      'com.example.b': recordDef({ x: { type: 'ref', ref: 'com.example.missing#thing' } }),
    })
    const missing = jsonLines((await run('lex', 'lint', refs, '--json')).stdout)
    expect(missing).toContainEqual(expect.objectContaining({ level: 'error', rule: 'missing-ref' }))
    expect((await run('lex', 'parse', '/no/such/dir')).code).toBe(2)
  })

  it('validate: a real post is valid; a wrong type, a too-long text and JSON that is not a record are exit 1', async () => {
    const dir = tmp()
    const post = {
      $type: 'app.bsky.feed.post',
      text: 'hello',
      createdAt: '2024-01-01T00:00:00.000Z',
      langs: ['en'],
    }
    writeFileSync(join(dir, 'post.json'), JSON.stringify(post))
    const ok = await run('lex', 'validate', LEXICONS_DIR, 'app.bsky.feed.post', join(dir, 'post.json'))
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('valid app.bsky.feed.post record')
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...post, text: 'x'.repeat(3001) }))
    const bad = await expectInvalid(
      'INVALID_RECORD',
      'lex',
      'validate',
      LEXICONS_DIR,
      'app.bsky.feed.post',
      join(dir, 'bad.json'),
    )
    expect((bad['failure'] as { path: string }).path).toContain('text')
    writeFileSync(join(dir, 'type.json'), JSON.stringify({ ...post, $type: 'app.bsky.feed.like' }))
    await expectInvalid(
      'INVALID_RECORD',
      'lex',
      'validate',
      LEXICONS_DIR,
      'app.bsky.feed.post',
      join(dir, 'type.json'),
    )
    writeFileSync(join(dir, 'not.json'), 'not json at all')
    await expectInvalid(
      'NOT_JSON',
      'lex',
      'validate',
      LEXICONS_DIR,
      'app.bsky.feed.post',
      join(dir, 'not.json'),
    )
    writeFileSync(join(dir, 'empty.json'), '')
    await expectInvalid(
      'NOT_JSON',
      'lex',
      'validate',
      LEXICONS_DIR,
      'app.bsky.feed.post',
      join(dir, 'empty.json'),
    )
    expect(
      (await run('lex', 'validate', LEXICONS_DIR, 'app.bsky.feed.defs', join(dir, 'post.json'))).code,
    ).toBe(2)
    expect((await run('lex', 'validate', LEXICONS_DIR, 'not an nsid', join(dir, 'post.json'))).code).toBe(2)
  })
})

describe('rsky lex parse / lint on hostile lexicon files', () => {
  it('100,000-deep schemas, 20,000 definitions and a __proto__ definition: named errors, no crash', async () => {
    const dir = tmp()
    const n = 100_000
    const deep = `{"lexicon":1,"id":"com.example.deep","defs":{"main":${'{"type":"array","maxLength":1,"items":'.repeat(n)}{"type":"string","maxLength":1}${'}'.repeat(n)}}}`
    writeFileSync(join(dir, 'deep.json'), deep)
    const defs: Record<string, unknown> = {}
    for (let i = 0; i < 20_000; i++) defs[`d${i}`] = { type: 'string' }
    writeFileSync(join(dir, 'many.json'), JSON.stringify({ lexicon: 1, id: 'com.example.many', defs }))
    writeFileSync(
      join(dir, 'proto.json'),
      '{"lexicon":1,"id":"com.example.proto","defs":{"__proto__":{"type":"string"}}}',
    )
    const parse = await run('lex', 'parse', dir, '--json')
    expect(parse.code).toBe(1)
    expect(jsonLines(parse.stdout)).toEqual([
      expect.objectContaining({
        valid: false,
        failure: expect.objectContaining({ code: 'INVALID_LEXICON' }),
      }),
    ])
    expect(parse.stderr).toMatch(/deep\.json: schemas nest deeper than the cap/)
    expect(parse.stderr).toMatch(/proto\.json: definition names/)
    const lint = await run('lex', 'lint', dir, '--json')
    expect(lint.code).toBe(1)
    const findings = jsonLines(lint.stdout)
    expect(findings.filter((f) => f['level'] === 'error').map((f) => f['file'])).toEqual([
      'deep.json',
      'proto.json',
    ])
    expect(findings.filter((f) => f['rule'] === 'unbounded-string')).toHaveLength(20_000)
  })
})

describe('rsky lex validate on hostile records', () => {
  const post = { $type: 'app.bsky.feed.post', text: 'x', createdAt: '2024-01-01T00:00:00Z' }
  const cases: Array<[string, string, string | null]> = [
    [
      'nested 100,000 deep',
      `${JSON.stringify(post).slice(0, -1)},"embed":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
      'INVALID_RECORD',
    ],
    ['an array', '[1, 2]', 'INVALID_RECORD'],
    ['null', 'null', 'INVALID_RECORD'],
    ['a 5 MB text', JSON.stringify({ ...post, text: 'x'.repeat(5_000_000) }), 'INVALID_RECORD'],
    [
      'a blob whose ref is not a CID',
      JSON.stringify({
        ...post,
        embed: {
          $type: 'app.bsky.embed.images',
          images: [
            { alt: '', image: { $type: 'blob', ref: { $link: 'nope' }, mimeType: 'image/png', size: 1 } },
          ],
        },
      }),
      'INVALID_RECORD',
    ],
    ['bytes that are not base64', JSON.stringify({ ...post, x: { $bytes: '***' } }), 'INVALID_RECORD'],
    [
      'a __proto__ key (kept as data, allowed as an extra field)',
      `${JSON.stringify(post).slice(0, -1)},"__proto__":{"polluted":true}}`,
      null,
    ],
    ['truncated JSON', JSON.stringify(post).slice(0, -3), 'NOT_JSON'],
  ]

  it.each(cases)('%s', async (_what, text, code) => {
    const file = join(tmp(), 'record.json')
    writeFileSync(file, text)
    const r = await run('lex', 'validate', LEXICONS_DIR, 'app.bsky.feed.post', file)
    if (code === null) {
      expect(r.code).toBe(0)
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
      return
    }
    expect(r.code).toBe(1)
    expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^rsky lex validate: ${code}: `))
    expect(r.stderr.split('\n')[0]!.length).toBeLessThan(400)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })
})

describe('rsky lex breaking / diff', () => {
  const base = {
    'com.example.thing': recordDef(
      {
        text: { type: 'string', maxLength: 300 },
        count: { type: 'integer', minimum: 0, maximum: 10 },
        kind: { type: 'string', enum: ['a', 'b'] },
        tags: { type: 'array', items: { type: 'string', maxLength: 64 }, maxLength: 8 },
        note: { type: 'string', maxLength: 100, description: 'a note' },
      },
      ['text'],
    ),
  }
  type Props = Record<string, Record<string, unknown>>
  const edit = (fn: (props: Props, required: string[]) => void) => {
    const doc = structuredClone(base)
    const rec = doc['com.example.thing'].main.record
    fn(rec.properties as Props, rec.required)
    return doc
  }

  // [what, edited lexicons, expected change kind or null when not breaking]
  const table: Array<[string, Record<string, Record<string, unknown>>, string | null]> = [
    ['a property removed', edit((p) => delete p['note']), 'removed'],
    ['a type changed', edit((p) => (p['count'] = { type: 'string', maxLength: 3 })), 'type-changed'],
    ['maxLength lowered', edit((p) => (p['text']!['maxLength'] = 200)), 'tightened'],
    ['maximum lowered', edit((p) => (p['count']!['maximum'] = 5)), 'tightened'],
    ['minimum raised', edit((p) => (p['count']!['minimum'] = 1)), 'tightened'],
    ['an enum value removed', edit((p) => (p['kind']!['enum'] = ['a'])), 'tightened'],
    ['a property made required', edit((_p, r) => r.push('count')), 'made-required'],
    [
      'a required property added',
      edit((p, r) => {
        p['extra'] = { type: 'string', maxLength: 5 }
        r.push('extra')
      }),
      'added-required',
    ],
    ['a format added', edit((p) => (p['note']!['format'] = 'uri')), 'changed'],
    [
      'an array item bound lowered',
      edit((p) => ((p['tags']!['items'] as Record<string, unknown>)['maxLength'] = 10)),
      'tightened',
    ],
    ['the lexicon removed', {}, 'removed'],
    ['an optional property added', edit((p) => (p['extra'] = { type: 'string', maxLength: 5 })), null],
    ['maxLength raised', edit((p) => (p['text']!['maxLength'] = 3000)), null],
    ['an enum value added', edit((p) => (p['kind']!['enum'] = ['a', 'b', 'c'])), null],
    ['a description changed', edit((p) => (p['note']!['description'] = 'another note')), null],
  ]

  it.each(table)('%s', async (_what, after, breaking) => {
    const before = lexDir(base)
    const next = lexDir(after)
    const diff = await run('lex', 'diff', before, next, '--json')
    expect(diff.code).toBe(0)
    const changes = jsonLines(diff.stdout)
    expect(changes.length).toBeGreaterThan(0)
    const b = await run('lex', 'breaking', before, next, '--json')
    if (breaking === null) {
      expect(changes.every((c) => c['breaking'] === false)).toBe(true)
      expect(b.code).toBe(0)
      expect(b.stdout).toBe('')
    } else {
      expect(changes).toContainEqual(expect.objectContaining({ breaking: true, change: breaking }))
      expect(b.code).toBe(1)
      const out = jsonLines(b.stdout)
      expect(out.at(-1)).toMatchObject({ valid: false, failure: { code: 'BREAKING_CHANGES' } })
      expect(out.slice(0, -1).every((c) => c['breaking'] === true)).toBe(true)
    }
  })

  it('the real lexicons against themselves: no changes; a copy with one lexicon removed: breaking', async () => {
    const same = await run('lex', 'diff', LEXICONS_DIR, LEXICONS_DIR, '--json')
    expect(same.code).toBe(0)
    expect(same.stdout).toBe('')
    const copy = tmp()
    cpSync(join(LEXICONS_DIR, 'com'), join(copy, 'com'), { recursive: true })
    const r = await run('lex', 'breaking', join(LEXICONS_DIR, 'com'), join(copy, 'com'))
    expect(r.code).toBe(0)
    writeFileSync(
      join(copy, 'com/atproto/repo/strongRef.json'),
      JSON.stringify({
        lexicon: 1,
        id: 'com.atproto.repo.strongRef',
        defs: { main: { type: 'object', properties: { uri: { type: 'string', format: 'at-uri' } } } },
      }),
    )
    const broken = await run('lex', 'breaking', join(LEXICONS_DIR, 'com'), join(copy, 'com'))
    expect(broken.code).toBe(1)
    expect(broken.stdout).toMatch(
      /BREAKING\s+removed\s+com\.atproto\.repo\.strongRef defs\.main\.properties\.cid/,
    )
  })
})

describe('progress on stderr, only on a terminal', () => {
  const sink = (isTTY: boolean) => {
    const out = { text: '', isTTY, write: (s: string) => (out.text += s) }
    return out
  }

  it('a progress bar for large reads and a byte counter for downloads draw on a TTY and erase themselves', async () => {
    const { createByteCounter, createProgress, note } = await import('./progress.ts')
    const tty = sink(true)
    const bar = createProgress('reading x.car', 64 << 20, tty)
    for (let i = 1; i <= 4; i++) bar.update(i * (16 << 20))
    bar.finish()
    expect(tty.text).toContain('reading x.car [')
    expect(tty.text).toContain('100%')
    expect(tty.text.endsWith('\r')).toBe(true)
    const counter = createByteCounter('fetching did:plc:x', tty)
    counter.update(3 << 20)
    counter.finish()
    expect(tty.text).toContain('fetching did:plc:x: 3.0 MiB')
    note(tty, 'a remark')
    expect(tty.text).toContain('a remark\n')
  })

  it('nothing at all when stderr is a pipe or a file', async () => {
    const { createByteCounter, createProgress, note } = await import('./progress.ts')
    const pipe = sink(false)
    const bar = createProgress('reading x.car', 64 << 20, pipe)
    bar.update(32 << 20)
    bar.finish()
    const counter = createByteCounter('fetching', pipe)
    counter.update(1 << 20)
    counter.finish()
    note(pipe, 'a remark')
    expect(pipe.text).toBe('')
  })
})

describe('rsky lex validate agrees with @atproto/lexicon on real records', () => {
  it('every collection of the sample repository, as exported, and each record with its createdAt replaced by a number', async () => {
    const { Lexicons: AtprotoLexicons, jsonToLex: atprotoJsonToLex } = await import('@atproto/lexicon')
    const { readdirSync } = await import('node:fs')
    const parsed = jsonLines((await run('lex', 'parse', LEXICONS_DIR, '--json')).stdout)
    const docs = parsed.map((d) =>
      JSON.parse(readFileSync(join(LEXICONS_DIR, d['file'] as string), 'utf8')),
    ) as never[]
    const reference = new AtprotoLexicons(docs)
    const out = tmp()
    expect((await run('repo', 'export', sampleCarPath(k256Sample), out)).code).toBe(0)
    let compared = 0
    let rejected = 0
    for (const collection of readdirSync(out)) {
      // A few records of each collection, and each one mutated in one place.
      for (const name of readdirSync(join(out, collection)).slice(0, 4)) {
        const file = join(out, collection, name)
        const record = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
        const mutated = join(out, `${collection}-${name}`)
        writeFileSync(mutated, JSON.stringify({ ...record, createdAt: 12 }))
        for (const path of [file, mutated]) {
          const value = JSON.parse(readFileSync(path, 'utf8'))
          let theirs = true
          try {
            reference.assertValidRecord(collection, atprotoJsonToLex(value))
          } catch {
            theirs = false
          }
          const ours = await run('lex', 'validate', LEXICONS_DIR, collection, path)
          expect(ours.code === 0, `${collection} ${path}`).toBe(theirs)
          compared++
          if (!theirs) rejected++
        }
      }
    }
    expect(compared).toBeGreaterThanOrEqual(8)
    // Both verdicts occur: every mutant fails (and some of the generated sample records too, for both).
    expect(rejected).toBeGreaterThanOrEqual(compared / 2)
    expect(rejected).toBeLessThan(compared)
  }, 60_000)
})
