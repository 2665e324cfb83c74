// Benchmark types and the measuring loop shared by every suite.
//
// A suite builds its inputs once (deterministically), then each case runs our implementation
// and the peers on the same input, in the same process, several rounds each. Throughput is the
// median over rounds; ratios are ours / peer throughput, so 2.0 means we are twice as fast.

/** One implementation's body: returns the function that performs one call. */
export type ImplFactory = () => (() => unknown) | Promise<() => unknown>

export interface BenchCase {
  /** Row name, e.g. "decode post record (~500 B)". */
  name: string
  /** What one unit is: 'op', 'record', 'key', 'byte' (shown as MB/s). Default 'op'. */
  unit?: 'op' | 'record' | 'key' | 'byte' | 'commit' | 'frame' | 'lookup' | 'document'
  /** Units done by one call (records in a CAR, bytes in a file). Default 1. */
  perCall?: number
  /** Run each implementation in its own child process and report its peak RSS. */
  memory?: boolean
  /** Implementations; the first key is ours. */
  impls: Record<string, ImplFactory>
  /**
   * Optional workload file (absolute path) holding this case's input, so an external
   * implementation can run the same bytes (see external.ts).
   */
  workload?: string
  /** Free-form note shown under the table (what was measured, what a peer omits). */
  note?: string
}

export interface BenchSuite {
  name: string
  /** One line on what the suite measures. */
  description?: string
  cases(): BenchCase[] | Promise<BenchCase[]>
}

export interface ImplResult {
  impl: string
  /** Units per second (median of rounds). */
  throughput: number
  /** Median milliseconds per call. */
  msPerCall: number
  rounds: number
  callsPerRound: number
  /** Peak resident set size of the process that ran it, when measured. */
  peakRssBytes?: number
  /** Set when the implementation failed (its error message); such rows have no throughput. */
  error?: string
  external?: boolean
}

export interface CaseResult {
  suite: string
  case: string
  unit: string
  perCall: number
  note?: string
  results: ImplResult[]
}

export interface MeasureOptions {
  /** Rounds per implementation. */
  rounds: number
  /** Target wall time of one round, in ms. */
  roundMs: number
  /** Warm-up time before the rounds, in ms. */
  warmupMs: number
}

export const defaultMeasureOptions: MeasureOptions = { rounds: 5, roundMs: 400, warmupMs: 300 }

const now = (): number => performance.now()

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/**
 * Times `fn`: warms up, sizes a round so it lasts about `roundMs`, then runs `rounds` rounds
 * and returns the median time per call. Async functions are awaited one call at a time.
 */
export async function measure(
  fn: () => unknown,
  opts: MeasureOptions = defaultMeasureOptions,
): Promise<{ msPerCall: number; callsPerRound: number; rounds: number }> {
  const call = async (n: number): Promise<number> => {
    const start = now()
    for (let i = 0; i < n; i++) {
      const r = fn()
      if (r instanceof Promise) await r
    }
    return now() - start
  }
  // Warm-up, also used to estimate the cost of one call.
  let calls = 0
  let spent = 0
  const warmStart = now()
  do {
    spent += await call(1)
    calls++
  } while (now() - warmStart < opts.warmupMs && calls < 1_000_000)
  const estimate = spent / calls
  const callsPerRound = Math.max(1, Math.round(opts.roundMs / Math.max(estimate, 1e-6)))
  const times: number[] = []
  for (let r = 0; r < opts.rounds; r++) times.push((await call(callsPerRound)) / callsPerRound)
  return { msPerCall: median(times), callsPerRound, rounds: opts.rounds }
}

/** Units per second from milliseconds per call. */
export function throughputOf(msPerCall: number, perCall: number): number {
  return msPerCall > 0 ? (perCall * 1000) / msPerCall : Number.POSITIVE_INFINITY
}

export { type Rng, rng } from '@rsky/test-vectors'
