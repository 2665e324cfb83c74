// `rsky plc …`: did:plc audit, DID of a genesis, history, genesis/sign/submit, and the migration
// update (new PDS and signing key) with a dry run.
import { readFileSync } from 'node:fs'
import { type Keypair, P256Keypair, Secp256k1Keypair } from '@rsky/crypto'
import {
  type AuditOutcome,
  applyOperation,
  createGenesis,
  DEFAULT_PLC_DIRECTORY,
  didForGenesis,
  migrateAccount,
  operationCid,
  PlcClient,
  PlcError,
  PlcHttpError,
  PlcNotFoundError,
  PlcRuleError,
  type SignedOperation,
  signOperation,
  validateAuditLog,
  validateOperation,
} from '@rsky/plc'
import type { Command, OptionSpec } from '../command.ts'
import { EXIT_INVALID, EXIT_OK, UsageError } from '../errors.ts'
import type { Output } from '../output.ts'
import { keyValueLines } from '../output.ts'

/** `--help` text of a command (the shape of help.ts CommandHelp). */
interface PlcHelp {
  options: [string, string][]
  notes: string[]
  invalid: string
}
const withHelp = (command: Command, help: PlcHelp): Command => Object.assign(command, { help })

const PLC_HELP: [string, string] = [
  '--plc URL',
  'the PLC directory (default https://plc.directory, or $RSKY_PLC_URL)',
]
const KEY_HELP: [string, string][] = [
  ['--key HEX|@FILE', 'the rotation key that signs: private key in hex, or @FILE holding it'],
  ['--curve k256|p256', 'the curve of --key (default k256)'],
]

const PLC_OPTION: OptionSpec = { plc: { type: 'string' } }
const KEY_OPTIONS: OptionSpec = { key: { type: 'string' }, curve: { type: 'string' } }

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []

function clientOf(values: Record<string, unknown>): PlcClient {
  const url = str(values['plc']) ?? process.env['RSKY_PLC_URL'] ?? DEFAULT_PLC_DIRECTORY
  try {
    return new PlcClient({ url })
  } catch {
    throw new UsageError(`--plc must be an http(s) URL; plc=${url}`)
  }
}

/** Network failures are exit 2 (the service, not the data); directory answers pass through. */
async function net<T>(what: Promise<T>): Promise<T> {
  try {
    return await what
  } catch (err) {
    if (err instanceof PlcError && (err.code === 'PLC_NETWORK_ERROR' || err.code === 'PLC_TIMEOUT'))
      throw new UsageError(err.message, { io: true, cause: err })
    throw err
  }
}

function readJson(path: string): unknown {
  let text: string
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8')
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      io: true,
      cause: err,
    })
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new PlcInputError(`${path} is not JSON: ${(err as Error).message}`)
  }
}

/** An input file that is not what the command needs (exit 1). */
class PlcInputError extends Error {
  override name = 'PlcInputError'
  readonly code = 'PLC_INPUT_INVALID'
}

/** The private key from `--key HEX` or `--key @FILE` (hex in a file), on `--curve` (k256 default). */
function signerOf(values: Record<string, unknown>): Keypair {
  let key = str(values['key'])
  if (key === undefined) throw new UsageError('--key HEX|@FILE is required (a rotation key)')
  if (key.startsWith('@')) {
    try {
      key = readFileSync(key.slice(1), 'utf8').trim()
    } catch (err) {
      throw new UsageError(`cannot read ${key.slice(1)}`, { io: true, cause: err })
    }
  }
  const curve = str(values['curve']) ?? 'k256'
  if (curve !== 'k256' && curve !== 'p256')
    throw new UsageError(`--curve must be k256 or p256; curve=${curve}`)
  try {
    return curve === 'p256' ? P256Keypair.import(key) : Secp256k1Keypair.import(key)
  } catch (err) {
    throw new UsageError(`--key is not a ${curve} private key in hex`, { cause: err })
  }
}

function reportInvalid(out: Output, did: string, error: PlcRuleError): number {
  out.result({
    valid: false,
    did,
    rule: error.code,
    index: error.index,
    cid: error.cid ?? null,
    detail: error.detail,
    issues: error.issues,
  })
  out.line(`invalid: ${error.code} at operation ${error.index}${error.cid ? ` (${error.cid})` : ''}`)
  out.line(`  ${error.detail}`)
  for (const issue of error.issues)
    out.line(`  ${issue.path || '(operation)'}: ${issue.code}: ${issue.message}`)
  return EXIT_INVALID
}

/** An audit log and its DID, from a DID (fetched) or a file (a JSON array of audit entries). */
async function loadLog(
  target: string,
  values: Record<string, unknown>,
): Promise<{ did: string; log: unknown; source: string }> {
  if (target.startsWith('did:')) {
    if (!target.startsWith('did:plc:')) throw new UsageError(`not a did:plc DID: ${target}`)
    const client = clientOf(values)
    return { did: target, log: await net(client.getAuditLog(target)), source: client.url }
  }
  const log = readJson(target)
  const did =
    str(values['did']) ??
    (Array.isArray(log) ? str((log[0] as { did?: unknown } | undefined)?.did) : undefined)
  if (did === undefined || !did.startsWith('did:plc:'))
    throw new UsageError('the file does not name its DID; pass --did did:plc:…')
  return { did, log, source: target }
}

function audited(did: string, log: unknown): AuditOutcome {
  try {
    return validateAuditLog(did, log)
  } catch (err) {
    throw new UsageError(String((err as Error).message), { cause: err })
  }
}

const audit: Command = {
  path: ['plc', 'audit'],
  usage: 'FILE|DID [--plc URL] [--did DID] [--json]',
  summary:
    'validate a did:plc audit log as the directory does (exit 0 valid, 1 invalid with the rule and operation)',
  options: { ...PLC_OPTION, did: { type: 'string' } },
  arity: [1, 1],
  async run({ positionals, values, out }) {
    const { did, log, source } = await loadLog(positionals[0]!, values)
    const r = audited(did, log)
    if (!r.valid) return reportInvalid(out, did, r.error)
    const s = r.state
    const head = s.history[s.history.length - 1]!
    out.result({
      valid: true,
      did,
      entries: s.entries,
      operations: s.history.length,
      nullified: s.nullified,
      tombstoned: s.tombstoned,
      head: head.cid,
      data: s.data,
      document: s.document,
    })
    for (const line of keyValueLines([
      ['did', did],
      ['source', source],
      [
        'entries',
        `${s.entries} (${s.history.length} in the current history, ${s.nullified.length} nullified)`,
      ],
      ['head', head.cid],
      ['state', s.tombstoned ? 'tombstoned' : 'active'],
      ...(s.data
        ? ([
            ['handle', s.data.alsoKnownAs.join(', ') || '(none)'],
            ['pds', s.data.services['atproto_pds']?.endpoint ?? '(none)'],
            ['signing key', s.data.verificationMethods['atproto'] ?? '(none)'],
            ['rotation keys', s.data.rotationKeys.join(', ')],
          ] as [string, string][])
        : []),
      ['verdict', 'valid: every signature, link, fork and flag checks out'],
    ]))
      out.line(line)
    return EXIT_OK
  },
}

const did: Command = {
  path: ['plc', 'did'],
  usage: 'GENESIS.json [--json]',
  summary: 'the DID a signed genesis operation defines (and its CID)',
  arity: [1, 1],
  async run({ positionals, out }) {
    const op = parseOrThrow(readJson(positionals[0]!))
    if (op.prev !== null) throw new PlcInputError('not a genesis operation (prev is not null)')
    const result = { valid: true, did: didForGenesis(op), cid: operationCid(op) }
    out.result(result)
    out.line(result.did)
    return EXIT_OK
  },
}

function parseOrThrow(value: unknown): SignedOperation {
  const r = validateOperation(value)
  if (!r.success)
    throw new PlcInputError(
      `not a signed operation: ${r.issues.map((i) => `${i.path || '(operation)'}: ${i.message}`).join('; ')}`,
    )
  return r.value
}

function describeOp(op: SignedOperation): string {
  if (op.type === 'plc_tombstone') return 'tombstone'
  if (op.type === 'create') return `legacy create: ${op.handle} at ${op.service}`
  const pds = op.services['atproto_pds']?.endpoint ?? '(no pds)'
  return `${op.alsoKnownAs[0] ?? '(no handle)'} at ${pds}, ${op.rotationKeys.length} rotation key(s)`
}

const history: Command = {
  path: ['plc', 'history'],
  usage: 'DID [--plc URL] [--json]',
  summary: 'every operation of a DID (nullified ones marked), validated',
  options: PLC_OPTION,
  arity: [1, 1],
  async run({ positionals, values, out }) {
    const { did, log } = await loadLog(positionals[0]!, values)
    const r = audited(did, log)
    const entries = Array.isArray(log)
      ? (log as { cid?: string; createdAt?: string; nullified?: boolean; operation?: unknown }[])
      : []
    for (const [i, e] of entries.entries()) {
      const op = validateOperation(e.operation)
      out.item({
        index: i,
        cid: e.cid,
        createdAt: e.createdAt,
        nullified: e.nullified,
        operation: e.operation,
      })
      out.line(
        `${String(i).padStart(3)}  ${e.createdAt}  ${e.nullified ? 'NULLIFIED ' : ''}${op.success ? describeOp(op.value) : 'malformed'}  ${e.cid}`,
      )
    }
    if (!r.valid) {
      out.item({ valid: false, rule: r.error.code, index: r.error.index, detail: r.error.detail })
      out.line(`invalid: ${r.error.code} at operation ${r.error.index}: ${r.error.detail}`)
      return EXIT_INVALID
    }
    out.line(`valid: ${r.state.history.length} operation(s) in the current history`)
    return EXIT_OK
  },
}

const genesis: Command = {
  path: ['plc', 'genesis'],
  usage:
    '--key HEX|@FILE [--curve k256|p256] [--rotation-key DIDKEY]… [--signing-key DIDKEY] [--handle H] [--pds URL] [--json]',
  summary: 'build and sign a genesis operation; prints it, and the DID it defines',
  options: {
    ...KEY_OPTIONS,
    'rotation-key': { type: 'string', multiple: true },
    'signing-key': { type: 'string' },
    handle: { type: 'string' },
    pds: { type: 'string' },
  },
  arity: [0, 0],
  async run({ values, out }) {
    const signer = signerOf(values)
    const rotationKeys = list(values['rotation-key'])
    if (rotationKeys.length === 0) rotationKeys.push(signer.did())
    if (!rotationKeys.includes(signer.did()))
      throw new UsageError('--key must be one of the --rotation-key values')
    const built = await createGenesis({
      rotationKeys,
      signer,
      ...(str(values['signing-key']) ? { signingKey: str(values['signing-key'])! } : {}),
      ...(str(values['handle']) ? { handle: str(values['handle'])! } : {}),
      ...(str(values['pds']) ? { pds: str(values['pds'])! } : {}),
    })
    const check = validateOperation(built.operation)
    if (!check.success)
      throw new UsageError(
        `the operation would be refused: ${check.issues[0]!.path}: ${check.issues[0]!.message}`,
      )
    out.result({ valid: true, did: built.did, cid: built.cid, operation: built.operation })
    out.line(JSON.stringify(built.operation, null, 2))
    out.warn(`did: ${built.did}`)
    return EXIT_OK
  },
}

const sign: Command = {
  path: ['plc', 'sign'],
  usage: 'UNSIGNED.json --key HEX|@FILE [--curve k256|p256] [--json]',
  summary: 'sign an unsigned operation with a rotation key; prints the signed operation',
  options: KEY_OPTIONS,
  arity: [1, 1],
  async run({ positionals, values, out }) {
    const value = readJson(positionals[0]!)
    const r = validateOperation(value, { signed: false })
    if (!r.success)
      throw new PlcInputError(
        `not an unsigned operation: ${r.issues.map((i) => `${i.path || '(operation)'}: ${i.message}`).join('; ')}`,
      )
    const signed = await signOperation(r.value as never, signerOf(values))
    const result: Record<string, unknown> = {
      valid: true,
      cid: operationCid(signed as SignedOperation),
      operation: signed,
    }
    if ((signed as SignedOperation).prev === null) result['did'] = didForGenesis(signed as SignedOperation)
    out.result(result)
    out.line(JSON.stringify(signed, null, 2))
    return EXIT_OK
  },
}

const submit: Command = {
  path: ['plc', 'submit'],
  usage: 'OP.json [--did DID] [--plc URL] [--dry-run] [--json]',
  summary: "check a signed operation against the DID's audit log, then send it to the directory",
  options: { ...PLC_OPTION, did: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  arity: [1, 1],
  async run({ positionals, values, out }) {
    const op = parseOrThrow(readJson(positionals[0]!))
    const target = str(values['did']) ?? (op.prev === null ? didForGenesis(op) : undefined)
    if (target === undefined || !target.startsWith('did:plc:'))
      throw new UsageError('--did did:plc:… is required for an update')
    const client = clientOf(values)
    const log = await net(client.getAuditLog(target)).catch((err: unknown) => {
      if (err instanceof PlcNotFoundError) return [] // a new DID: the operation must be its genesis
      throw err
    })
    let historyOf: Parameters<typeof applyOperation>[1] = []
    if (log.length > 0) {
      const r = audited(target, log)
      if (!r.valid) return reportInvalid(out, target, r.error)
      historyOf = r.state.history
    }
    try {
      applyOperation(target, historyOf, op, { createdAt: Date.now() })
    } catch (err) {
      if (err instanceof PlcRuleError) return reportInvalid(out, target, err)
      throw err
    }
    const dryRun = values['dry-run'] === true
    if (!dryRun) {
      try {
        await net(client.submit(target, op))
      } catch (err) {
        if (err instanceof PlcHttpError)
          throw new PlcInputError(
            `the directory refused the operation: ${err.status} ${err.serverMessage ?? ''}`,
          )
        throw err
      }
    }
    out.result({ valid: true, did: target, cid: operationCid(op), submitted: !dryRun })
    out.line(`${dryRun ? 'would be accepted' : 'accepted'}: ${operationCid(op)} for ${target}`)
    return EXIT_OK
  },
}

const update: Command = {
  path: ['plc', 'update'],
  usage:
    'DID --key HEX|@FILE [--curve k256|p256] [--pds URL] [--signing-key DIDKEY] [--handle H] [--rotation-key DIDKEY]… [--plc URL] [--dry-run] [--json]',
  summary:
    'build, sign and submit the update that moves an account (new PDS, signing key, handle, rotation keys); --dry-run shows the resulting document',
  options: {
    ...PLC_OPTION,
    ...KEY_OPTIONS,
    pds: { type: 'string' },
    'signing-key': { type: 'string' },
    handle: { type: 'string' },
    'rotation-key': { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
  },
  arity: [1, 1],
  async run({ positionals, values, out }) {
    const target = positionals[0]!
    if (!target.startsWith('did:plc:')) throw new UsageError(`not a did:plc DID: ${target}`)
    const signer = signerOf(values)
    const client = clientOf(values)
    const last = await net(client.getLastOperation(target))
    if (last.type === 'plc_tombstone') throw new PlcInputError(`${target} is tombstoned`)
    const current = last
    const rotation = list(values['rotation-key'])
    const changes = {
      pds:
        str(values['pds']) ??
        (current.type === 'create' ? current.service : (current.services['atproto_pds']?.endpoint ?? '')),
      signingKey:
        str(values['signing-key']) ??
        (current.type === 'create' ? current.signingKey : (current.verificationMethods['atproto'] ?? '')),
      ...(str(values['handle']) ? { handle: str(values['handle'])! } : {}),
      ...(rotation.length > 0 ? { rotationKeys: rotation } : {}),
    }
    const dryRun = values['dry-run'] === true
    const { plan, submitted } = await net(
      migrateAccount({ client, did: target, signer, changes, dryRun }),
    ).catch((err: unknown) => {
      if (err instanceof PlcHttpError)
        throw new PlcInputError(
          `the directory refused the operation: ${err.status} ${err.serverMessage ?? ''}`,
        )
      throw err
    })
    out.result({
      valid: true,
      did: target,
      submitted,
      cid: plan.cid,
      operation: plan.operation,
      before: plan.before,
      after: plan.after,
      document: plan.document,
    })
    out.line(`${submitted ? 'submitted' : 'dry run (not submitted)'}: ${plan.cid}`)
    out.line(JSON.stringify(plan.document, null, 2))
    return EXIT_OK
  },
}

export const plcCommands: Command[] = [
  withHelp(audit, {
    options: [PLC_HELP, ['--did DID', 'the DID of a log file whose entries do not say it']],
    notes: [
      'FILE is a JSON array of audit entries ({did, operation, cid, nullified, createdAt}, as /:did/log/audit serves them); a DID is fetched from the directory.',
      "Replays every operation as the directory does: the genesis hashes to the DID, each operation is signed (compact low-S, canonical base64url) by a rotation key of the operation it follows, forks nullify only within 72 hours and only by a higher-priority key, nothing follows a tombstone; then each entry's cid, order and nullified flag are checked against the replay.",
      'With --json: {valid, did, entries, operations, nullified, tombstoned, head, data, document}, or {valid: false, did, rule, index, cid, detail, issues}.',
    ],
    invalid:
      'the log breaks a rule; the rule (e.g. SIGNATURE_INVALID, NULLIFICATION_LATE) and the operation index are printed',
  }),
  withHelp(did, {
    options: [],
    notes: ['GENESIS.json is a signed plc_operation with a null prev, or a legacy create operation.'],
    invalid: 'the file is not a signed genesis operation',
  }),
  withHelp(history, {
    options: [PLC_HELP],
    notes: [
      'One line per operation: index, time, NULLIFIED when a fork undid it, handle and PDS, CID; then the audit verdict.',
    ],
    invalid: 'the log does not validate (the lines are still printed)',
  }),
  withHelp(genesis, {
    options: [
      ...KEY_HELP,
      ['--rotation-key DIDKEY', 'a rotation key, highest priority first (repeat; default: the key of --key)'],
      ['--signing-key DIDKEY', 'the atproto signing key (verificationMethods.atproto)'],
      ['--handle HANDLE', 'the handle, stored as at://HANDLE'],
      ['--pds URL', 'the atproto_pds service endpoint'],
    ],
    notes: [
      'Prints the signed operation (submit it with `rsky plc submit`); the DID goes to stderr, and into the --json result.',
    ],
    invalid: 'never',
  }),
  withHelp(sign, {
    options: KEY_HELP,
    notes: ['UNSIGNED.json is an operation without sig; it is checked strictly before signing.'],
    invalid: 'the file is not an unsigned operation',
  }),
  withHelp(submit, {
    options: [
      PLC_HELP,
      ['--did DID', 'the DID to submit to (default: the DID a genesis defines)'],
      ['--dry-run (flag)', 'check against the audit log but do not send'],
    ],
    notes: [
      "The operation is checked first against the DID's audit log with the directory's rules, so a refusal names its rule.",
    ],
    invalid: 'the operation would be (or was) refused; the rule is printed',
  }),
  withHelp(update, {
    options: [
      PLC_HELP,
      ...KEY_HELP,
      ['--pds URL', 'the new atproto_pds endpoint (default: unchanged)'],
      ['--signing-key DIDKEY', 'the new atproto signing key (default: unchanged)'],
      ['--handle HANDLE', 'the new handle (replaces the first at:// alias)'],
      ['--rotation-key DIDKEY', 'the new rotation keys (repeat; default: unchanged)'],
      ['--dry-run (flag)', 'build, sign and check, print the resulting document, send nothing'],
    ],
    notes: [
      'Fetches and validates the audit log, builds the update on its head, checks it would be accepted, then submits it. This is the identity step of moving an account to a new PDS.',
    ],
    invalid: 'the log is invalid, the key has no authority, or the directory refused the update',
  }),
]
