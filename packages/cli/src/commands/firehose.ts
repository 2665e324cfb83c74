// `rsky firehose`: one line per event of com.atproto.sync.subscribeRepos until interrupted, each
// commit checked as asked (--verify full: signature, proof inversion and chain; sig: signature
// only; none), and a line for every rejected event with its reason.
import { readCar } from '@rsky/car'
import { type Cid, decode, lexToJson } from '@rsky/dag-cbor'
import { IdResolver } from '@rsky/identity'
import { decodeCommit, verifyCommitSignature } from '@rsky/repo'
import { type CommitEvent, Firehose, type FirehoseEvent, type FirehoseRejection } from '@rsky/sync'
import { isValidNsid } from '@rsky/syntax'
import type { Command } from '../command.ts'
import { EXIT_OK, UsageError } from '../errors.ts'
import { note } from '../progress.ts'
import { netOf, ServiceError } from './net.ts'
import { intOption } from './syntax.ts'

const VERIFY = ['none', 'sig', 'full'] as const
type VerifyMode = (typeof VERIFY)[number]

/** `--collections a.b.c,d.e.*`: exact NSIDs and `prefix.*` patterns. */
function collectionFilter(v: unknown): ((collection: string) => boolean) | undefined {
  if (v === undefined) return undefined
  const items = (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(',')).filter((s) => s !== '')
  const exact = new Set<string>()
  const prefixes: string[] = []
  for (const item of items) {
    if (item.endsWith('.*') && isValidNsid(`${item.slice(0, -2)}.x`)) prefixes.push(item.slice(0, -1))
    else if (isValidNsid(item)) exact.add(item)
    else throw new UsageError(`--collections takes NSIDs or NSID prefixes ending in .*; got ${item}`)
  }
  return (c) => exact.has(c) || prefixes.some((p) => c.startsWith(p))
}

/** The record blocks of a commit's CAR slice, by CID string (for none/sig, where nothing else decoded them). */
function recordsOf(evt: CommitEvent): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>()
  try {
    const { blocks } = readCar(evt.blocks)
    for (const op of evt.ops) {
      if (op.cid === null) continue
      const bytes = blocks.get(op.cid)
      if (bytes !== undefined) out.set(op.cid.toString(), bytes)
    }
  } catch {
    // A bad slice: the ops are still printed, without records (--verify full would reject it).
  }
  return out
}

function recordJson(bytes: Uint8Array | null | undefined): unknown {
  if (bytes == null) return null
  try {
    return lexToJson(decode(bytes))
  } catch {
    return null
  }
}

const showCid = (c: Cid | null | undefined): string | null => (c == null ? null : c.toString())

const firehose: Command = {
  path: ['firehose'],
  help: {
    options: [
      ['--service URL', 'the relay or PDS (wss://, ws://, https:// or http://; default wss://bsky.network)'],
      ['--cursor N', 'start after sequence number N (default: live events only)'],
      [
        '--collections NSID,...',
        'only commits touching these collections (NSIDs, or prefixes like app.bsky.feed.*); repeatable',
      ],
      [
        '--verify none|sig|full',
        'full (default): signature, the ops proven by inverting them against the commit, the rev chain; sig: the commit signature only; none: frames and events parsed, nothing checked',
      ],
      ['--limit N', 'stop after printing N lines'],
      ['--plc URL', 'PLC directory for the signing keys of did:plc accounts (default https://plc.directory)'],
      ['--timeout SECONDS', 'how long to wait for the first connection and each key lookup (default 15)'],
    ],
    notes: [
      'Prints one line per event until interrupted (Ctrl-C) or --limit: commits with their ops, #sync, #identity, #account and #info, a REJECTED line with the code and reason for every event that fails its checks, and (--verify full) a RESYNCED line when a repository was fetched and verified again after a gap in its chain. The lines of one account come in sequence order; those of different accounts may interleave. With --json, one JSON object per line: {type: "commit", seq, did, rev, time, commit, verified, ops: [{action, path, cid, prev, record}]}, {type: "rejected", seq, did, t, code, message, resync}, ...',
    ],
    invalid: 'never (rejected events are printed, not fatal)',
  },
  usage:
    '[--service URL] [--cursor N] [--collections NSID,...] [--verify none|sig|full] [--limit N] [--plc URL] [--timeout SECONDS] [--json]',
  summary:
    'one line per event of a repository event stream until interrupted, with the reason for every rejected event',
  options: {
    service: { type: 'string' },
    cursor: { type: 'string' },
    collections: { type: 'string', multiple: true },
    verify: { type: 'string' },
    limit: { type: 'string' },
    plc: { type: 'string' },
    timeout: { type: 'string' },
  },
  lines: true,
  arity: [0, 0],
  async run({ values, out, streams }) {
    const net = netOf(values)
    const service = String(values['service'] ?? 'wss://bsky.network').replace(/\/+$/, '')
    if (!/^(wss?|https?):\/\//i.test(service) || !URL.canParse(service)) {
      throw new UsageError(`--service is not a URL; service=${service}`)
    }
    const wsService = service.replace(/^http(s?):\/\//i, 'ws$1://')
    const verify = (values['verify'] as string | undefined) ?? 'full'
    if (!(VERIFY as readonly string[]).includes(verify)) {
      throw new UsageError(`--verify must be none, sig or full; verify=${verify}`)
    }
    const mode = verify as VerifyMode
    const cursor = intOption('cursor', values['cursor'], 0, Number.MAX_SAFE_INTEGER)
    const limit = intOption('limit', values['limit'], 1, Number.MAX_SAFE_INTEGER)
    const wanted = collectionFilter(values['collections'])
    const ids = new IdResolver({ timeoutMs: net.timeoutMs, did: { plcUrl: net.plc } })

    let printed = 0
    let finish: (() => void) | undefined
    const finished = new Promise<void>((resolve) => {
      finish = resolve
    })
    const emit = (json: Record<string, unknown>, text: string): void => {
      if (limit !== undefined && printed >= limit) return
      printed++
      out.item(json)
      out.line(text)
      if (limit !== undefined && printed >= limit) finish?.()
    }
    const reject = (r: FirehoseRejection): void => {
      // With --collections, a rejected #commit is still shown (its ops cannot be trusted to say
      // whether it mattered); other rejected events are not.
      if (wanted !== undefined && r.t !== '#commit') return
      emit(
        {
          type: 'rejected',
          seq: r.seq ?? null,
          did: r.did ?? null,
          t: r.t ?? null,
          code: r.code,
          message: r.message,
          resync: r.resync,
        },
        `${r.seq ?? '-'}  ${r.did ?? '-'}  REJECTED ${r.t ?? ''} ${r.code}: ${r.message}`,
      )
    }

    /**
     * --verify sig: the commit block in the event's CAR slice (`commit`, or the slice's root for
     * #sync) must be for `did` and carry a valid signature by the account's current key; otherwise
     * a REJECTED line and false.
     */
    const signatureOk = async (
      car: Uint8Array,
      commitCid: Cid | undefined,
      did: string,
      seq: number,
      t: '#commit' | '#sync',
    ): Promise<boolean> => {
      const problem = await (async () => {
        const { roots, blocks } = readCar(car)
        const cid = commitCid ?? roots[0]
        const bytes = cid === undefined ? undefined : blocks.get(cid)
        if (cid === undefined || bytes === undefined) return 'commit block missing from the CAR slice'
        const commit = decodeCommit(bytes, cid)
        if (commit.did !== did) return `commit is for ${commit.did}`
        return verifyCommitSignature(commit, await ids.resolveAtprotoKey(did)) ? undefined : 'bad signature'
      })().catch((err: unknown) => `cannot check: ${(err as Error).message}`)
      if (problem === undefined) return true
      reject({
        code: problem === 'bad signature' ? 'BAD_SIGNATURE' : 'BAD_COMMIT',
        message: problem,
        seq,
        did,
        t,
        resync: false,
      })
      return false
    }

    const onCommit = async (e: Extract<FirehoseEvent, { type: 'commit' }>): Promise<void> => {
      const evt = e.event
      const ops = evt.ops.filter(
        (op) => wanted === undefined || wanted(op.path.slice(0, op.path.indexOf('/'))),
      )
      if (ops.length === 0 && wanted !== undefined) return
      if (mode === 'sig' && !(await signatureOk(evt.blocks, evt.commit, evt.repo, evt.seq, '#commit'))) return
      const records = e.verified
        ? new Map(e.verified.ops.map((op) => [showCid(op.cid) ?? '', op.record]))
        : recordsOf(evt)
      const rows = ops.map((op) => ({
        action: op.action,
        path: op.path,
        cid: showCid(op.cid),
        prev: showCid(op.prev),
        record: op.cid === null ? null : recordJson(records.get(op.cid.toString())),
      }))
      emit(
        {
          type: 'commit',
          seq: evt.seq,
          did: evt.repo,
          rev: evt.rev,
          time: evt.time,
          commit: evt.commit.toString(),
          verified: mode,
          ops: rows,
        },
        `${evt.seq}  ${evt.repo}  #commit ${evt.rev}  ${rows.map((r) => `${r.action} ${r.path}`).join(', ') || '(no ops)'}`,
      )
    }

    const onEvent = async (e: FirehoseEvent): Promise<void> => {
      // --collections keeps the commits that touch them and nothing else.
      if (wanted !== undefined && e.type !== 'commit') return
      switch (e.type) {
        case 'commit':
          return onCommit(e)
        case 'sync':
          if (mode === 'sig' && !(await signatureOk(e.event.blocks, undefined, e.did, e.seq, '#sync'))) return
          return emit(
            {
              type: 'sync',
              seq: e.seq,
              did: e.did,
              rev: e.event.rev,
              time: e.event.time,
              verified: mode,
            },
            `${e.seq}  ${e.did}  #sync ${e.event.rev}`,
          )
        case 'identity':
          return emit(
            { type: 'identity', seq: e.seq, did: e.did, time: e.event.time, handle: e.event.handle ?? null },
            `${e.seq}  ${e.did}  #identity ${e.event.handle ?? ''}`,
          )
        case 'account':
          return emit(
            {
              type: 'account',
              seq: e.seq,
              did: e.did,
              time: e.event.time,
              active: e.event.active,
              status: e.event.status ?? null,
            },
            `${e.seq}  ${e.did}  #account ${e.event.active ? 'active' : `inactive (${e.event.status ?? 'no status'})`}`,
          )
        case 'info':
          return emit(
            { type: 'info', name: e.event.name, message: e.event.message ?? null },
            `-  #info ${e.event.name}${e.event.message ? `: ${e.event.message}` : ''}`,
          )
        default:
          return emit({ type: 'unknown', t: e.event.t }, `-  unknown message ${e.event.t}`)
      }
    }

    let lastError: unknown
    const fh = new Firehose({
      service: wsService,
      ...(cursor !== undefined ? { cursor } : {}),
      onEvent,
      onReject: reject,
      // --verify full: a repository fetched and verified again after a gap in its chain.
      onResync: (repo) => {
        if (wanted !== undefined) return
        emit(
          {
            type: 'resync',
            did: repo.did,
            rev: repo.rev,
            commit: repo.commit.toString(),
            records: repo.records,
          },
          `-  ${repo.did}  RESYNCED rev ${repo.rev}: ${repo.records} records, commit ${repo.commit.toString()}`,
        )
      },
      onError: (err) => {
        lastError = err
      },
      authenticate: mode === 'full',
      keys: ids,
      // One account at a time: each account's lines are in sequence order (the client keeps that
      // order per DID); lines of different accounts may interleave when events arrive in a burst.
      concurrency: 1,
      ...(mode === 'full' ? {} : { fetchRepo: null }),
    })
    const stopSignals = ['SIGINT', 'SIGTERM'] as const
    const onSignal = () => finish?.()
    for (const s of stopSignals) process.on(s, onSignal)
    // A service that never accepts the connection is an error (exit 2), not an endless wait.
    const connectTimer = setTimeout(() => {
      if (fh.stats.connections === 0) finish?.()
    }, net.timeoutMs)
    try {
      await fh.start()
      await finished
    } finally {
      clearTimeout(connectTimer)
      for (const s of stopSignals) process.off(s, onSignal)
      await fh.stop()
    }
    if (fh.stats.connections === 0) {
      throw new ServiceError(
        'SERVICE_UNREACHABLE',
        `${wsService}/xrpc/com.atproto.sync.subscribeRepos`,
        lastError,
      )
    }
    note(
      streams.stderr,
      `${fh.stats.received} events received, ${fh.stats.delivered} delivered, ${fh.stats.rejected} rejected; cursor ${fh.cursor ?? '-'}`,
    )
    return EXIT_OK
  },
}

export const firehoseCommands: Command[] = [firehose]
