import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InteropVectorsMissingError, interopRoot } from './interop.ts'
import { DEFAULT_POSTGRES_URL, postgresAnswers, startEmbeddedPostgres } from './postgres.ts'

// Workers inherit this environment, so every recordInteropCount() call lands in one file,
// which the teardown prints as the run's interop table.
export default async function setup(): Promise<() => Promise<void>> {
  if (process.env['CI'] === 'true') {
    for (const suite of ['atproto-interop-tests', 'mst-test-suite'] as const) {
      const root = interopRoot(suite)
      if (!existsSync(root)) throw new InteropVectorsMissingError(root)
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'rsky-interop-'))
  const file = join(dir, 'counts.jsonl')
  process.env['RSKY_INTEROP_COUNTS_FILE'] = file
  // Postgres suites: the machine's server, or one real server started here for the whole run.
  let stopPostgres = async (): Promise<void> => {}
  const configured = process.env['RSKY_POSTGRES_URL'] ?? DEFAULT_POSTGRES_URL
  if (!(await postgresAnswers(configured))) {
    const server = await startEmbeddedPostgres()
    process.env['RSKY_POSTGRES_URL'] = server.url
    stopPostgres = server.stop
    console.log(`no Postgres at ${configured}: started an embedded server at ${server.url}`)
  }
  return async () => {
    await stopPostgres()
    const totals = new Map<string, number>()
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line) continue
        const { label, count } = JSON.parse(line) as { label: string; count: number }
        totals.set(label, (totals.get(label) ?? 0) + count)
      }
    }
    rmSync(dir, { recursive: true, force: true })
    if (totals.size === 0) return
    const width = Math.max(...[...totals.keys()].map((k) => k.length))
    console.log('\ninterop cases run:')
    let sum = 0
    for (const [label, count] of [...totals].sort(([a], [b]) => a.localeCompare(b))) {
      console.log(`  ${label.padEnd(width)}  ${count}`)
      sum += count
    }
    console.log(`  ${'total'.padEnd(width)}  ${sum}`)
  }
}
