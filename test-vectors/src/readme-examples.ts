// README code blocks as tests: every ```ts block of every package README (and the root README and
// docs/migration.md) is extracted, typechecked, and run. The info string after the language says
// what to do with a block:
//   ```ts             typechecked and run (top-level await allowed; must finish, loopback only)
//   ```ts check-only  typechecked, not run (needs the public network, e.g. wss://bsky.network)
//   ```ts no-run      skipped entirely (a fragment, or code that needs generated files)
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

/** What the test does with a block. */
export type ExampleMode = 'run' | 'check' | 'skip'

/** One fenced code block of a Markdown file. */
export interface ReadmeExample {
  /** The Markdown file, relative to the repository root. */
  file: string
  /** 1-based line of the opening fence. */
  line: number
  /** Language of the fence (`ts`, `typescript`, `js`, ...). */
  lang: string
  mode: ExampleMode
  code: string
}

const CODE_LANGS = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs', 'mts'])

/** The TypeScript/JavaScript blocks of one Markdown text, in order; other languages are left out. */
export function extractExamples(markdown: string, file: string): ReadmeExample[] {
  const out: ReadmeExample[] = []
  const lines = markdown.split('\n')
  let open: { line: number; fence: string; lang: string; mode: ExampleMode; body: string[] } | null = null
  for (let i = 0; i < lines.length; i++) {
    const text = (lines[i] as string).replace(/\r$/, '')
    if (open === null) {
      const m = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)\s*(.*)$/.exec(text)
      if (!m) continue
      const words = (m[4] ?? '').split(/[\s,]+/).filter(Boolean)
      const mode: ExampleMode = words.includes('no-run')
        ? 'skip'
        : words.includes('check-only')
          ? 'check'
          : 'run'
      open = { line: i + 1, fence: m[2] as string, lang: (m[3] ?? '').toLowerCase(), mode, body: [] }
    } else if (text.trim().startsWith(open.fence) && text.trim().replace(/[`~]/g, '') === '') {
      if (CODE_LANGS.has(open.lang))
        out.push({
          file,
          line: open.line,
          lang: open.lang,
          mode: open.mode,
          code: `${open.body.join('\n')}\n`,
        })
      open = null
    } else {
      open.body.push(text)
    }
  }
  return out
}

/** The Markdown files whose examples are tested: the root README, docs/migration.md, packages/*\/README.md. */
export function readmeFiles(root: string): string[] {
  const files = [join(root, 'README.md'), join(root, 'docs', 'migration.md')]
  for (const dir of readdirSync(join(root, 'packages')).sort())
    files.push(join(root, 'packages', dir, 'README.md'))
  return files
    .filter((f) => {
      try {
        readFileSync(f)
        return true
      } catch {
        return false
      }
    })
    .map((f) => relative(root, f))
}
