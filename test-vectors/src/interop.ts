import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The two shared vector suites, read in place and never copied into the repo. */
export type InteropSuite = 'atproto-interop-tests' | 'mst-test-suite'

const ENV_VARS: Record<InteropSuite, string> = {
  'atproto-interop-tests': 'RSKY_ATPROTO_INTEROP_TESTS',
  'mst-test-suite': 'RSKY_MST_TEST_SUITE',
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** Raised when a vector folder or file is absent; under CI=true absence is always an error. */
export class InteropVectorsMissingError extends Error {
  override name = 'InteropVectorsMissingError'
  readonly code = 'INTEROP_VECTORS_MISSING'
  readonly path: string
  constructor(path: string) {
    super(`interop vectors not found; path=${path}`)
    this.path = path
  }
}

/**
 * Folder of a suite: `$RSKY_ATPROTO_INTEROP_TESTS` / `$RSKY_MST_TEST_SUITE`, else
 * `$RSKY_INTEROP_DIR/<suite>`, else `../shared/interop/<suite>` beside the repo.
 */
export function interopRoot(suite: InteropSuite): string {
  const direct = process.env[ENV_VARS[suite]]
  if (direct) return resolve(direct)
  const base = process.env['RSKY_INTEROP_DIR'] ?? join(repoRoot, '..', 'shared', 'interop')
  return resolve(base, suite)
}

/** Absolute path of a file inside a suite; throws InteropVectorsMissingError if it is not there. */
export function interopPath(suite: InteropSuite, file: string): string {
  const path = join(interopRoot(suite), file)
  if (!existsSync(path)) throw new InteropVectorsMissingError(path)
  return path
}

export function readInteropText(suite: InteropSuite, file: string): string {
  return readFileSync(interopPath(suite, file), 'utf8')
}

export function readInteropJson<T = unknown>(suite: InteropSuite, file: string): T {
  return JSON.parse(readInteropText(suite, file)) as T
}

/**
 * Lines of a `syntax/*.txt` file as the interop README defines them: blank lines and lines
 * starting with `#` are comments. Trailing whitespace is significant in some cases, so lines are
 * not trimmed; only the line ending is removed.
 */
export function readSyntaxLines(file: string): string[] {
  return readInteropText('atproto-interop-tests', join('syntax', file))
    .split('\n')
    .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
    .filter((line) => line.length > 0 && !line.startsWith('#'))
}

/** Files under a folder of a suite (recursive), relative to the suite root, sorted. */
export function listInteropFiles(suite: InteropSuite, folder: string, suffix = ''): string[] {
  const root = interopRoot(suite)
  const start = join(root, folder)
  if (!existsSync(start)) throw new InteropVectorsMissingError(start)
  const out: string[] = []
  const walk = (dir: string, rel: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name
      if (entry.isDirectory()) walk(join(dir, entry.name), relPath)
      else if (entry.name.endsWith(suffix)) out.push(`${folder}/${relPath}`)
    }
  }
  walk(start, '')
  return out.sort()
}

/**
 * Records how many cases a suite file ran so the run can print a table at the end (see
 * global-setup.ts). Throws when `count` is zero: a suite that passes on zero cases is a bug.
 */
export function recordInteropCount(label: string, count: number): void {
  if (count === 0) throw new Error(`interop suite ran zero cases; label=${label}`)
  const sink = process.env['RSKY_INTEROP_COUNTS_FILE']
  if (sink) appendFileSync(sink, `${JSON.stringify({ label, count })}\n`)
}
