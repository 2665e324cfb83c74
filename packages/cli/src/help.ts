// Help texts: `rsky --help`, `rsky <group> --help` and `rsky <command> --help`. The command
// descriptions live here, next to each other, so they stay consistent with one another and with the
// README (a test checks every usage line appears there and every option is described here).
import type { Command } from './command.ts'
import { NET_OPTION_HELP } from './commands/net.ts'

/** Options every command takes. */
export const COMMON_OPTIONS: ReadonlyArray<readonly [string, string]> = [
  [
    '--json',
    'print JSON on stdout: one document, or one line per item for listings and streams; on failure {"valid": false, "error", "failure"}',
  ],
  ['-h, --help', 'print this help'],
]

export interface CommandHelp {
  /** One line per option the command declares, as `[flag with value, description]`. */
  options: ReadonlyArray<readonly [string, string]>
  /** Paragraphs after the summary. */
  notes: readonly string[]
  /** What exit code 1 means for this command. */
  invalid: string
}

export const COMMAND_HELP: Readonly<Record<string, CommandHelp>> = {
  'repo verify': {
    options: [
      ['--did DID', 'require the commit to be for this DID'],
      ['--key DIDKEY', 'check the commit signature with this did:key (secp256k1 or P-256)'],
    ],
    notes: [
      'Checks every block hash, the commit, the signature (with --key), the tree structure and key order, and that every record is present and a DAG-CBOR map. Prints the DID, rev, commit and data CIDs, records per collection, signature status and time.',
      'With --json on failure: the same fields (null where not learned before the failure) plus "error" (the one-line message) and "failure" {kind, code, name, message, file, cid, path, offset, cause}.',
    ],
    invalid: 'the repository is invalid (damaged CAR, bad commit, wrong DID or key, bad tree or record)',
  },
  'repo ls': {
    options: [],
    notes: [
      'One line per record: COLLECTION/RKEY and its CID, in key order. COLLECTION limits the list to one collection.',
    ],
    invalid: 'the repository cannot be read (damaged CAR, bad commit or tree)',
  },
  'repo get': {
    options: [],
    notes: ['Prints the record in its JSON form ($link for CIDs, $bytes for bytes).'],
    invalid: 'no record at the path, or the repository cannot be read',
  },
  'repo export': {
    options: NET_OPTION_HELP,
    notes: [
      'With a CAR file: writes every record as DIR/<collection>/<rkey>.json, creating DIR if needed. DIR must not be an existing file.',
      'With a DID or handle: resolves the account, streams its repository from its PDS (com.atproto.sync.getRepo) into OUT.car while checking every block hash, the commit, its signature with the key of the DID document, the tree and every record; OUT.car appears only when all of it verified (it is written as OUT.car.partial and renamed). The options apply to this form only.',
    ],
    invalid:
      'the repository cannot be read or does not verify (damaged CAR, bad commit, signature, tree or record)',
  },
  'repo diff': {
    options: [],
    notes: [
      'Lists the record creates, updates and deletes from A to B, and how many tree nodes were added and removed. An error names the file it came from.',
    ],
    invalid: 'one of the repositories cannot be read',
  },
  'car inspect': {
    options: [],
    notes: [
      'Reads the CAR as a stream and prints the format version, the root CIDs, the number of blocks, the bytes of block data and the largest block, and the blocks per codec (dag-cbor, raw, ...).',
    ],
    invalid: 'the CAR is damaged (bad header, truncated, a block that does not match its CID)',
  },
  'lex gen': {
    options: [
      [
        '--include DIR',
        'another folder of lexicons that references may point into (repeatable); its documents are generated only when used',
      ],
      ['--runtime MODULE', 'module the generated validators import (default @rsky/lexicon)'],
      ['--ext .js|.ts', 'extension of relative imports in the generated files (default .js)'],
    ],
    notes: [
      'Generates TypeScript types and typed validators for every lexicon JSON file under DIR: one file per lexicon in OUT, plus lexicons.ts (the registry) and index.ts.',
      'Every reference must resolve to a definition in DIR or an --include folder; otherwise nothing is written and the error lists the unresolved ones (LEXICON_UNRESOLVED_REFS).',
    ],
    invalid:
      'a lexicon file is not JSON or not a valid lexicon, a reference resolves in no folder, or a folder holds no lexicon',
  },
  // The mirror commands (commands/sync.ts) declare no help of their own.
  'sync run': {
    options: [
      ['--service URL', 'the relay or PDS to mirror (http(s) or ws(s)); required'],
      ['--db PATH|postgres://…', 'the mirror database: a SQLite file, or a Postgres URL; required'],
      ['--plc URL', 'PLC directory for signing keys (default https://plc.directory)'],
      ['--dids DID,…', 'mirror only these accounts (repeatable)'],
      [
        '--scope-collection NSID,…',
        'mirror only accounts holding a record of one of these collections (listReposByCollection on the host; a host without it exits 2), plus accounts first seen live writing one; every record of them is kept (repeatable; not with --dids)',
      ],
      [
        '--collections NSID,…',
        'keep only records of these collections (repeatable): a filter on records, where --scope-collection chooses accounts',
      ],
      ['--concurrency N', 'repositories backfilled at once (default 4)'],
      [
        '--rate-limit N',
        'at most N getRepo requests started per second (fractions allowed; default no limit)',
      ],
      [
        '--shard I/N',
        'mirror only shard I of N of the accounts (by DID hash, 0 <= I < N), so N processes can share one database',
      ],
      [
        '--lease',
        'share a Postgres database with other engines by leases: the accounts are split into partitions (DID hash), each engine claims its fair share, renews it, and takes over the partitions of an engine that stops (not with --shard)',
      ],
      ['--owner ID', 'this engine in the lease table, unique per database (default host-pid)'],
      ['--partitions N', 'partitions of the accounts with --lease (default 16; the same on every engine)'],
      [
        '--lease-ttl MS',
        'lease life (default 10000): renewed every third of it; a dead engine is taken over after it',
      ],
      [
        '--auth-threads N',
        'worker threads that authenticate live commits (default four fifths of the cores, at least 1; 0: on the main thread)',
      ],
      [
        '--change-feed',
        'also write every record change to the change feed, for `rsky sync changes` and `rsky sync ack` (give it on every run, or changes made meanwhile are not in the feed)',
      ],
      [
        '--until-idle',
        'stop once the backfill is done and the stream is caught up, instead of at SIGINT/SIGTERM',
      ],
    ],
    notes: [
      'Backfills every repository (getRepo, fully verified) and follows subscribeRepos from the saved cursor, writing records to the database; a progress line on a terminal. Rejected events and recovered errors are one line each on stderr. On exit prints the repositories per state, records, cursor and commit counts (--json: the same as one document).',
    ],
    invalid: 'the mirror failed on invalid data',
  },
  'sync status': {
    options: [
      ['--db PATH|postgres://…', 'the mirror database; required'],
      ['--service URL', 'the stream whose cursor to show (default: the one the database follows)'],
    ],
    notes: [
      'Prints the cursor, the repositories per state (active, pending, parked, deleted), the records and buffered commits, and on Postgres the leases (owner, token, time left).',
    ],
    invalid: 'the database is not a mirror database',
  },
  'sync records': {
    options: [
      ['--db PATH|postgres://…', 'the mirror database; required'],
      ['--did DID', "only this account's records"],
    ],
    notes: [
      'One line per record: DID, COLLECTION/RKEY and CID (JSON lines {did, collection, rkey, cid} with --json).',
    ],
    invalid: 'the database is not a mirror database',
  },
  'sync changes': {
    options: [
      ['--db PATH|postgres://…', 'the mirror database (run with --change-feed); required'],
      ['--after ID', 'only changes with a larger id (default 0: every change not yet acknowledged)'],
      ['--limit N', 'at most N changes (default 1000)'],
    ],
    notes: [
      'One line per change, oldest first: ID, ACTION (create, update, delete, reset), DID, COLLECTION/RKEY, CID and REV (JSON lines {id, did, collection, rkey, action, cid, rev} with --json). A reset means the repository was replaced: drop what you hold of that DID; its records follow as creates.',
      'Changes stay until acknowledged with `rsky sync ack --id ID`, so a consumer that stops before acknowledging sees them again (at least once; apply by id to make a repeat harmless). Page with --after the last id printed.',
    ],
    invalid: 'the database is not a mirror database',
  },
  'sync ack': {
    options: [
      ['--db PATH|postgres://…', 'the mirror database; required'],
      ['--id ID', 'the last change applied: it and every earlier change are dropped from the feed; required'],
    ],
    notes: ['Acknowledge only what has been applied: an acknowledged change is not printed again.'],
    invalid: 'the database is not a mirror database',
  },
}

export const EXIT_CODES_TEXT: readonly string[] = [
  'exit codes:',
  '  0  all well',
  '  1  the input is invalid (verification or data failure)',
  '  2  usage error (missing, extra or malformed arguments, unknown options), a path that cannot be',
  '     used (an input that cannot be read, an output that cannot be written), or a service that',
  '     cannot be reached or does not answer in time',
]

/** The usage of a command without the `[--json]` every command takes. */
export function usageOf(c: Command): string {
  return `rsky ${c.path.join(' ')} ${c.usage.replace(/\s*\[--json\]/, '')}`.trimEnd()
}

function table(rows: ReadonlyArray<readonly [string, string]>): string[] {
  const width = Math.max(0, ...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)
}

/** Usages longer than this put their summary on the next line, so the table stays readable. */
const LONG_USAGE = 60

function commandTable(shown: readonly Command[]): string[] {
  const usages = shown.map((c) => usageOf(c))
  const width = Math.max(0, ...usages.filter((u) => u.length <= LONG_USAGE).map((u) => u.length))
  return shown.flatMap((c, i) => {
    const u = usages[i]!
    return u.length <= LONG_USAGE
      ? [`  ${u.padEnd(width)}  ${c.summary}`]
      : [`  ${u}`, `  ${' '.repeat(width)}  ${c.summary}`]
  })
}

/** `rsky --help`, or the commands of one group (`rsky repo --help`). */
export function overviewHelp(commands: readonly Command[], group?: string): string {
  const shown = group === undefined ? commands : commands.filter((c) => c.path[0] === group)
  const lines = [
    group === undefined
      ? 'usage: rsky <command> [arguments] [--json]'
      : `usage: rsky ${group} <command> [arguments] [--json]`,
    '',
    'commands:',
    ...commandTable(shown),
    '',
    'options of every command:',
    ...table(COMMON_OPTIONS),
  ]
  if (group === undefined)
    lines.push('', 'rsky --version prints the version; rsky <command> --help describes one command.')
  lines.push('', ...EXIT_CODES_TEXT)
  return lines.join('\n')
}

/** Words of `text` on lines of at most `width` characters. */
function wrap(text: string, width = 100): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else {
      line = line === '' ? word : `${line} ${word}`
    }
  }
  if (line !== '') lines.push(line)
  return lines
}

/** The help of a command: its own, or its entry in COMMAND_HELP. */
export function helpOf(c: Command): CommandHelp | undefined {
  return c.help ?? COMMAND_HELP[c.path.join(' ')]
}

/** `rsky <command> --help`. */
export function commandHelp(c: Command): string {
  const help = helpOf(c)
  const summary = `${c.summary.charAt(0).toUpperCase()}${c.summary.slice(1)}.`
  const lines = [`usage: ${usageOf(c)} [--json]`, '', ...wrap(summary)]
  for (const note of help?.notes ?? []) lines.push('', ...wrap(note))
  lines.push('', 'options:', ...table([...(help?.options ?? []), ...COMMON_OPTIONS]))
  lines.push(
    '',
    'exit codes:',
    '  0  all well',
    `  1  ${help?.invalid ?? 'the input is invalid'}`,
    '  2  usage error, a path that cannot be used (unreadable input, unwritable output), or a service',
    '     that cannot be reached or does not answer in time',
  )
  return lines.join('\n')
}
