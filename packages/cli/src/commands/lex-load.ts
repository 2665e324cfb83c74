// Reading a folder of lexicon JSON files for the `lex` commands: every file parsed, every
// problem named with its file, nothing half-loaded.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { type LexiconDoc, safeParseLexiconDoc } from '@rsky/lexicon'
import { UsageError } from '../errors.ts'

/** One lexicon file that was read. */
export interface LexiconFile {
  /** Path relative to the folder (with `/`). */
  file: string
  /** The parsed document, or undefined when the file is not JSON or not valid lexicon. */
  doc: LexiconDoc | undefined
  /** Problems that kept the file from parsing: `{code, path, message}`. */
  issues: Array<{ code: string; path: string; message: string }>
  /** The `id` the file declares, when readable. */
  id: string | undefined
}

/** A lexicon file or folder that could not be loaded (exit 1): names the file and the first issue. */
export class LexiconFileError extends Error {
  override name = 'LexiconFileError'
  readonly code: string
  readonly file: string
  readonly path: string
  constructor(file: string, issue: { code: string; path: string; message: string }) {
    super(`${file}: ${issue.message}; path=${issue.path}`)
    this.file = file
    this.code = issue.code === 'not_json' ? 'NOT_JSON' : 'INVALID_LEXICON'
    this.path = issue.path
  }
}

/** Most files read from one folder, so a wrong folder (/) is an error rather than a long walk. */
const MAX_FILES = 20_000

function jsonFilesUnder(dir: string): string[] {
  const out: string[] = []
  const stack = [dir]
  while (stack.length > 0) {
    const d = stack.pop()!
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) stack.push(p)
      else if (e.isFile() && e.name.endsWith('.json')) out.push(p)
      if (out.length > MAX_FILES) throw new UsageError(`more than ${MAX_FILES} JSON files under ${dir}`)
    }
  }
  return out.sort()
}

/**
 * The lexicon JSON files under `path` (a folder, searched recursively) or `path` itself (a file).
 * @throws UsageError (`io`) when the path cannot be read
 */
export function readLexiconFiles(path: string): LexiconFile[] {
  let isDir: boolean
  try {
    isDir = statSync(path).isDirectory()
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      io: true,
      cause: err,
    })
  }
  const files = isDir ? jsonFilesUnder(path) : [path]
  return files.map((f) => {
    const file = isDir ? relative(path, f).split(sep).join('/') : f
    let value: unknown
    try {
      value = JSON.parse(readFileSync(f, 'utf8'))
    } catch (err) {
      return {
        file,
        doc: undefined,
        id: undefined,
        issues: [{ code: 'not_json', path: '$', message: `not JSON (${(err as Error).message})` }],
      }
    }
    const id = (value as { id?: unknown } | null)?.id
    const r = safeParseLexiconDoc(value)
    return {
      file,
      doc: r.success ? r.value : undefined,
      id: typeof id === 'string' ? id : undefined,
      issues: r.success ? [] : r.issues.map((i) => ({ code: i.code, path: i.path, message: i.message })),
    }
  })
}

/**
 * Every document under `path`, parsed; the first file that does not parse is an error.
 * @throws UsageError (`io`), LexiconFileError
 */
export function loadLexiconDocs(path: string): Map<string, LexiconDoc> {
  const docs = new Map<string, LexiconDoc>()
  for (const f of readLexiconFiles(path)) {
    if (f.doc === undefined) throw new LexiconFileError(f.file, f.issues[0]!)
    if (docs.has(f.doc.id)) {
      throw new LexiconFileError(f.file, {
        code: 'duplicate_id',
        path: '$.id',
        message: `a second lexicon with id ${f.doc.id}`,
      })
    }
    docs.set(f.doc.id, f.doc)
  }
  return docs
}
