import type { Output, OutputStreams } from './output.ts'

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>

export interface CommandInput {
  positionals: string[]
  values: Record<string, string | boolean | (string | boolean)[] | undefined>
  out: Output
  streams: OutputStreams
}

/** One `rsky` subcommand. `run` resolves to the exit code. */
export interface Command {
  /** Words after `rsky`, e.g. ['repo', 'verify']. */
  path: string[]
  /** Arguments after the path, e.g. 'FILE.car [--did DID] [--key DIDKEY]'. */
  usage: string
  summary: string
  options?: OptionSpec
  /**
   * The fields of this command's `--json` result that a failure document carries too, all null
   * (a command that fails after learning some throws ReportedFailure with them filled in).
   */
  failureFields?: () => Record<string, unknown>
  /** Positional argument count: [min, max]. */
  arity: [number, number]
  run(input: CommandInput): Promise<number>
}
