// `rsky label verify|sign|subscribe`: moderation labels in their JSON form (`sig` as `$bytes`),
// checked against a given did:key or the labeler's `#atproto_label` key from its DID document.
import { readFileSync } from 'node:fs'
import { P256Keypair, Secp256k1Keypair } from '@rsky/crypto'
import { DEFAULT_PLC_URL, DidResolver } from '@rsky/identity'
import {
  type Label,
  type LabelInput,
  type LabelVerdict,
  LabelVerifier,
  labelFromJson,
  labelToJson,
  signLabel,
  verifyLabelWithKey,
} from '@rsky/label'
import { LabelKeyUnavailableError, LabelSubscription } from '@rsky/sync'
import type { Command, CommandInput } from '../command.ts'
import { EXIT_INVALID, EXIT_OK, UsageError } from '../errors.ts'

const STDIN = '-'

/** A command with its help text inline (the same shape as the help table's entries). */
type LabelCommand = Command & {
  help: { options: ReadonlyArray<readonly [string, string]>; notes: readonly string[]; invalid: string }
}

async function readText(path: string): Promise<string> {
  if (path !== STDIN) {
    try {
      return readFileSync(path, 'utf8')
    } catch (err) {
      throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
        io: true,
        cause: err,
      })
    }
  }
  const parts: Uint8Array[] = []
  for await (const chunk of process.stdin) parts.push(chunk as Uint8Array)
  return Buffer.concat(parts).toString('utf8')
}

/** A label or an array of labels, parsed as JSON. */
async function readLabelsJson(path: string): Promise<{ items: unknown[]; single: boolean }> {
  const text = await readText(path)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new UsageError(`${path === STDIN ? 'stdin' : path} is not JSON: ${(err as Error).message}`)
  }
  return Array.isArray(json) ? { items: json, single: false } : { items: [json], single: true }
}

function urlOption(name: string, v: unknown): string | undefined {
  if (v === undefined) return undefined
  const s = String(v)
  if (!/^https?:\/\//i.test(s) || !URL.canParse(s))
    throw new UsageError(`--${name} must be an http(s) URL; ${name}=${s}`)
  return s.replace(/\/+$/, '')
}

function intOption(name: string, v: unknown, min: number): number | undefined {
  if (v === undefined) return undefined
  const n = typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : Number.NaN
  if (!(n >= min))
    throw new UsageError(`--${name} must be an integer of at least ${min}; ${name}=${String(v)}`)
  return n
}

function verdictRow(i: number, v: LabelVerdict, raw: unknown): Record<string, unknown> {
  const l = v.label ?? (raw as Partial<Label> | undefined)
  const base = { index: i, src: l?.src ?? null, uri: l?.uri ?? null, val: l?.val ?? null }
  if (v.valid) return { ...base, valid: true, key: v.key }
  return { ...base, valid: false, reason: v.reason, message: v.message }
}

const verify: LabelCommand = {
  path: ['label', 'verify'],
  help: {
    options: [
      ['--key DIDKEY', "check every label against this did:key instead of resolving each labeler's key"],
      ['--plc URL', `PLC directory for did:plc labelers' #atproto_label keys (default ${DEFAULT_PLC_URL})`],
      ['--timeout SECONDS', 'give up on any one DID document request after this long (default 15)'],
    ],
    notes: [
      'FILE holds one label or an array of labels in their JSON form (sig as {"$bytes": base64}); - reads stdin. Without --key each label is checked against the #atproto_label key of its src DID, fetched again once after a failure in case the labeler rotated its key.',
      'Prints one verdict per label; with --json {"valid", "labels": [{index, src, uri, val, valid, key | reason, message}]}. Reasons: MALFORMED, UNSIGNED, BAD_SIGNATURE, KEY_UNAVAILABLE, UNKNOWN_SOURCE, EXPIRED.',
    ],
    invalid: 'any label is malformed, unsigned, expired, or its signature does not verify',
  },
  usage: 'FILE|- [--key DIDKEY | --plc URL] [--timeout SECONDS]',
  summary: 'check the signatures of labels (one or an array, JSON form) against a key or their labeler',
  options: { key: { type: 'string' }, plc: { type: 'string' }, timeout: { type: 'string' } },
  arity: [1, 1],
  async run({ positionals, values, out }: CommandInput): Promise<number> {
    const key = values['key'] as string | undefined
    if (key !== undefined && values['plc'] !== undefined)
      throw new UsageError('--key and --plc exclude each other')
    if (key !== undefined && !key.startsWith('did:key:'))
      throw new UsageError(`--key must be a did:key; key=${key}`)
    const seconds = values['timeout'] === undefined ? 15 : Number(values['timeout'])
    if (!(seconds > 0 && seconds <= 3600)) throw new UsageError('--timeout must be seconds from 0 to 3600')
    const { items } = await readLabelsJson(positionals[0] as string)
    const verifier =
      key === undefined
        ? new LabelVerifier({
            resolver: new DidResolver({
              plcUrl: urlOption('plc', values['plc']) ?? DEFAULT_PLC_URL,
              timeoutMs: seconds * 1000,
            }),
          })
        : undefined
    const rows: Record<string, unknown>[] = []
    for (const [i, item] of items.entries()) {
      const parsed = labelFromJson(item)
      let v: LabelVerdict
      if (!parsed.success) {
        const message = parsed.issues.map((x) => `${x.path || '.'}: ${x.message}`).join('; ')
        v = { valid: false, reason: 'MALFORMED', message, issues: parsed.issues }
      } else if (key !== undefined) v = verifyLabelWithKey(parsed.value, key)
      else v = await (verifier as LabelVerifier).verify(parsed.value)
      rows.push(verdictRow(i, v, item))
      out.line(
        v.valid
          ? `ok       ${i}  ${v.label.src}  ${v.label.uri}  ${v.label.val}${v.label.neg ? ' (negation)' : ''}`
          : `INVALID  ${i}  ${v.reason}: ${v.message}`,
      )
    }
    const allValid = rows.every((r) => r['valid'] === true)
    out.result({ valid: allValid, labels: rows })
    if (!out.json)
      out.line(`${rows.filter((r) => r['valid'] === true).length} of ${rows.length} labels valid`)
    return allValid ? EXIT_OK : EXIT_INVALID
  },
}

const sign: LabelCommand = {
  path: ['label', 'sign'],
  help: {
    options: [
      ['--key-file PATH', 'the private key as hex (as `rsky key generate` prints it); required'],
      ['--curve k256|p256', 'the curve of that key (default k256)'],
    ],
    notes: [
      'FILE holds one label or an array of labels without sig (src, uri, val, optionally cid, neg, cts, exp); - reads stdin. cts defaults to now. Prints the signed labels in their JSON form (sig as {"$bytes"}), an array when the input was an array.',
    ],
    invalid: 'a label field is invalid',
  },
  usage: 'FILE|- --key-file PATH [--curve k256|p256]',
  summary: "sign labels with a labeler's #atproto_label private key",
  options: { 'key-file': { type: 'string' }, curve: { type: 'string' } },
  arity: [1, 1],
  async run({ positionals, values, streams }: CommandInput): Promise<number> {
    const keyFile = values['key-file'] as string | undefined
    if (keyFile === undefined) throw new UsageError('--key-file is required')
    const curve = (values['curve'] as string | undefined) ?? 'k256'
    if (curve !== 'k256' && curve !== 'p256')
      throw new UsageError(`--curve must be k256 or p256; curve=${curve}`)
    const hex = (await readText(keyFile)).trim()
    if (!/^[0-9a-fA-F]{64}$/.test(hex))
      throw new UsageError(`${keyFile} does not hold a 32-byte hex private key`)
    const keypair = curve === 'p256' ? P256Keypair.import(hex) : Secp256k1Keypair.import(hex)
    const { items, single } = await readLabelsJson(positionals[0] as string)
    const signed: Record<string, unknown>[] = []
    for (const item of items) signed.push(labelToJson(await signLabel(item as LabelInput, keypair)))
    streams.stdout.write(`${JSON.stringify(single ? signed[0] : signed, null, 2)}\n`)
    return EXIT_OK
  },
}

const subscribe: LabelCommand = {
  path: ['label', 'subscribe'],
  help: {
    options: [
      [
        '--cursor N',
        'start after sequence number N (0 replays the whole history; default: live labels only)',
      ],
      [
        '--labeler DID',
        'refuse labels whose src is not this DID (default: any src, each checked against its own key)',
      ],
      ['--limit N', 'stop after printing N labels'],
      ['--plc URL', `PLC directory for did:plc labelers' keys (default ${DEFAULT_PLC_URL})`],
      ['--timeout SECONDS', 'how long to wait for the connection and each key lookup (default 15)'],
    ],
    notes: [
      'URL is the labeler service (https://, http://, wss:// or ws://). Prints every label that verifies as one JSON line {"seq", ...label}; labels that fail are reported on stderr with their reason. Runs until interrupted (Ctrl-C) or --limit.',
    ],
    invalid: 'never (invalid labels are reported, not fatal)',
  },
  usage: 'URL [--cursor N] [--labeler DID] [--limit N] [--plc URL] [--timeout SECONDS]',
  summary: 'stream verified labels from a labeler as JSON lines',
  options: {
    cursor: { type: 'string' },
    labeler: { type: 'string' },
    limit: { type: 'string' },
    plc: { type: 'string' },
    timeout: { type: 'string' },
  },
  arity: [1, 1],
  async run({ positionals, values, streams }: CommandInput): Promise<number> {
    const raw = String(positionals[0]).replace(/\/+$/, '')
    if (!/^(wss?|https?):\/\//i.test(raw) || !URL.canParse(raw))
      throw new UsageError(`URL is not a URL; url=${raw}`)
    const service = raw.replace(/^http(s?):\/\//i, 'ws$1://')
    const cursor = intOption('cursor', values['cursor'], 0)
    const limit = intOption('limit', values['limit'], 1)
    const labeler = values['labeler'] as string | undefined
    if (labeler !== undefined && !labeler.startsWith('did:'))
      throw new UsageError(`--labeler must be a DID; labeler=${labeler}`)
    const seconds = values['timeout'] === undefined ? 15 : Number(values['timeout'])
    if (!(seconds > 0 && seconds <= 3600)) throw new UsageError('--timeout must be seconds from 0 to 3600')
    const resolver = new DidResolver({
      plcUrl: urlOption('plc', values['plc']) ?? DEFAULT_PLC_URL,
      timeoutMs: seconds * 1000,
    })
    let printed = 0
    let connected = false
    let finish: (() => void) | undefined
    const finished = new Promise<void>((resolve) => {
      finish = resolve
    })
    let lastError: unknown
    const sub = new LabelSubscription({
      service,
      resolver,
      ...(labeler !== undefined ? { labeler } : { allowedSources: '*' as const }),
      ...(cursor !== undefined ? { cursor } : {}),
      onEvent: (e) => {
        connected = true
        if (e.$type === '#info') streams.stderr.write(`info: ${e.name}${e.message ? `: ${e.message}` : ''}\n`)
        if (e.$type !== '#labels') return
        for (const l of e.labels) {
          if (limit !== undefined && printed >= limit) break
          streams.stdout.write(
            `${JSON.stringify({ seq: e.seq, ...labelToJson({ ...l, ver: 1 } as Label) })}\n`,
          )
          printed++
        }
        if (limit !== undefined && printed >= limit) finish?.()
      },
      onInvalidLabel: (i) => {
        connected = true
        streams.stderr.write(`invalid label at seq ${i.seq}: ${i.reason}: ${i.message}\n`)
      },
      onError: (err) => {
        // a label held back while its labeler's key cannot be fetched: the stream is up; say why it waits
        if (err instanceof LabelKeyUnavailableError) {
          connected = true
          streams.stderr.write(`${err.message}\n`)
          return
        }
        lastError = err
        const e = err as { error?: string }
        if (e.error === 'FutureCursor') finish?.()
      },
    })
    const onSignal = () => finish?.()
    process.once('SIGINT', onSignal)
    const timer = setTimeout(() => {
      if (!connected) finish?.()
    }, seconds * 1000)
    try {
      await sub.start()
      await finished
    } finally {
      clearTimeout(timer)
      process.off('SIGINT', onSignal)
      await sub.stop()
    }
    if (!connected && printed === 0 && lastError !== undefined) {
      throw new UsageError(
        `cannot subscribe to ${service}: ${(lastError as Error).message ?? String(lastError)}`,
        {
          io: true,
          cause: lastError,
        },
      )
    }
    return EXIT_OK
  },
}

/** The `rsky label ...` commands. */
export const labelCommands: Command[] = [verify, sign, subscribe]
