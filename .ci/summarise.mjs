// Runs vitest once over the workspace and ends with the plain total line CI reads.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'

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
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
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
console.log(
  skipped ? `${passed} passed, ${failed} failed, ${skipped} skipped` : `${passed} passed, ${failed} failed`,
)
process.exit(failed > 0 ? 1 : 0)
