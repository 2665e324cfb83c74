// @rsky/cli: the `rsky` command, also callable in-process (tests, scripts).

export type { Command, CommandInput } from './command.ts'
export {
  describeFailure,
  EXIT_INVALID,
  EXIT_OK,
  EXIT_USAGE,
  exitCodeOf,
  type FailureInfo,
  InputFileError,
  RecordNotFoundError,
  ReportedFailure,
  UsageError,
} from './errors.ts'
export { commandHelp, overviewHelp } from './help.ts'
export { commands, helpText, main } from './main.ts'
