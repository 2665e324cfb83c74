// @rsky/cli: the `rsky` command, also callable in-process (tests, scripts).

export type { Command, CommandInput } from './command.ts'
export { InputJsonError } from './commands/input.ts'
export { LexiconFileError } from './commands/lex-load.ts'
export { BreakingChangesError, RecordInvalidError } from './commands/lex-tools.ts'
export { HandleClaimError, HandleUnresolvedError, ServiceAnswerError, ServiceError } from './commands/net.ts'
export { NotACarError } from './commands/sniff.ts'
export { InvalidSyntaxValueError } from './commands/syntax.ts'
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
