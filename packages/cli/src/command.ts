import type { CommandHelp } from './help.ts'
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
  /** The `--help` text beyond usage and summary (or an entry in help.ts COMMAND_HELP). */
  help?: CommandHelp
  /**
   * The fields of this command's `--json` result that a failure document carries too, all null
   * (a command that fails after learning some throws ReportedFailure with them filled in).
   */
  failureFields?: () => Record<string, unknown>
  /**
   * The command prints JSON lines with --json (a listing or a stream): its failure document is one
   * line too, after whatever it printed, so a reader of the stream sees where it ended.
   */
  lines?: boolean
  /** Positional argument count: [min, max]. */
  arity: [number, number]
  run(input: CommandInput): Promise<number>
}
