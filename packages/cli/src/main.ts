import { parseArgs } from 'node:util'
import type { Command } from './command.ts'
import { carCommands } from './commands/car.ts'
import { lexCommands } from './commands/lex.ts'
import { repoCommands } from './commands/repo.ts'
import { describeError, EXIT_INVALID, EXIT_OK, EXIT_USAGE, UsageError } from './errors.ts'
import { createOutput, type OutputStreams } from './output.ts'

/** Every subcommand, in the order `rsky --help` lists them. */
export const commands: Command[] = [...repoCommands, ...carCommands, ...lexCommands]

function usageLine(c: Command): string {
  return `rsky ${c.path.join(' ')} ${c.usage}`.trimEnd()
}

export function helpText(): string {
  const lines = ['usage: rsky <command> [arguments] [--json]', '', 'commands:']
  const width = Math.max(...commands.map((c) => usageLine(c).length))
  for (const c of commands) lines.push(`  ${usageLine(c).padEnd(width)}  ${c.summary}`)
  lines.push('', 'exit codes: 0 all well, 1 invalid input, 2 usage error')
  return lines.join('\n')
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

/**
 * Runs the `rsky` command with `argv` (without node and script) and resolves to its exit code.
 * Errors never escape: they become one line on stderr (or `{"error": ...}` with --json).
 */
export async function main(argv: string[], streams: OutputStreams = process): Promise<number> {
  const json = argv.includes('--json')
  const out = createOutput(json, streams)
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    streams.stdout.write(`${helpText()}\n`)
    return argv.length === 0 ? EXIT_USAGE : EXIT_OK
  }
  if (argv[0] === '--version') {
    streams.stdout.write(`${VERSION}\n`)
    return EXIT_OK
  }
  const found = findCommand(argv)
  if (!found) {
    const group = commands.filter((c) => c.path[0] === argv[0])
    if (group.length > 0) {
      const sub =
        argv[1] === undefined || argv[1].startsWith('-')
          ? 'missing subcommand'
          : `unknown subcommand ${argv[1]}`
      const names = group.map((c) => c.path.slice(1).join(' ')).join(', ')
      streams.stderr.write(`rsky ${argv[0]}: ${sub}; one of: ${names}\n`)
    } else {
      streams.stderr.write(`rsky: unknown command: ${argv.filter((a) => !a.startsWith('-')).join(' ')}\n`)
    }
    streams.stderr.write(`${helpText()}\n`)
    return EXIT_USAGE
  }
  const { command, rest } = found
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
      throw new UsageError(describeError(err))
    }
    if (parsed.values['help']) {
      streams.stdout.write(`usage: ${usageLine(command)}\n${command.summary}\n`)
      return EXIT_OK
    }
    const [min, max] = command.arity
    if (parsed.positionals.length < min || parsed.positionals.length > max) {
      throw new UsageError(`expected ${min === max ? min : `${min} to ${max}`} argument(s)`)
    }
    return await command.run({ positionals: parsed.positionals, values: parsed.values, out, streams })
  } catch (err) {
    const usage = err instanceof UsageError
    const message = describeError(err)
    if (json) out.result({ valid: false, error: message })
    streams.stderr.write(`rsky ${command.path.join(' ')}: ${message}\n`)
    if (usage) streams.stderr.write(`usage: ${usageLine(command)}\n`)
    if (process.env['RSKY_DEBUG'] && err instanceof Error) streams.stderr.write(`${err.stack}\n`)
    return usage ? EXIT_USAGE : EXIT_INVALID
  }
}

declare const __RSKY_VERSION__: string | undefined
const VERSION: string = typeof __RSKY_VERSION__ === 'string' ? __RSKY_VERSION__ : '0.0.0-dev'
