// Generated validators carry their own documents: a browser bundle (esbuild, minified) of a
// program importing one generated validator holds exactly the documents that validator reaches
// through references, and the validators give the same results as a registry of every document,
// both from source and from the bundle. The app.bsky/com.atproto documents reference each other in
// cycles, which the generated modules survive (their registries are built by hoisted functions).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateLexiconTypes } from '../src/codegen/index.ts'
import { Lexicons } from '../src/index.ts'
import { loadRealLexicons } from './real-lexicons.ts'
import { RUNTIME_SOURCE } from './typecheck.ts'

const out = mkdtempSync(join(tmpdir(), 'rsky-lexgen-bundle-'))
afterAll(() => rmSync(out, { recursive: true, force: true }))

type Doc = { id: string; defs: Record<string, unknown> }
const all = loadRealLexicons().map((l) => l.doc as Doc)
const byId = new Map(all.map((d) => [d.id, d]))
const chosen = all.filter((d) => d.id.startsWith('app.bsky.') || d.id.startsWith('com.atproto.'))

/** Ids a document references, found by walking its JSON (independently of the generator). */
function referencedIds(doc: Doc): Set<string> {
  const ids = new Set<string>()
  const add = (ref: unknown): void => {
    if (typeof ref !== 'string' || ref.startsWith('#')) return
    const id = ref.includes('#') ? ref.slice(0, ref.indexOf('#')) : ref
    if (id !== doc.id) ids.add(id)
  }
  const walk = (v: unknown, depth: number): void => {
    if (depth > 64 || v === null || typeof v !== 'object') return
    if (Array.isArray(v)) for (const x of v) walk(x, depth + 1)
    else {
      const o = v as Record<string, unknown>
      if (o['type'] === 'ref') add(o['ref'])
      if (o['type'] === 'union' && Array.isArray(o['refs'])) for (const r of o['refs']) add(r)
      for (const x of Object.values(o)) walk(x, depth + 1)
    }
  }
  walk(doc.defs, 0)
  return ids
}

function closure(id: string): Set<string> {
  const seen = new Set<string>([id])
  const queue = [id]
  for (let next = queue.pop(); next !== undefined; next = queue.pop())
    for (const r of referencedIds(byId.get(next)!))
      if (!seen.has(r)) {
        seen.add(r)
        queue.push(r)
      }
  return seen
}

/** Whether the reference graph from `id` has a cycle. */
function hasCycle(id: string): boolean {
  const state = new Map<string, 1 | 2>()
  const visit = (n: string): boolean => {
    state.set(n, 1)
    for (const r of referencedIds(byId.get(n)!)) {
      if (state.get(r) === 1) return true
      if (state.get(r) === undefined && visit(r)) return true
    }
    state.set(n, 2)
    return false
  }
  return visit(id)
}

/** Bundles `program` for the browser; the generated documents that put bytes in it, and the code. */
async function bundle(program: string): Promise<{ docs: Set<string>; code: string; size: number }> {
  const res = await build({
    stdin: { contents: program, resolveDir: out, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['source', 'browser'],
    alias: { '@rsky/lexicon': RUNTIME_SOURCE },
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  const docs = new Set<string>()
  for (const o of Object.values(res.metafile.outputs))
    for (const [path, i] of Object.entries(o.inputs)) {
      if (i.bytesInOutput === 0 || !path.includes('rsky-lexgen-bundle-')) continue
      const rel = path.slice(path.indexOf(out.split('/').pop()!) + out.split('/').pop()!.length + 1)
      if (rel.endsWith('.ts') && !rel.startsWith('entry')) docs.add(rel.slice(0, -3).split('/').join('.'))
    }
  const code = res.outputFiles[0]!.text
  return { docs, code, size: code.length }
}

const like = {
  $type: 'app.bsky.feed.like',
  subject: {
    uri: 'at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3kznmn7xqxl22',
    cid: 'bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq',
  },
  createdAt: '2024-01-01T00:00:00.000Z',
}
const post = {
  $type: 'app.bsky.feed.post',
  text: 'hello @alice.test',
  createdAt: '2024-01-01T00:00:00.000Z',
  facets: [
    {
      index: { byteStart: 6, byteEnd: 17 },
      features: [{ $type: 'app.bsky.richtext.facet#mention', did: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz' }],
    },
  ],
  embed: { $type: 'app.bsky.embed.record', record: like.subject },
}
const VALUES: [string, unknown][] = [
  ['app.bsky.feed.like', like],
  ['app.bsky.feed.like', { ...like, subject: { uri: 'not a uri', cid: like.subject.cid } }],
  ['app.bsky.feed.like', { $type: 'app.bsky.feed.like' }],
  ['app.bsky.feed.post', post],
  ['app.bsky.feed.post', { ...post, facets: [{ index: { byteStart: 'x' }, features: [] }] }],
  ['app.bsky.feed.post', { ...post, embed: { $type: 'app.bsky.embed.record', record: { uri: 1 } } }],
  ['app.bsky.feed.post', { ...post, embed: { $type: 'com.example.unknown', anything: true } }],
  ['app.bsky.feed.post', { ...post, text: 'x'.repeat(3001) }],
]

beforeAll(() => {
  const files = generateLexiconTypes({
    documents: chosen,
    includeDocuments: all,
    importExtension: '.ts',
    runtimeModule: RUNTIME_SOURCE,
  })
  for (const f of files) {
    mkdirSync(dirname(join(out, f.path)), { recursive: true })
    writeFileSync(join(out, f.path), f.contents)
  }
}, 60_000)

describe('one generated validator bundles only the documents it needs', () => {
  it.each([
    ['app.bsky.feed.like', 'app/bsky/feed/like.ts'],
    ['app.bsky.feed.post', 'app/bsky/feed/post.ts'],
  ])(
    '%s: the bundle holds exactly its reference closure',
    async (id, file) => {
      const { docs, size } = await bundle(
        `import { validateMain } from './${file}'\nexport const f = validateMain`,
      )
      const expected = closure(id)
      expect([...docs].sort()).toEqual([...expected].sort())
      expect(docs.has('lexicons')).toBe(false)
      expect(expected.size).toBeLessThan(chosen.length / 2)
      const everything = await bundle(`import { lexicons } from './index.ts'\nexport const f = lexicons`)
      expect(size).toBeLessThan(everything.size / 2)
    },
    60_000,
  )

  it('the post validator reaches documents that reference each other in a cycle', () => {
    expect(hasCycle('app.bsky.feed.post')).toBe(true)
    expect(hasCycle('app.bsky.feed.like')).toBe(false)
  })
})

describe('validation results are unchanged', () => {
  const reference = new Lexicons(all)

  it('the generated validators (from source) agree with a registry of every document', async () => {
    const mods: Record<string, { validateMain: (v: unknown) => unknown }> = {
      'app.bsky.feed.like': await import(pathToFileURL(join(out, 'app/bsky/feed/like.ts')).href),
      'app.bsky.feed.post': await import(pathToFileURL(join(out, 'app/bsky/feed/post.ts')).href),
    }
    const { lexicons } = await import(pathToFileURL(join(out, 'lexicons.ts')).href)
    const successes: boolean[] = []
    for (const [id, value] of VALUES) {
      const want = reference.validateRecord(id, value)
      expect(mods[id]!.validateMain(value)).toEqual(want)
      expect(lexicons.validateRecord(id, value)).toEqual(want)
      successes.push(want.success)
    }
    expect(successes).toEqual([true, false, false, true, false, false, true, false])
  }, 60_000)

  it('the bundled validator gives the same results', async () => {
    const { code } = await bundle(
      `import { validateMain as like } from './app/bsky/feed/like.ts'\nimport { validateMain as post } from './app/bsky/feed/post.ts'\nexport const v = { 'app.bsky.feed.like': like, 'app.bsky.feed.post': post }`,
    )
    const file = join(out, 'entry.bundle.mjs')
    writeFileSync(file, code)
    const { v } = (await import(pathToFileURL(file).href)) as {
      v: Record<string, (x: unknown) => { success: boolean }>
    }
    for (const [id, value] of VALUES) {
      const got = v[id]!(value)
      const want = reference.validateRecord(id, value)
      expect(got.success).toBe(want.success)
      expect(JSON.stringify(got)).toBe(JSON.stringify(want))
    }
  }, 60_000)
})
