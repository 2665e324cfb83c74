import { parseArgs } from 'node:util'
import type { Command } from './command.ts'
import { blobCommands } from './commands/blob.ts'
import { carCommands } from './commands/car.ts'
import { firehoseCommands } from './commands/firehose.ts'
import { keyCommands } from './commands/key.ts'
import { labelCommands } from './commands/label.ts'
import { lexCommands } from './commands/lex.ts'
import { lexToolCommands } from './commands/lex-tools.ts'
import { plcCommands } from './commands/plc.ts'
import { remoteCommands } from './commands/remote.ts'
import { repoCommands } from './commands/repo.ts'
import { repoMstCommands } from './commands/repo-mst.ts'
import { resolveCommands } from './commands/resolve.ts'
import { syncCommands } from './commands/sync.ts'
import { syntaxCommands } from './commands/syntax.ts'
import { xrpcCommands } from './commands/xrpc.ts'
import {
  describeError,
  describeFailure,
  EXIT_OK,
  EXIT_USAGE,
  exitCodeOf,
  ReportedFailure,
  UsageError,
} from './errors.ts'
import { commandHelp, overviewHelp, usageOf } from './help.ts'
import { createOutput, type OutputStreams } from './output.ts'

/** Every subcommand, in the order `rsky --help` lists them. */
export const commands: Command[] = [
  ...repoCommands,
  ...repoMstCommands,
  ...carCommands,
  ...lexCommands,
  ...lexToolCommands,
  ...syntaxCommands,
  ...keyCommands,
  ...blobCommands,
  ...resolveCommands,
  ...remoteCommands,
  ...firehoseCommands,
  ...labelCommands,
  ...plcCommands,
  ...syncCommands,
  ...xrpcCommands,
]

/** `rsky --help`: every command, the common options and the exit codes. */
export function helpText(): string {
  return overviewHelp(commands)
}

function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  let best: { command: Command; rest: string[] } | undefined
  for (const command of commands) {
    const n = command.path.length
    if (argv.length >= n && command.path.every((w, i) => argv[i] === w)) {
      if (!best || n > best.command.path.length) best = { command, rest: argv.slice(n) }
    }
  }
  return best
}

const isHelpFlag = (a: string): boolean => a === '--help' || a === '-h'

/** Writes a failure: one line on stderr (and the usage line for a usage error), JSON with --json. */
function fail(
  err: unknown,
  command: Command | undefined,
  json: boolean,
  streams: OutputStreams,
  prefix: string = command ? `rsky ${command.path.join(' ')}` : 'rsky',
): number {
  const code = exitCodeOf(err)
  const message = describeError(err)
  const usage = command ? `${usageOf(command)} [--json]` : undefined
  if (json) {
    const report = err instanceof ReportedFailure ? err.report : (command?.failureFields?.() ?? {})
    const doc = { valid: false, ...report, error: message, failure: describeFailure(err) }
    const out = createOutput(true, streams)
    if (command?.lines) out.item(doc)
    else out.result(doc)
  }
  streams.stderr.write(`${prefix}: ${message}\n`)
  const shown = err instanceof ReportedFailure ? err.error : err
  if (shown instanceof UsageError && shown.code === 'USAGE' && usage)
    streams.stderr.write(`usage: ${usage}\n`)
  if (process.env['RSKY_DEBUG'] && shown instanceof Error) streams.stderr.write(`${shown.stack}\n`)
  return code
}

/**
 * Runs the `rsky` command with `argv` (without node and script) and resolves to its exit code:
 * 0 all well, 1 invalid input, 2 a usage error or a path argument that cannot be used.
 * Errors never escape: they become one line on stderr (and a JSON document with --json).
 */
export async function main(argv: string[], streams: OutputStreams = process): Promise<number> {
  const json = argv.includes('--json')
  const words = argv.filter((a) => !a.startsWith('-'))
  if (argv.length === 0) {
    // No command at all: a usage error, so the help goes to stderr.
    streams.stderr.write(`${helpText()}\n`)
    return EXIT_USAGE
  }
  if (isHelpFlag(argv[0]!) || argv[0] === 'help' || (words.length === 0 && argv.some(isHelpFlag))) {
    // `rsky --help`, `rsky help`, `rsky help repo`, `rsky help repo verify`.
    const topic = argv[0] === 'help' ? words.slice(1) : []
    if (topic.length === 0) {
      streams.stdout.write(`${helpText()}\n`)
      return EXIT_OK
    }
    return main([...topic, '--help'], streams)
  }
  if (words.length === 0 && json && !argv.includes('--version')) {
    // `rsky --json`: an option with no command to apply it to.
    const code = fail(
      new UsageError('--json needs a command; e.g. rsky resolve HANDLE --json'),
      undefined,
      json,
      streams,
    )
    streams.stderr.write(`${helpText()}\n`)
    return code
  }
  if (argv[0] === '--version' || (words.length === 0 && argv.includes('--version'))) {
    streams.stdout.write(`${VERSION}\n`)
    return EXIT_OK
  }
  const found = findCommand(argv)
  if (!found) {
    const group = commands.filter((c) => c.path[0] === argv[0])
    if (group.length > 0 && argv.slice(1).some(isHelpFlag) && words.length === 1) {
      streams.stdout.write(`${overviewHelp(commands, argv[0])}\n`)
      return EXIT_OK
    }
    let message: string
    if (group.length > 0) {
      const sub = words[1] === undefined ? 'missing subcommand' : `unknown subcommand ${words[1]}`
      message = `${sub}; one of: ${group.map((c) => c.path.slice(1).join(' ')).join(', ')}`
    } else {
      message = `unknown command: ${words.join(' ')}`
    }
    const prefix = group.length > 0 ? `rsky ${argv[0]}` : 'rsky'
    const code = fail(new UsageError(message), undefined, json, streams, prefix)
    streams.stderr.write(`${overviewHelp(commands, group.length > 0 ? argv[0] : undefined)}\n`)
    return code
  }
  const { command, rest } = found
  if (rest.some(isHelpFlag)) {
    streams.stdout.write(`${commandHelp(command)}\n`)
    return EXIT_OK
  }
  try {
    let parsed: ReturnType<typeof parseArgs>
    try {
      parsed = parseArgs({
        args: rest,
        allowPositionals: true,
        strict: true,
        options: { ...command.options, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      })
    } catch (err) {
      throw new UsageError(describeArgsError(err))
    }
    const [min, max] = command.arity
    if (parsed.positionals.length < min || parsed.positionals.length > max) {
      throw new UsageError(`expected ${min === max ? min : `${min} to ${max}`} argument(s)`)
    }
    const out = createOutput(json, streams)
    return await command.run({ positionals: parsed.positionals, values: parsed.values, out, streams })
  } catch (err) {
    return fail(err, command, json, streams)
  }
}

/**
 * The message of a `parseArgs` failure in our words: the flag that was wrong, without Node's
 * advice about `--` and positionals (which does not apply to rsky's commands).
 */
function describeArgsError(err: unknown): string {
  const code = (err as { code?: unknown }).code
  const message = err instanceof Error ? err.message : String(err)
  const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1]
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) {
    // `-bad-` as a value: say how to pass one that starts with a dash.
    return flag.startsWith('--')
      ? `unknown option ${flag}`
      : `unknown option ${flag} (put a value that starts with - after --)`
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) {
    return /argument missing/.test(message) ? `option ${flag} needs a value` : `option ${flag} takes no value`
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return 'unexpected argument'
  return message.split('. ')[0] ?? message
}

declare const __RSKY_VERSION__: string | undefined
const VERSION: string = typeof __RSKY_VERSION__ === 'string' ? __RSKY_VERSION__ : '0.0.0-dev'
