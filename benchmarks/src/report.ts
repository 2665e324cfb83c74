// Console tables, JSON results and docs/benchmarks.md.
import { execSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CaseResult, ImplResult } from './harness.ts'

const benchRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const repoRoot = resolve(benchRoot, '..')
export const resultsDir: string = join(benchRoot, 'results')

export interface SuiteReport {
  suite: string
  description?: string
  date: string
  machine: MachineInfo
  versions: Record<string, string>
  cases: CaseResult[]
  /** Bundle sizes (the size report of src/size.ts), rendered as their own table. */
  sizes?: { job: string; ours: number; atcute: number; ratio: number; error?: string }[]
}

export interface MachineInfo {
  cpu: string
  cores: number
  memoryGiB: number
  node: string
  platform: string
}

export function machineInfo(): MachineInfo {
  const cpu = cpus()
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  }
}

/** Versions of the packages a suite ran: ours from the workspace, peers from node_modules. */
export function packageVersions(names: Iterable<string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const raw of names) {
    const name = raw.split(' ')[0]!
    if (!name.startsWith('@') && !/^[a-z][\w.-]*$/.test(name)) continue
    for (const base of [join(repoRoot, 'node_modules'), join(benchRoot, 'node_modules')]) {
      const pkg = join(base, name, 'package.json')
      if (existsSync(pkg)) {
        out[name] = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version
        break
      }
    }
  }
  return out
}

export function formatThroughput(r: ImplResult, unit: string): string {
  if (r.error) return 'failed'
  if (unit === 'byte') return `${(r.throughput / 1e6).toFixed(1)} MB/s`
  const v = r.throughput
  const s =
    v >= 1e6
      ? `${(v / 1e6).toFixed(2)}M`
      : v >= 1e4
        ? `${(v / 1e3).toFixed(1)}k`
        : v >= 100
          ? v.toFixed(0)
          : v.toFixed(2)
  return `${s} ${unit}s/s`
}

function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`
  if (ms >= 1) return `${ms.toFixed(2)} ms`
  return `${(ms * 1000).toFixed(2)} µs`
}

function formatRss(bytes?: number): string {
  return bytes === undefined ? '' : `${Math.round(bytes / 2 ** 20)} MB`
}

/** Our throughput divided by this row's: above 1 we are faster. */
function ratio(ours: ImplResult, other: ImplResult): string {
  if (ours.error || other.error || !other.throughput) return ''
  return `${(ours.throughput / other.throughput).toFixed(2)}x`
}

export function caseTable(c: CaseResult): string[][] {
  const ours = c.results[0]!
  const withMem = c.results.some((r) => r.peakRssBytes !== undefined)
  const head = [
    'implementation',
    'throughput',
    'time per call',
    ...(withMem ? ['peak RSS added'] : []),
    'ours / this',
  ]
  const rows = c.results.map((r, i) => [
    r.impl + (r.external ? ' (external process)' : ''),
    formatThroughput(r, c.unit),
    r.error ? r.error.slice(0, 60) : formatMs(r.msPerCall),
    ...(withMem ? [formatRss(r.peakRssBytes)] : []),
    i === 0 ? '—' : ratio(ours, r),
  ])
  return [head, ...rows]
}

export function printCase(c: CaseResult): void {
  const table = caseTable(c)
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)))
  console.log(`\n${c.suite} / ${c.case}`)
  for (const [i, row] of table.entries()) {
    console.log(
      `  ${row.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]!) : cell.padStart(widths[j]!))).join('  ')}`,
    )
    if (i === 0) console.log(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`)
  }
  if (c.note) console.log(`  note: ${c.note}`)
}

/** Writes results/<suite>.json, or `<dir>/<suite>.json` (a scratch folder for `--no-doc` runs). */
export function writeSuiteReport(report: SuiteReport, dir: string = resultsDir): string {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `${report.suite}.json`)
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`)
  return path
}

function markdownTable(rows: string[][]): string {
  const [head, ...body] = rows
  const line = (r: string[]) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`
  return [
    line(head!),
    `|${head!.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...body.map(line),
  ].join('\n')
}

function gitRevision(): string {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim()
  } catch {
    return 'unknown'
  }
}

/** Rewrites docs/benchmarks.md from every results/*.json. */
const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`

/** The bundle-size table: minified + gzipped bytes per job, ours against @atcute. */
export function sizeMarkdown(sizes: NonNullable<SuiteReport['sizes']>): string {
  return [
    '| job | @rsky | @atcute | rsky / atcute |',
    '| --- | ---: | ---: | ---: |',
    ...sizes.map((r) =>
      r.error
        ? `| ${r.job} | error: ${r.error} | | |`
        : `| ${r.job} | ${kb(r.ours)} | ${kb(r.atcute)} | ${r.ratio.toFixed(2)}x |`,
    ),
  ].join('\n')
}

/** Hand-written notes per suite: `benchmarks/notes/<suite>.md`, kept across regenerations. */
export const notesDir: string = join(benchRoot, 'notes')

function suiteNotes(): Map<string, string> {
  const out = new Map<string, string>()
  if (!existsSync(notesDir)) return out
  for (const f of readdirSync(notesDir)
    .filter((f) => f.endsWith('.md'))
    .sort())
    out.set(f.slice(0, -3), readFileSync(join(notesDir, f), 'utf8'))
  return out
}

/** A suite's generated part: description, run line, versions, then each case's table. */
function suiteMarkdown(r: SuiteReport): string[] {
  const out: string[] = []
  if (r.description) out.push(r.description, '')
  const versions = Object.entries(r.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')
  out.push(
    `Run ${r.date} on ${r.machine.cpu} (${r.machine.cores} cores, ${r.machine.memoryGiB} GiB), Node ${r.machine.node}, ${r.machine.platform}.`,
    versions ? `Versions: ${versions}.` : '',
    '',
  )
  if (r.sizes) out.push(sizeMarkdown(r.sizes), '')
  for (const c of r.cases) {
    out.push(`### ${c.case}`, '', markdownTable(caseTable(c)), '')
    if (c.note) out.push(`_${c.note}_`, '')
  }
  return out
}

export function writeBenchmarksDoc(): string {
  const reports = new Map<string, SuiteReport>()
  if (existsSync(resultsDir))
    for (const f of readdirSync(resultsDir).filter((f) => f.endsWith('.json'))) {
      const r = JSON.parse(readFileSync(join(resultsDir, f), 'utf8')) as SuiteReport
      reports.set(r.suite, r)
    }
  const notes = suiteNotes()
  const out: string[] = [
    '# Benchmarks',
    '',
    'Generated by `pnpm bench` from `benchmarks/results/*.json` and the hand-written notes in',
    "`benchmarks/notes/<suite>.md` (added after that suite's tables); edit those, not this file.",
    'Each row runs on the same seeded input in one process (rows marked "external process" ran as a',
    'separate command on the same workload file). Throughput is the median of several rounds;',
    '"ours / this" is our throughput divided by that row\'s, so 2.00x means we are twice as fast.',
    'Peak RSS, where shown, is what one call adds to the resident set of a fresh process that holds only',
    'that implementation and its input (the high-water mark during the call, minus the RSS just before it).',
    '',
  ]
  for (const suite of [...new Set([...reports.keys(), ...notes.keys()])].sort()) {
    out.push(`## ${suite}`, '')
    const r = reports.get(suite)
    if (r !== undefined) out.push(...suiteMarkdown(r))
    const note = notes.get(suite)
    if (note !== undefined) out.push(note.trim(), '')
  }
  out.push(`_Last regenerated at commit ${gitRevision()}._`, '')
  const path = join(repoRoot, 'docs', 'benchmarks.md')
  writeFileSync(path, out.join('\n'))
  return path
}
