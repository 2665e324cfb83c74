// Style and safety findings for a folder of lexicons, beyond what parsing rejects: references that
// lead nowhere, files whose path does not match their id, and strings and arrays with no bound.
import { Lexicons } from '@rsky/lexicon'
import type { LexiconFile } from './lex-load.ts'

/** One finding. `error`s make `lex lint` exit 1; `warning`s are advice. */
export interface LintFinding {
  level: 'error' | 'warning'
  /** Stable rule name: `invalid-lexicon`, `missing-ref`, `id-path`, `unbounded-string`, ... */
  rule: string
  file: string
  path: string
  message: string
}

type Schema = Record<string, unknown>
const isObj = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v)

/** Walks one definition (no recursion: lexicon nesting is shallow, but files are input). */
function lintDef(file: string, root: unknown, rootPath: string, out: LintFinding[]): void {
  const stack: Array<[unknown, string]> = [[root, rootPath]]
  while (stack.length > 0) {
    const [node, path] = stack.pop()!
    if (!isObj(node)) continue
    const type = node['type']
    if (type === 'string') {
      const bounded =
        node['maxLength'] !== undefined ||
        node['maxGraphemes'] !== undefined ||
        node['format'] !== undefined ||
        node['enum'] !== undefined ||
        node['const'] !== undefined
      if (!bounded) {
        out.push({
          level: 'warning',
          rule: 'unbounded-string',
          file,
          path,
          message: 'string with no maxLength, maxGraphemes, format, enum or const',
        })
      }
      if (node['maxGraphemes'] !== undefined && node['maxLength'] === undefined) {
        out.push({
          level: 'warning',
          rule: 'graphemes-without-length',
          file,
          path,
          message: 'maxGraphemes without maxLength (bytes stay unbounded)',
        })
      }
    }
    if (type === 'array' && node['maxLength'] === undefined) {
      out.push({ level: 'warning', rule: 'unbounded-array', file, path, message: 'array with no maxLength' })
    }
    if (
      type === 'union' &&
      Array.isArray(node['refs']) &&
      node['refs'].length === 0 &&
      node['closed'] !== true
    ) {
      out.push({ level: 'warning', rule: 'empty-union', file, path, message: 'open union with no refs' })
    }
    for (const [k, v] of Object.entries(node)) {
      if (isObj(v)) stack.push([v, `${path}.${k}`])
      else if (Array.isArray(v)) for (const [i, x] of v.entries()) stack.push([x, `${path}.${k}[${i}]`])
    }
  }
}

/** Every finding for these files, errors first, then by file and path. */
export function lintLexicons(files: readonly LexiconFile[]): LintFinding[] {
  const out: LintFinding[] = []
  const lex = new Lexicons()
  const fileOf = new Map<string, string>()
  for (const f of files) {
    if (f.doc === undefined) {
      for (const i of f.issues) {
        out.push({ level: 'error', rule: 'invalid-lexicon', file: f.file, path: i.path, message: i.message })
      }
      continue
    }
    if (fileOf.has(f.doc.id)) {
      out.push({
        level: 'error',
        rule: 'duplicate-id',
        file: f.file,
        path: '$.id',
        message: `id ${f.doc.id} is also declared by ${fileOf.get(f.doc.id)}`,
      })
      continue
    }
    fileOf.set(f.doc.id, f.file)
    lex.add(f.doc)
    // Convention: com/example/thing.json holds com.example.thing.
    const expected = `${f.doc.id.split('.').join('/')}.json`
    if (f.file.includes('/') && !f.file.endsWith(expected)) {
      out.push({
        level: 'warning',
        rule: 'id-path',
        file: f.file,
        path: '$.id',
        message: `id ${f.doc.id} is usually in ${expected}`,
      })
    }
    for (const [name, def] of Object.entries(f.doc.defs)) lintDef(f.file, def, `defs.${name}`, out)
  }
  for (const issue of lex.checkRefs().issues) {
    out.push({
      level: 'error',
      rule: issue.code.replaceAll('_', '-'),
      file: fileOf.get(issue.id) ?? issue.id,
      path: issue.path,
      message: issue.message,
    })
  }
  const rank = (f: LintFinding) => (f.level === 'error' ? 0 : 1)
  return out.sort((a, b) => rank(a) - rank(b) || a.file.localeCompare(b.file) || a.path.localeCompare(b.path))
}
