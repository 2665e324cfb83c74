import { jsonToLex } from '@rsky/dag-cbor'
import { Lexicons } from '@rsky/lexicon'
import { isValidNsid } from '@rsky/syntax'
import type { Command } from '../command.ts'
import { EXIT_INVALID, EXIT_OK, UsageError } from '../errors.ts'
import { inputName, readJsonInput } from './input.ts'
import { compareLexicons, type LexChange } from './lex-compare.ts'
import { lintLexicons } from './lex-lint.ts'
import { LexiconFileError, loadLexiconDocs, readLexiconFiles } from './lex-load.ts'

/** A long path or message (hostile nesting) shortened for the one-line error; the fields keep it whole. */
const short = (s: string): string => (s.length > 160 ? `${s.slice(0, 100)}…${s.slice(-40)}` : s)

/** A record that does not match its lexicon (exit 1), with every issue. */
export class RecordInvalidError extends Error {
  override name = 'RecordInvalidError'
  readonly code = 'INVALID_RECORD'
  readonly nsid: string
  readonly path: string
  readonly issues: ReadonlyArray<{ code: string; path: string; message: string }>
  constructor(nsid: string, issues: ReadonlyArray<{ code: string; path: string; message: string }>) {
    const head = issues[0]
    super(
      `record is not a valid ${nsid}: ${short(head?.message ?? 'invalid')}; path=${short(head?.path ?? '$')}`,
    )
    this.nsid = nsid
    this.path = head?.path ?? '$'
    this.issues = issues
  }
}

/** `lex breaking` found breaking changes (exit 1). */
export class BreakingChangesError extends Error {
  override name = 'BreakingChangesError'
  readonly code = 'BREAKING_CHANGES'
  readonly count: number
  constructor(count: number, first: LexChange) {
    super(`${count} breaking change(s); first: ${first.id} ${first.path}: ${first.message}`)
    this.count = count
  }
}

const parse: Command = {
  path: ['lex', 'parse'],
  lines: true,
  help: {
    options: [],
    notes: [
      'Reads every *.json under DIR (or one FILE) and prints each lexicon id with its definitions and their types (JSON lines with --json). Nothing is listed unless every file parses; the first bad file is the error, and the others are named on stderr.',
    ],
    invalid: 'a file is not JSON or not a valid lexicon document',
  },
  usage: 'DIR|FILE [--json]',
  summary:
    'parse lexicon JSON files: each id and its definitions, or what keeps a file from being valid lexicon',
  arity: [1, 1],
  async run({ positionals, out }) {
    const files = readLexiconFiles(positionals[0]!)
    const bad = files.filter((f) => f.doc === undefined)
    // Everything is checked before anything is printed: a listing on stdout is the whole set.
    if (bad.length > 0) {
      for (const f of bad.slice(1)) out.warn(`${f.file}: ${f.issues[0]!.message}; path=${f.issues[0]!.path}`)
      throw new LexiconFileError(bad[0]!.file, bad[0]!.issues[0]!)
    }
    for (const f of files) {
      const defs = Object.entries(f.doc!.defs).map(([name, d]) => ({ name, type: d.type }))
      out.item({ file: f.file, id: f.doc!.id, defs })
      out.line(`${f.doc!.id}  ${defs.map((d) => `${d.name}:${d.type}`).join(' ')}`)
    }
    out.line(`${files.length} lexicons parsed`)
    return EXIT_OK
  },
}

const lint: Command = {
  path: ['lex', 'lint'],
  lines: true,
  help: {
    options: [],
    notes: [
      'Errors: files that are not valid lexicon, duplicate ids, references to definitions that do not exist or have the wrong kind, required-reference cycles. Warnings: an id whose file path differs (com/example/thing.json for com.example.thing), strings with no length bound, format or enum, maxGraphemes without maxLength, arrays with no maxLength, open unions with no refs.',
      'One line per finding (JSON lines with --json: {level, rule, file, path, message}), errors first.',
    ],
    invalid: 'at least one error (warnings alone exit 0)',
  },
  usage: 'DIR|FILE [--json]',
  summary:
    'check lexicons: validity, references that lead nowhere, id/path mismatches, unbounded strings and arrays',
  arity: [1, 1],
  async run({ positionals, out }) {
    const files = readLexiconFiles(positionals[0]!)
    const findings = lintLexicons(files)
    for (const f of findings) {
      out.item(f)
      out.line(`${f.level.padEnd(7)}  ${f.rule}  ${f.file}  ${f.path}: ${f.message}`)
    }
    const errors = findings.filter((f) => f.level === 'error').length
    const summary = `${files.length} files: ${errors} errors, ${findings.length - errors} warnings`
    out.line(summary)
    return errors > 0 ? EXIT_INVALID : EXIT_OK
  },
}

const validate: Command = {
  path: ['lex', 'validate'],
  help: {
    options: [],
    notes: [
      'Loads every lexicon under DIR (references are resolved among them) and validates the record in RECORD.json, written in the JSON form ($link for CIDs, $bytes for bytes, blob references as the PDS returns them), against the record lexicon NSID. Every issue is printed, the first as the error.',
    ],
    invalid:
      'the record does not match the lexicon, a lexicon under DIR is invalid, or RECORD.json is not JSON',
  },
  usage: 'DIR NSID RECORD.json [--json]',
  summary:
    'validate a record (JSON form, $link/$bytes; - reads stdin) against the record lexicon NSID under DIR',
  arity: [3, 3],
  async run({ positionals, out }) {
    const [dir, nsid, file] = positionals as [string, string, string]
    if (!isValidNsid(nsid)) throw new UsageError(`not an NSID: ${nsid}`)
    const lex = new Lexicons(loadLexiconDocs(dir).values())
    const def = lex.get(nsid)?.defs['main']
    if (def?.type !== 'record') throw new UsageError(`no record lexicon ${nsid} under ${dir}`)
    const json = await readJsonInput(file)
    let value: unknown
    try {
      value = jsonToLex(json)
    } catch (err) {
      throw new RecordInvalidError(nsid, [
        { code: 'bad_json_form', path: '$', message: (err as Error).message },
      ])
    }
    const r = lex.validateRecord(nsid, value)
    if (!r.success) {
      for (const i of r.issues.slice(1)) out.warn(`also: ${i.message}; path=${i.path}`)
      throw new RecordInvalidError(nsid, r.issues)
    }
    out.result({ valid: true, nsid, file: inputName(file) })
    out.line(`valid ${nsid} record: ${inputName(file)}`)
    return EXIT_OK
  },
}

function compareDirs(positionals: string[]): LexChange[] {
  const [before, after] = positionals as [string, string]
  return compareLexicons(loadLexiconDocs(before), loadLexiconDocs(after))
}

const printChange = (c: LexChange): string =>
  `${c.breaking ? 'BREAKING' : 'ok      '}  ${c.change.padEnd(14)}  ${c.id}${c.path ? ` ${c.path}` : ''}: ${c.message}`

const breaking: Command = {
  path: ['lex', 'breaking'],
  lines: true,
  help: {
    options: [],
    notes: [
      'Breaking: a lexicon, definition or property removed; a type, format, const, record key or ref changed; a required property added; a property made required or no longer nullable; a bound tightened (lower maxLength, maxGraphemes, maximum, maxSize, higher minimums); an enum or accept list narrowed; a union variant removed, or added to a closed union; XRPC parameters, input, output or message added or removed.',
    ],
    invalid: 'there are breaking changes (or a lexicon in OLD or NEW is invalid)',
  },
  usage: 'OLD NEW [--json]',
  summary: 'breaking changes from the lexicons in OLD to those in NEW (exit 1 when there are any)',
  arity: [2, 2],
  async run({ positionals, out }) {
    const changes = compareDirs(positionals).filter((c) => c.breaking)
    for (const c of changes) {
      out.item(c)
      out.line(printChange(c))
    }
    if (changes.length > 0) throw new BreakingChangesError(changes.length, changes[0]!)
    out.line('no breaking changes')
    return EXIT_OK
  },
}

const diff: Command = {
  path: ['lex', 'diff'],
  lines: true,
  help: {
    options: [],
    notes: [
      'Lists every difference, one per line (JSON lines with --json: {id, path, change, breaking, message}), breaking ones marked BREAKING, by the same rules as lex breaking; descriptions, defaults and knownValues changes are listed as not breaking.',
    ],
    invalid: 'a lexicon in OLD or NEW is invalid',
  },
  usage: 'OLD NEW [--json]',
  summary: 'every change from the lexicons in OLD to those in NEW, each marked breaking or not',
  arity: [2, 2],
  async run({ positionals, out }) {
    const changes = compareDirs(positionals)
    for (const c of changes) {
      out.item(c)
      out.line(printChange(c))
    }
    const n = changes.filter((c) => c.breaking).length
    out.line(`${changes.length} changes, ${n} breaking`)
    return EXIT_OK
  },
}

export const lexToolCommands: Command[] = [parse, lint, validate, breaking, diff]
