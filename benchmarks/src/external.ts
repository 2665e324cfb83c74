// External implementations: any command that reads a workload file and reports its timings as
// JSON on stdout. This is how a non-TypeScript implementation (rsky's Rust crates, on a machine
// that can build them) gets its row beside ours.
//
// Protocol. The harness runs:
//   <command...> --suite <suite> --case <case name> --workload <file> --rounds <n> --round-ms <ms>
// and reads the last stdout line, one JSON object:
//   {"msPerCall": number, "peakRssBytes"?: number}   timings for one call on that workload
//   {"skip": "reason"}                                 the command does not implement this case
// A non-zero exit is reported as a failed row.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BenchCase, type ImplResult, type MeasureOptions, throughputOf } from './harness.ts'

export interface ExternalImpl {
  label: string
  command: string[]
  /** Suites it takes part in; all when absent. */
  suites?: string[]
}

const benchRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Entries of benchmarks/external.json, with commands run from the benchmarks folder. */
export function configuredExternals(): ExternalImpl[] {
  const path = join(benchRoot, 'external.json')
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as ExternalImpl[]) : []
}

/** Parses `--external "label=command args"` from the command line. */
export function parseExternalFlag(value: string): ExternalImpl {
  const eq = value.indexOf('=')
  if (eq <= 0) throw new RangeError(`--external wants label=command; value=${value}`)
  return {
    label: value.slice(0, eq),
    command: value
      .slice(eq + 1)
      .split(' ')
      .filter(Boolean),
  }
}

export function runExternal(
  ext: ExternalImpl,
  suite: string,
  c: BenchCase,
  opts: MeasureOptions,
): ImplResult | undefined {
  if (!c.workload) return undefined
  if (ext.suites && !ext.suites.includes(suite)) return undefined
  const [cmd, ...args] = ext.command
  const proc = spawnSync(
    cmd!,
    [
      ...args,
      '--suite',
      suite,
      '--case',
      c.name,
      '--workload',
      c.workload,
      '--rounds',
      String(opts.rounds),
      '--round-ms',
      String(opts.roundMs),
    ],
    { cwd: benchRoot, encoding: 'utf8', timeout: 10 * 60_000 },
  )
  const base = { impl: ext.label, rounds: opts.rounds, callsPerRound: 0, external: true }
  if (proc.status !== 0) {
    const why = (proc.stderr || proc.error?.message || `exit ${proc.status}`).trim().split('\n').pop()
    return { ...base, throughput: 0, msPerCall: 0, error: why ?? 'failed' }
  }
  const last = proc.stdout.trim().split('\n').pop() ?? ''
  const parsed = JSON.parse(last) as { msPerCall?: number; peakRssBytes?: number; skip?: string }
  if (parsed.skip !== undefined || typeof parsed.msPerCall !== 'number') return undefined
  return {
    ...base,
    msPerCall: parsed.msPerCall,
    throughput: throughputOf(parsed.msPerCall, c.perCall ?? 1),
    ...(parsed.peakRssBytes !== undefined ? { peakRssBytes: parsed.peakRssBytes } : {}),
  }
}
