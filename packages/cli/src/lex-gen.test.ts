// `rsky lex gen` across folders (issue 17): --include resolves references, anything left
// unresolved fails the command with the list, and a folder without lexicons is an error.
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LEXICONS_DIR } from '../../lexicon/test/real-lexicons.ts'
import { typeCheckDir } from '../../lexicon/test/typecheck.ts'
import { main } from './main.ts'

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
  })
  return { code, stdout, stderr }
}

const tmp = () => mkdtempSync(join(tmpdir(), 'rsky-lex-gen-'))
const FEED = join(LEXICONS_DIR, 'app/bsky/feed')

describe('rsky lex gen --include', () => {
  it('a folder whose lexicons reference others outside it fails with the unresolved list, writing nothing', async () => {
    const out = join(tmp(), 'gen')
    const r = await run('lex', 'gen', FEED, out)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('LEXICON_UNRESOLVED_REFS')
    // post.json points at com.atproto.repo.strongRef and app.bsky.richtext.facet, among others
    expect(r.stderr).toContain('com.atproto.repo.strongRef#main')
    expect(r.stderr).toContain('app.bsky.richtext.facet#main')
    expect(r.stderr.trim().split('\n').length).toBe(1)
    expect(existsSync(out)).toBe(false)
  })

  it('with --include the references resolve; only the documents needed are generated, and they type-check', async () => {
    const out = join(tmp(), 'gen')
    const r = await run('lex', 'gen', FEED, out, '--include', LEXICONS_DIR, '--json')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const json = JSON.parse(r.stdout) as { lexicons: number; files: string[]; include: string[] }
    expect(json.include).toEqual([LEXICONS_DIR])
    expect(json.files).toContain('app/bsky/feed/post.ts')
    expect(json.files).toContain('com/atproto/repo/strongRef.ts')
    expect(json.files).toContain('app/bsky/richtext/facet.ts')
    // nothing the feed lexicons never reach
    expect(json.files.some((f) => f.startsWith('chat/'))).toBe(false)
    expect(json.files.some((f) => f.startsWith('tools/ozone/'))).toBe(false)
    const feedCount = readdirSync(FEED).filter((f) => f.endsWith('.json')).length
    expect(json.lexicons).toBeGreaterThan(feedCount)
    expect(typeCheckDir(out)).toEqual([])
  }, 120_000)

  it('--include is repeatable; a folder that still misses something fails naming it', async () => {
    const both = await run(
      'lex',
      'gen',
      FEED,
      join(tmp(), 'gen'),
      '--include',
      join(LEXICONS_DIR, 'app'),
      '--include',
      join(LEXICONS_DIR, 'com'),
      '--json',
    )
    expect(both.stderr).toBe('')
    expect(both.code).toBe(0)
    // app/ alone lacks com.atproto.*
    const partial = await run('lex', 'gen', FEED, join(tmp(), 'gen'), '--include', join(LEXICONS_DIR, 'app'))
    expect(partial.code).toBe(1)
    expect(partial.stderr).toContain('com.atproto.repo.strongRef#main')
    expect(partial.stderr).not.toContain('app.bsky.richtext.facet#main')
  })

  it('an empty input or include folder is an error; a missing include folder is a usage error', async () => {
    const empty = tmp()
    mkdirSync(join(empty, 'nested'))
    const r = await run('lex', 'gen', empty, join(tmp(), 'gen'), '--json')
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout)).toMatchObject({ failure: { code: 'NO_LEXICONS' } })
    const inc = await run('lex', 'gen', FEED, join(tmp(), 'gen'), '--include', empty)
    expect(inc.code).toBe(1)
    expect(inc.stderr).toContain('NO_LEXICONS')
    const missing = await run('lex', 'gen', FEED, join(tmp(), 'gen'), '--include', '/no/such/dir')
    expect(missing.code).toBe(2)
  })
})
