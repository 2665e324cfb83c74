import { statSync } from 'node:fs'
import { lexGen } from '@rsky/lexicon/codegen'
import type { Command } from '../command.ts'
import { EXIT_OK, UsageError } from '../errors.ts'
import { keyValueLines } from '../output.ts'

/** @throws UsageError when `path` is not a readable folder */
function requireDir(path: string): void {
  let dir: boolean
  try {
    dir = statSync(path).isDirectory()
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  if (!dir) throw new UsageError(`not a folder: ${path}`)
}

const gen: Command = {
  path: ['lex', 'gen'],
  usage: 'DIR OUT [--include DIR]... [--runtime MODULE] [--ext .js|.ts] [--json]',
  summary:
    'TypeScript types and typed validators for the lexicon JSON files under DIR, written to OUT; references resolve across DIR and every --include DIR (generated when used), and any that do not fail the command',
  options: {
    runtime: { type: 'string' },
    ext: { type: 'string' },
    include: { type: 'string', multiple: true },
  },
  arity: [2, 2],
  async run({ positionals, values, out }) {
    const [inputDir, outputDir] = positionals as [string, string]
    requireDir(inputDir)
    const include = values['include']
    const includeDirs = Array.isArray(include)
      ? include.filter((d): d is string => typeof d === 'string')
      : []
    for (const dir of includeDirs) requireDir(dir)
    const ext = values['ext']
    if (ext !== undefined && ext !== '.js' && ext !== '.ts') {
      throw new UsageError(`--ext must be .js or .ts; ext=${String(ext)}`)
    }
    const runtime = values['runtime']
    const start = performance.now()
    const files = await lexGen({
      inputDir,
      includeDirs,
      outputDir,
      ...(ext !== undefined ? { importExtension: ext } : {}),
      ...(typeof runtime === 'string' ? { runtimeModule: runtime } : {}),
    })
    const ms = performance.now() - start
    // One file per lexicon document, plus lexicons.ts (the registry) and index.ts.
    const lexicons = files.filter((f) => f !== 'lexicons.ts' && f !== 'index.ts').length
    out.result({ valid: true, lexicons, files, out: outputDir, include: includeDirs, ms: Math.round(ms) })
    const from = includeDirs.length === 0 ? inputDir : `${inputDir} (+ ${includeDirs.join(', ')})`
    for (const line of keyValueLines([
      ['lexicons', `${lexicons} from ${from}`],
      ['written', `${files.length} files to ${outputDir}`],
      ['entry', `${outputDir}/index.ts`],
      ['time', `${ms.toFixed(0)} ms`],
    ]))
      out.line(line)
    return EXIT_OK
  },
}

export const lexCommands: Command[] = [gen]
