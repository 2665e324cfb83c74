// Documentation that runs: every ```ts block of the READMEs (see readme-examples.ts for the info
// strings) is typechecked against the packages' sources and run on Node, so a broken example fails CI.
// The blocks are written under packages/cli/ (which depends on every @rsky package) so that
// `@rsky/*` imports resolve exactly as in an application, through the workspace `source` condition.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extractExamples, type ReadmeExample, readmeFiles } from './readme-examples.ts'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const examples = readmeFiles(root).flatMap((file) =>
  extractExamples(readFileSync(join(root, file), 'utf8'), file),
)
const checked = examples.filter((e) => e.mode !== 'skip')
const runnable = examples.filter((e) => e.mode === 'run')

// A package README's blocks sit in that package (its own name resolves by self-reference, its
// dependencies as installed); the root README's and the migration guide's sit in packages/cli.
const folder = `.readme-examples-${process.pid}`
const dirOf = (e: ReadmeExample): string =>
  join(root, 'packages', /^packages\/([^/]+)\//.exec(e.file)?.[1] ?? 'cli', folder)
const fileOf = (e: ReadmeExample): string =>
  join(
    dirOf(e),
    `${e.file.replace(/[^a-zA-Z0-9]+/g, '-')}-L${e.line}.${e.lang.startsWith('j') ? 'mjs' : 'ts'}`,
  )
const dirs = [...new Set(examples.map(dirOf))]
const label = (e: ReadmeExample): string => `${e.file}:${e.line}`

let diagnostics = new Map<string, string[]>()

beforeAll(() => {
  for (const dir of dirs) mkdirSync(dir, { recursive: true })
  // `export {}` makes every block a module, so top-level await and local names are allowed.
  for (const e of checked) writeFileSync(fileOf(e), `${e.code}\nexport {}\n`)
  const base = ts.readConfigFile(join(root, 'tsconfig.base.json'), (p) => ts.sys.readFile(p))
  const parsed = ts.parseJsonConfigFileContent(base.config, ts.sys, root)
  const program = ts.createProgram(checked.map(fileOf), {
    ...parsed.options,
    // An example shows calls whose results it does not always use.
    noUnusedLocals: false,
    noUnusedParameters: false,
    isolatedDeclarations: false,
    declaration: false,
    allowJs: true,
    checkJs: true,
    noEmit: true,
  })
  diagnostics = new Map()
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const file = d.file?.fileName
    if (!file?.includes(`/${folder}/`)) continue
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0)
    const list = diagnostics.get(file) ?? []
    list.push(`line ${line + 1} of the block: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)
    diagnostics.set(file, list)
  }
}, 120_000)

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('README examples', () => {
  it('every README has its blocks found', () => {
    expect(examples.length).toBeGreaterThan(10)
  })

  it.each(checked.map((e) => [label(e), e] as const))('%s typechecks', (_label, e) => {
    expect(diagnostics.get(fileOf(e)) ?? []).toEqual([])
  })

  it.each(runnable.map((e) => [label(e), e] as const))('%s runs', (_label, e) => {
    // Each block runs in its own empty folder so files it writes land nowhere in the repository.
    const cwd = mkdtempSync(join(tmpdir(), 'rsky-readme-'))
    try {
      const r = spawnSync(process.execPath, ['--conditions=source', '--no-warnings', fileOf(e)], {
        cwd,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, NO_COLOR: '1' },
      })
      expect(r.signal, 'timed out').toBeNull()
      expect(r.stderr.trim().split('\n').slice(-5).join('\n')).toBe('')
      expect(r.status).toBe(0)
    } finally {
      rmSync(cwd, { recursive: true, force: true })
    }
  })
})

describe('extractExamples', () => {
  it('reads the language, the mode and the body of each block', () => {
    const md = [
      '# x',
      '```ts',
      'const a = 1',
      '```',
      '```sh',
      'npm i',
      '```',
      '```ts check-only',
      'await fetch("https://example.com")',
      '```',
      '````ts no-run',
      '```',
      '````',
    ].join('\n')
    expect(extractExamples(md, 'x.md')).toEqual([
      { file: 'x.md', line: 2, lang: 'ts', mode: 'run', code: 'const a = 1\n' },
      { file: 'x.md', line: 8, lang: 'ts', mode: 'check', code: 'await fetch("https://example.com")\n' },
      { file: 'x.md', line: 11, lang: 'ts', mode: 'skip', code: '```\n' },
    ])
  })
})
