// @rsky/cli: the `rsky` command, also callable in-process (tests, scripts).

export type { Command, CommandInput } from './command.ts'
export { EXIT_INVALID, EXIT_OK, EXIT_USAGE, UsageError } from './errors.ts'
export { commands, helpText, main } from './main.ts'
