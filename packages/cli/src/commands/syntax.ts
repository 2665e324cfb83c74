import {
  createTidGenerator,
  MAX_TID_CLOCK_ID,
  Tid,
  type ValidationResult,
  validateAtIdentifier,
  validateAtUri,
  validateCidString,
  validateDatetime,
  validateDid,
  validateHandle,
  validateLanguage,
  validateNsid,
  validateRecordKey,
  validateTid,
  validateUri,
} from '@rsky/syntax'
import type { Command } from '../command.ts'
import { EXIT_OK, UsageError } from '../errors.ts'
import { keyValueLines } from '../output.ts'

/** The kinds `syntax check` knows, each with the @rsky/syntax validator behind it. */
export const SYNTAX_KINDS: Readonly<Record<string, (s: string) => ValidationResult<unknown>>> = {
  did: validateDid,
  handle: validateHandle,
  nsid: validateNsid,
  rkey: validateRecordKey,
  tid: validateTid,
  datetime: validateDatetime,
  'at-uri': validateAtUri,
  'at-identifier': validateAtIdentifier,
  cid: validateCidString,
  language: validateLanguage,
  uri: validateUri,
}

/** A syntax check that failed: the value is not of its kind (exit 1). */
export class InvalidSyntaxValueError extends Error {
  override name = 'InvalidSyntaxValueError'
  readonly code: string
  readonly kind: string
  readonly value: string
  constructor(kind: string, value: string, code: string, message: string) {
    super(`not a valid ${kind}: ${message}`)
    this.kind = kind
    this.value = value
    this.code = code
  }
}

const check: Command = {
  path: ['syntax', 'check'],
  help: {
    options: [],
    notes: [
      'Checks VALUE with the same validator the libraries use (@rsky/syntax) and says why it fails: e.g. rsky syntax check handle alice.bsky.social, rsky syntax check at-uri at://did:plc:.../app.bsky.feed.post/3k...',
    ],
    invalid: 'VALUE is not a valid KIND (the message names the rule it breaks)',
  },
  usage: 'KIND VALUE [--json]',
  summary: `check a string against a syntax rule (KIND: ${Object.keys(SYNTAX_KINDS).join(', ')})`,
  arity: [2, 2],
  async run({ positionals, out }) {
    const [kind, value] = positionals as [string, string]
    const validate = SYNTAX_KINDS[kind]
    if (validate === undefined) {
      throw new UsageError(`unknown KIND ${kind}; one of: ${Object.keys(SYNTAX_KINDS).join(', ')}`)
    }
    const r = validate(value)
    if (!r.success) {
      const issue = r.issues[0]!
      throw new InvalidSyntaxValueError(kind, value, issue.code, issue.message)
    }
    out.result({ valid: true, kind, value })
    out.line(`valid ${kind}: ${value}`)
    return EXIT_OK
  },
}

/** What a TID holds: its time and clock identifier. */
function tidFields(tid: Tid) {
  const micros = tid.timestamp()
  return {
    tid: tid.toString(),
    timestamp: micros,
    time: new Date(Math.floor(micros / 1000)).toISOString(),
    clockId: tid.clockId(),
  }
}

const tidInspect: Command = {
  path: ['syntax', 'tid', 'inspect'],
  help: {
    options: [],
    notes: [
      'Prints the timestamp (microseconds since the Unix epoch, and as an ISO date) and the clock identifier (0-1023).',
    ],
    invalid: 'the value is not a TID',
  },
  usage: 'TID [--json]',
  summary: 'the time (microseconds since 1970) and clock identifier inside a TID',
  arity: [1, 1],
  async run({ positionals, out }) {
    const value = positionals[0]!
    const r = validateTid(value)
    if (!r.success) throw new InvalidSyntaxValueError('tid', value, r.issues[0]!.code, r.issues[0]!.message)
    const f = tidFields(Tid.parse(value))
    out.result({ valid: true, ...f })
    for (const line of keyValueLines([
      ['tid', f.tid],
      ['time', `${f.time} (${f.timestamp} µs)`],
      ['clock id', f.clockId],
    ]))
      out.line(line)
    return EXIT_OK
  },
}

const MAX_GENERATE = 10_000

/** @throws UsageError unless `v` is an integer in [min, max] */
export function intOption(name: string, v: unknown, min: number, max: number): number | undefined {
  if (v === undefined) return undefined
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : Number.NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}; ${name}=${String(v)}`)
  }
  return n
}

const tidGenerate: Command = {
  path: ['syntax', 'tid', 'generate'],
  lines: true,
  help: {
    options: [
      ['--count N', 'how many TIDs (default 1, at most 10000), one per line, strictly increasing'],
      ['--clock-id N', 'the clock identifier, 0-1023 (default random)'],
    ],
    notes: ['With --json, one JSON line per TID: {tid, timestamp, time, clockId}.'],
    invalid: 'never',
  },
  usage: '[--count N] [--clock-id N] [--json]',
  summary: 'new TIDs from the current time, strictly increasing',
  options: { count: { type: 'string' }, 'clock-id': { type: 'string' } },
  arity: [0, 0],
  async run({ values, out }) {
    const count = intOption('count', values['count'], 1, MAX_GENERATE) ?? 1
    const clockId = intOption('clock-id', values['clock-id'], 0, MAX_TID_CLOCK_ID)
    const gen = createTidGenerator(clockId === undefined ? {} : { clockId })
    for (let i = 0; i < count; i++) {
      const tid = gen.next()
      out.item(tidFields(tid))
      out.line(tid.toString())
    }
    return EXIT_OK
  },
}

export const syntaxCommands: Command[] = [check, tidInspect, tidGenerate]
