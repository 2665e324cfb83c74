// Runs vitest once over the workspace and ends with the plain total line CI reads.
// Without the shared inputs (../shared/interop, ../shared/lexicons) outside CI, the test files that
// read them are left out and one line says what is missing and how to point at it; under CI=true
// a missing folder fails the run (test-vectors/src/global-setup.ts).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const shared = join(root, '..', 'shared')

/** The shared inputs, where the loaders look for them, and the code that marks a reader of each. */
const inputs = [
  {
    name: 'atproto-interop-tests',
    path: resolve(
      process.env.RSKY_ATPROTO_INTEROP_TESTS ??
        join(process.env.RSKY_INTEROP_DIR ?? join(shared, 'interop'), 'atproto-interop-tests'),
    ),
    env: 'RSKY_INTEROP_DIR or RSKY_ATPROTO_INTEROP_TESTS',
    marker:
      /\b(readInteropJson|readInteropText|listInteropFiles|interopPath|readSyntaxLines|interopRoot)\b|shared\/interop/,
  },
  {
    name: 'mst-test-suite',
    path: resolve(
      process.env.RSKY_MST_TEST_SUITE ??
        join(process.env.RSKY_INTEROP_DIR ?? join(shared, 'interop'), 'mst-test-suite'),
    ),
    env: 'RSKY_INTEROP_DIR or RSKY_MST_TEST_SUITE',
    marker:
      /\b(readInteropJson|readInteropText|listInteropFiles|interopPath|readSyntaxLines|interopRoot)\b|shared\/interop/,
  },
  {
    name: 'lexicons',
    path: resolve(process.env.RSKY_LEXICONS_DIR ?? join(shared, 'lexicons')),
    env: 'RSKY_LEXICONS_DIR',
    marker: /shared\/lexicons|RSKY_LEXICONS_DIR/,
  },
]

function testFiles() {
  const out = []
  const walk = (dir) => {
    if (!existsSync(dir)) return
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue
      const p = join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.test.ts')) out.push(p)
    }
  }
  // Every *.test.ts of the work tree (vitest.config.ts decides which of them run).
  walk(root)
  return out.sort()
}

/** Whether `file` or a file it imports by relative path (transitively) matches `marker`. */
function reads(file, marker, seen = new Set()) {
  if (seen.has(file) || !existsSync(file)) return false
  seen.add(file)
  const text = readFileSync(file, 'utf8')
  if (marker.test(text)) return true
  for (const m of text.matchAll(/from\s+['"](\.{1,2}\/[^'"]+)['"]/g)) {
    if (reads(resolve(dirname(file), m[1]), marker, seen)) return true
  }
  return false
}

const missing = process.env.CI === 'true' ? [] : inputs.filter((i) => !existsSync(i.path))
const excluded = []
let missingLine = ''
if (missing.length > 0) {
  for (const file of testFiles()) if (missing.some((i) => reads(file, i.marker))) excluded.push(file)
  missingLine =
    `shared test inputs missing: ${missing.map((i) => `${i.name} (${relative(root, i.path)}; set ${i.env})`).join(', ')}; ` +
    `${excluded.length} test files that read them were not run (README: "Interop vectors")`
  console.log(missingLine)
}

// No colour codes when the output is not a terminal (CI logs, files, pipes).
const env = { ...process.env }
if (!process.stdout.isTTY && env.FORCE_COLOR === undefined) env.NO_COLOR = '1'

const out = '.vitest-results.json'
rmSync(out, { force: true })
const run = spawnSync(
  'pnpm',
  [
    'exec',
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${out}`,
    // Console output only from failing tests, and a failed comparison of large values shows the
    // first 200 lines of its diff: no multi-thousand-line JSON dumps in the log.
    '--silent=passed-only',
    '--diff.truncateThreshold=200',
    ...excluded.flatMap((f) => ['--exclude', relative(root, f)]),
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit', env, cwd: root },
)
let passed = 0
let failed = 0
let skipped = 0
if (existsSync(out)) {
  const r = JSON.parse(readFileSync(out, 'utf8'))
  passed = r.numPassedTests
  failed = r.numFailedTests
  skipped = r.numPendingTests + r.numTodoTests
  // A suite file that failed to load has no tests to count: it is still a failure.
  for (const suite of r.testResults)
    if (suite.status === 'failed' && suite.assertionResults.length === 0) failed++
} else {
  failed = 1
}
if (run.status !== 0 && failed === 0) failed = 1
if (missingLine) console.log(missingLine)
console.log(
  skipped ? `${passed} passed, ${failed} failed, ${skipped} skipped` : `${passed} passed, ${failed} failed`,
)
process.exit(failed > 0 ? 1 : 0)
