// pnpm bench [suite...] [--rounds N] [--round-ms MS] [--external "label=command"] [--no-doc]
// Runs every suite in src/suites (or the named ones), prints tables, writes results/<suite>.json
// and regenerates docs/benchmarks.md. With --no-doc no tracked file changes: the JSON results go
// to a scratch folder under the system temp directory (printed), and the doc is left alone.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { configuredExternals, type ExternalImpl, parseExternalFlag, runExternal } from './external.ts'
import {
  type BenchCase,
  type BenchSuite,
  type CaseResult,
  defaultMeasureOptions,
  type ImplResult,
  type MeasureOptions,
  measure,
  throughputOf,
} from './harness.ts'
import {
  machineInfo,
  packageVersions,
  printCase,
  resultsDir as resultsDirDefault,
  writeBenchmarksDoc,
  writeSuiteReport,
} from './report.ts'

const here = dirname(fileURLToPath(import.meta.url))
const suitesDir = join(here, 'suites')

export function suiteNames(): string[] {
  return readdirSync(suitesDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .sort()
}

async function loadSuite(name: string): Promise<BenchSuite> {
  const mod = (await import(pathToFileURL(join(suitesDir, `${name}.ts`)).href)) as { default: BenchSuite }
  return mod.default
}

async function runInProcess(impl: string, c: BenchCase, opts: MeasureOptions): Promise<ImplResult> {
  try {
    const fn = await c.impls[impl]!()
    const m = await measure(fn, opts)
    return { impl, ...m, throughput: throughputOf(m.msPerCall, c.perCall ?? 1) }
  } catch (err) {
    return { impl, throughput: 0, msPerCall: 0, rounds: 0, callsPerRound: 0, error: String(err) }
  }
}

// Memory cases: a fresh process per implementation, so peak RSS belongs to that implementation.
function runInChild(suite: string, index: number, impl: string, opts: MeasureOptions): ImplResult {
  const proc = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      '--expose-gc',
      fileURLToPath(import.meta.url),
      '--child',
      suite,
      String(index),
      impl,
      '--rounds',
      String(opts.rounds),
      '--round-ms',
      String(opts.roundMs),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 2 ** 20 },
  )
  const last = proc.stdout.trim().split('\n').pop() ?? ''
  try {
    return JSON.parse(last) as ImplResult
  } catch {
    return {
      impl,
      throughput: 0,
      msPerCall: 0,
      rounds: 0,
      callsPerRound: 0,
      error: `child exited ${proc.status}`,
    }
  }
}

async function child(suiteName: string, index: number, impl: string, opts: MeasureOptions): Promise<void> {
  const suite = await loadSuite(suiteName)
  const c = (await suite.cases())[index]!
  // Peak RSS is taken over one call in this fresh process, before the timing rounds, so it is
  // what the work needs and not the garbage that repeated rounds leave for the collector.
  let peakRssBytes: number | undefined
  try {
    const fn = await c.impls[impl]!()
    ;(globalThis as { gc?: () => void }).gc?.()
    const before = process.memoryUsage.rss()
    const r = fn()
    if (r instanceof Promise) await r
    // maxRSS is a high-water mark; what one call adds is its peak above the process as it was.
    peakRssBytes = Math.max(0, process.resourceUsage().maxRSS * 1024 - before)
  } catch {
    // reported by the timed run below
  }
  const result = await runInProcess(impl, c, opts)
  if (peakRssBytes !== undefined) result.peakRssBytes = peakRssBytes
  console.log(JSON.stringify(result))
}

async function runSuite(
  name: string,
  opts: MeasureOptions,
  externals: ExternalImpl[],
  resultsDir?: string,
): Promise<CaseResult[]> {
  const suite = await loadSuite(name)
  const cases = await suite.cases()
  const out: CaseResult[] = []
  for (const [index, c] of cases.entries()) {
    const results: ImplResult[] = []
    for (const impl of Object.keys(c.impls)) {
      results.push(c.memory ? runInChild(name, index, impl, opts) : await runInProcess(impl, c, opts))
    }
    for (const ext of externals) {
      const r = runExternal(ext, name, c, opts)
      if (r) results.push(r)
    }
    const result: CaseResult = {
      suite: name,
      case: c.name,
      unit: c.unit ?? 'op',
      perCall: c.perCall ?? 1,
      results,
      ...(c.note ? { note: c.note } : {}),
    }
    printCase(result)
    out.push(result)
  }
  const impls = new Set(cases.flatMap((c) => Object.keys(c.impls)))
  const path = writeSuiteReport(
    {
      suite: name,
      ...(suite.description ? { description: suite.description } : {}),
      date: new Date().toISOString().slice(0, 10),
      machine: machineInfo(),
      versions: packageVersions(impls),
      cases: out,
    },
    resultsDir,
  )
  console.log(`\nwrote ${path}`)
  return out
}

// Each suite of a full run gets a fresh process: code shared between suites (the CBOR decoder is
// used by car, mst, repo and sync) would otherwise arrive at a later suite already tuned by V8 for
// the earlier suites' inputs, and the numbers would depend on the order the suites ran in.
function runSuiteInChild(
  name: string,
  opts: MeasureOptions,
  externalFlags: string[],
  resultsDir: string | undefined,
): void {
  // The parent writes the doc once every suite is done; the child writes only its JSON.
  const args = [...process.execArgv, fileURLToPath(import.meta.url), name, '--no-doc']
  args.push('--results-dir', resultsDir ?? resultsDirDefault)
  args.push('--rounds', String(opts.rounds), '--round-ms', String(opts.roundMs))
  for (const e of externalFlags) args.push('--external', e)
  const proc = spawnSync(process.execPath, args, { stdio: 'inherit' })
  if (proc.status !== 0) throw new Error(`suite ${name} exited ${proc.status ?? proc.signal}`)
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rounds: { type: 'string' },
      'round-ms': { type: 'string' },
      external: { type: 'string', multiple: true },
      'no-doc': { type: 'boolean' },
      'results-dir': { type: 'string' },
      'workloads-only': { type: 'boolean' },
      child: { type: 'boolean' },
    },
  })
  const opts: MeasureOptions = {
    ...defaultMeasureOptions,
    ...(values.rounds ? { rounds: Number(values.rounds) } : {}),
    ...(values['round-ms'] ? { roundMs: Number(values['round-ms']) } : {}),
  }
  if (values.child) {
    const [suite, index, impl] = positionals
    await child(suite!, Number(index), impl!, opts)
    return
  }
  const names = positionals.length ? positionals : suiteNames()
  const unknown = names.filter((n) => !suiteNames().includes(n))
  if (unknown.length)
    throw new RangeError(`unknown suite: ${unknown.join(', ')}; known: ${suiteNames().join(', ')}`)
  if (values['workloads-only']) {
    for (const n of names) await (await loadSuite(n)).cases()
    console.log(`workloads ready for: ${names.join(', ')}`)
    return
  }
  const externals = [...configuredExternals(), ...(values.external ?? []).map(parseExternalFlag)]
  console.log(`node ${process.version}; ${opts.rounds} rounds of ~${opts.roundMs} ms per implementation`)
  // --no-doc: nothing tracked is rewritten, results go to a scratch folder.
  const resultsDir =
    values['results-dir'] ?? (values['no-doc'] ? mkdtempSync(join(tmpdir(), 'rsky-bench-')) : undefined)
  if (names.length === 1) await runSuite(names[0]!, opts, externals, resultsDir)
  else for (const n of names) runSuiteInChild(n, opts, values.external ?? [], resultsDir)
  if (!values['no-doc']) console.log(`updated ${writeBenchmarksDoc()}`)
}

await main()
// Everything is written: end here even if a suite's case left a handle open (the label and xrpc
// suites' loopback servers and worker threads kept their processes, and so a full run, waiting).
process.exit(process.exitCode ?? 0)
