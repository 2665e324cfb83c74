// `rsky sync run|status|records|changes|ack`: the durable sync engine of @rsky/mirror from the command line.
// @rsky/mirror needs node:sqlite (Node 22.13+), so it is loaded only when one of these runs.

import { hostname } from 'node:os'
import { isValidNsid } from '@rsky/syntax'
import type { Command, CommandInput } from '../command.ts'
import { EXIT_OK, UsageError } from '../errors.ts'
import { keyValueLines } from '../output.ts'

type Mirror = typeof import('@rsky/mirror')
type Store = Awaited<ReturnType<Mirror['openMirrorStore']>>

async function loadMirror(): Promise<Mirror> {
  try {
    return await import('@rsky/mirror')
  } catch (err) {
    throw new UsageError(`rsky sync needs Node 22.13 or later (node:sqlite): ${(err as Error).message}`, {
      io: true,
      cause: err,
    })
  }
}

/** Values of a repeatable, comma-separated option. */
function listOf(v: unknown): string[] | undefined {
  if (v === undefined) return undefined
  const parts = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(','))
  return parts.map((s) => s.trim()).filter((s) => s !== '')
}

function stringOf(v: unknown, name: string, required: true): string
function stringOf(v: unknown, name: string, required: false): string | undefined
function stringOf(v: unknown, name: string, required: boolean): string | undefined {
  const s = Array.isArray(v) ? v[v.length - 1] : v
  if (s === undefined) {
    if (required) throw new UsageError(`--${name} is required`)
    return undefined
  }
  return String(s)
}

/** A bad `--db` or an unreachable host: exit 2 with one line. */
function asUsage(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code
  if (
    code === 'BAD_DATABASE' ||
    code === 'HOST_UNREACHABLE' ||
    code === 'SCOPE_UNSUPPORTED' ||
    code === 'LEASE_UNSUPPORTED'
  )
    return new UsageError(`${code}: ${(err as Error).message}`, { io: true, cause: err })
  return err
}

async function open(
  mirror: Mirror,
  db: string,
  opts: Parameters<Mirror['openMirrorStore']>[1] = {},
): Promise<Store> {
  try {
    return await mirror.openMirrorStore(db, opts)
  } catch (err) {
    throw asUsage(err)
  }
}

/** Opens the mirror database `db` names, runs `fn` on it and closes it. */
async function withStore<T>(db: string, fn: (store: Store, mirror: Mirror) => Promise<T>): Promise<T> {
  const mirror = await loadMirror()
  const store = await open(mirror, db)
  try {
    return await fn(store, mirror)
  } finally {
    await store.close()
  }
}

function httpService(s: string): string {
  let u: URL
  try {
    u = new URL(s.replace(/^ws(s?):\/\//, 'http$1://'))
  } catch {
    throw new UsageError(`--service is not a URL; service=${s}`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new UsageError(`--service must be http(s) or ws(s); service=${s}`)
  return u.origin
}

/** `--lease [--owner ID] [--partitions N] [--lease-ttl MS]` as the engine's lease option. */
function leaseOf(
  values: CommandInput['values'],
  sharded: boolean,
): { owner: string; partitions: number; ttlMs: number } | undefined {
  const owner = stringOf(values['owner'], 'owner', false)
  const parts = stringOf(values['partitions'], 'partitions', false)
  const ttl = stringOf(values['lease-ttl'], 'lease-ttl', false)
  if (values['lease'] !== true) {
    if (owner !== undefined || parts !== undefined || ttl !== undefined)
      throw new UsageError('--owner, --partitions and --lease-ttl go with --lease')
    return undefined
  }
  if (sharded) throw new UsageError('--lease and --shard are two ways to divide the accounts; give one')
  const partitions = Number(parts ?? 16)
  if (!(Number.isSafeInteger(partitions) && partitions > 0 && partitions <= 4096))
    throw new UsageError(`--partitions must be an integer in 1..4096; partitions=${parts}`)
  const ttlMs = Number(ttl ?? 10_000)
  if (!(Number.isSafeInteger(ttlMs) && ttlMs >= 100))
    throw new UsageError(`--lease-ttl must be at least 100 (ms); lease-ttl=${ttl}`)
  if (owner !== undefined && owner.trim() === '') throw new UsageError('--owner must not be empty')
  return { owner: owner ?? `${hostname()}-${process.pid}`, partitions, ttlMs }
}

const run: Command = {
  path: ['sync', 'run'],
  usage:
    '--service URL --db PATH|postgres://… [--plc URL] [--dids DID,…] [--scope-collection NSID,…] [--collections NSID,…] [--concurrency N] [--rate-limit N] [--shard I/N | --lease [--owner ID] [--partitions N] [--lease-ttl MS]] [--auth-threads N] [--change-feed] [--until-idle]',
  summary: 'backfill repositories and follow the firehose into SQLite or Postgres until SIGINT/SIGTERM',
  arity: [0, 0],
  options: {
    service: { type: 'string' },
    db: { type: 'string' },
    plc: { type: 'string' },
    dids: { type: 'string', multiple: true },
    'scope-collection': { type: 'string', multiple: true },
    collections: { type: 'string', multiple: true },
    concurrency: { type: 'string' },
    'rate-limit': { type: 'string' },
    shard: { type: 'string' },
    lease: { type: 'boolean' },
    owner: { type: 'string' },
    partitions: { type: 'string' },
    'lease-ttl': { type: 'string' },
    'auth-threads': { type: 'string' },
    'change-feed': { type: 'boolean' },
    'until-idle': { type: 'boolean' },
  },
  async run({ values, out, streams }: CommandInput) {
    const service = httpService(stringOf(values['service'], 'service', true))
    const db = stringOf(values['db'], 'db', true)
    const plc = stringOf(values['plc'], 'plc', false)
    const concurrency = Number(stringOf(values['concurrency'], 'concurrency', false) ?? 4)
    if (!(Number.isSafeInteger(concurrency) && concurrency > 0))
      throw new UsageError('--concurrency must be a positive integer')
    const rateText = stringOf(values['rate-limit'], 'rate-limit', false)
    const rate = rateText === undefined ? undefined : Number(rateText)
    if (rate !== undefined && !(Number.isFinite(rate) && rate > 0))
      throw new UsageError(
        `--rate-limit must be a positive number of getRepo requests per second; rate-limit=${rateText}`,
      )
    const shardText = stringOf(values['shard'], 'shard', false)
    const shardMatch = shardText === undefined ? null : /^(\d+)\/(\d+)$/.exec(shardText)
    if (shardText !== undefined && (shardMatch === null || Number(shardMatch[1]) >= Number(shardMatch[2])))
      throw new UsageError(`--shard must be I/N with 0 <= I < N; shard=${shardText}`)
    const shard =
      shardMatch === null ? undefined : { index: Number(shardMatch[1]), count: Number(shardMatch[2]) }
    const dids = listOf(values['dids'])
    const collections = listOf(values['collections'])
    const scopeCollections = listOf(values['scope-collection'])
    if (scopeCollections !== undefined) {
      if (dids !== undefined) throw new UsageError('--dids and --scope-collection are two scopes; give one')
      const bad = scopeCollections.find((c) => !isValidNsid(c))
      if (bad !== undefined || scopeCollections.length === 0)
        throw new UsageError(`--scope-collection must be NSIDs; scope-collection=${bad ?? ''}`)
    }
    const lease = leaseOf(values, shard !== undefined)
    const authText = stringOf(values['auth-threads'], 'auth-threads', false)
    const authThreads =
      authText === undefined ? (await import('@rsky/sync/node')).defaultAuthThreads() : Number(authText)
    if (!(Number.isSafeInteger(authThreads) && authThreads >= 0 && authThreads <= 64))
      throw new UsageError(`--auth-threads must be an integer in 0..64; auth-threads=${authText}`)
    const mirror = await loadMirror()
    // A long run checkpoints the WAL on a worker thread, off the writing thread.
    const store = await open(mirror, db, {
      changeFeed: values['change-feed'] === true,
      sqlite: { backgroundCheckpoint: true },
    })
    let lastError = 0
    let engine: InstanceType<Mirror['MirrorEngine']>
    try {
      engine = newEngine()
    } catch (err) {
      await store.close()
      throw asUsage(err)
    }
    function newEngine(): InstanceType<Mirror['MirrorEngine']> {
      return new mirror.MirrorEngine({
        store,
        service,
        ...(plc === undefined ? {} : { plcUrl: plc }),
        ...(dids === undefined ? {} : { dids }),
        ...(scopeCollections === undefined ? {} : { scopeCollections }),
        ...(collections === undefined ? {} : { collections }),
        ...(shard === undefined ? {} : { shard }),
        concurrency,
        ...(rate === undefined ? {} : { rateLimit: { requestsPerSecond: rate } }),
        ...(lease === undefined ? {} : { lease }),
        authThreads,
        onReject: (r) => out.warn(`rejected ${r.did ?? ''} ${r.code}: ${r.message}`),
        onError: (err) => {
          // recovered from (a dropped connection, a store write retried): one line, at most every few seconds
          const now = Date.now()
          if (now - lastError < 5_000) return
          lastError = now
          out.warn(`retrying after: ${(err as Error)?.message ?? String(err)}`)
        },
      })
    }
    const started = Date.now()
    const stop = new AbortController()
    const onSignal = (): void => stop.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    let timer: ReturnType<typeof setInterval> | undefined
    try {
      try {
        await engine.start()
      } catch (err) {
        throw asUsage(err)
      }
      let lastRecords = 0
      let lastAt = Date.now()
      const draw = async (): Promise<void> => {
        const s = await store.status(engine.stream)
        const now = Date.now()
        const rate = ((engine.stats.recordsWritten - lastRecords) * 1000) / Math.max(1, now - lastAt)
        lastRecords = engine.stats.recordsWritten
        lastAt = now
        const total = s.repos.active + s.repos.pending + s.repos.parked
        const t = engine.stats.lastEventTime
        const lag = t === undefined ? '-' : `${Math.max(0, (now - Date.parse(t)) / 1000).toFixed(1)} s`
        streams.stderr.write(
          `\rrepos ${s.repos.active}/${total} (parked ${s.repos.parked})  records/s ${rate.toFixed(0)}  lag ${lag}  cursor ${s.cursor ?? '-'}   `,
        )
      }
      if (streams.stderr.isTTY) timer = setInterval(() => void draw().catch(() => {}), 1000)
      if (values['until-idle'] === true) {
        while (!stop.signal.aborted) {
          try {
            await engine.idle(1_000)
            break
          } catch {}
        }
      } else {
        await new Promise<void>((resolve) =>
          stop.signal.addEventListener('abort', () => resolve(), { once: true }),
        )
      }
    } finally {
      if (timer) {
        clearInterval(timer)
        streams.stderr.write('\n')
      }
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      await engine.stop()
    }
    const s = await store.status(engine.stream)
    await store.close()
    const result = { ...s, stats: engine.stats, seconds: (Date.now() - started) / 1000 }
    out.result(result)
    for (const line of keyValueLines([
      [
        'repos',
        `${s.repos.active} active, ${s.repos.pending} pending, ${s.repos.parked} parked, ${s.repos.deleted} deleted`,
      ],
      ['records', s.records],
      ['cursor', s.cursor ?? '-'],
      [
        'commits',
        `${engine.stats.commitsApplied} applied, ${engine.stats.commitsBuffered} buffered, ${engine.stats.rejected} rejected`,
      ],
    ]))
      out.line(line)
    return EXIT_OK
  },
}

const status: Command = {
  path: ['sync', 'status'],
  usage: '--db PATH|postgres://… [--service URL] [--json]',
  summary: 'the cursor and the repositories per state of a mirror database',
  arity: [0, 0],
  options: { db: { type: 'string' }, service: { type: 'string' } },
  async run({ values, out }: CommandInput) {
    const db = stringOf(values['db'], 'db', true)
    const service = stringOf(values['service'], 'service', false)
    await withStore(db, async (store, mirror) => {
      const s = await store.status(service === undefined ? undefined : httpService(service))
      const leases = mirror.isLeaseStore(store) ? await store.listLeases() : []
      out.result(leases.length === 0 ? s : { ...s, leases })
      for (const line of keyValueLines([
        ['cursor', s.cursor ?? '-'],
        ['active', s.repos.active],
        ['pending', s.repos.pending],
        ['parked', s.repos.parked],
        ['deleted', s.repos.deleted],
        ['records', s.records],
        ['buffered', s.buffered],
        ...leases.map((l): [string, string] => [
          `lease ${l.partition}`,
          l.owner === undefined || l.expiresInMs === 0
            ? `free (${l.group})`
            : `${l.owner}, token ${l.token}, ${(l.expiresInMs / 1000).toFixed(1)} s left`,
        ]),
      ]))
        out.line(line)
    })
    return EXIT_OK
  },
}

const records: Command = {
  path: ['sync', 'records'],
  usage: '--db PATH|postgres://… [--did DID] [--json]',
  summary: 'every record a mirror holds: one JSON line {"did","collection","rkey","cid"} each with --json',
  arity: [0, 0],
  options: { db: { type: 'string' }, did: { type: 'string' } },
  async run({ values, out }: CommandInput) {
    const db = stringOf(values['db'], 'db', true)
    const did = stringOf(values['did'], 'did', false)
    await withStore(db, async (store) => {
      for await (const r of store.records(did === undefined ? {} : { did })) {
        out.item({ did: r.did, collection: r.collection, rkey: r.rkey, cid: r.cid })
        out.line(`${r.did} ${r.collection}/${r.rkey} ${r.cid}`)
      }
    })
    return EXIT_OK
  },
}

/** An integer option of at least `min` (a change id or a count). */
function countOf(v: unknown, name: string, fallback: number, min: number): number {
  const text = stringOf(v, name, false)
  if (text === undefined) return fallback
  const n = Number(text)
  if (!(Number.isSafeInteger(n) && n >= min))
    throw new UsageError(`--${name} must be an integer >= ${min}; ${name}=${text}`)
  return n
}

const changes: Command = {
  path: ['sync', 'changes'],
  usage: '--db PATH|postgres://… [--after ID] [--limit N] [--json]',
  summary: 'the change feed of a mirror run with --change-feed: changes not yet acknowledged, oldest first',
  arity: [0, 0],
  options: { db: { type: 'string' }, after: { type: 'string' }, limit: { type: 'string' } },
  async run({ values, out }: CommandInput) {
    const db = stringOf(values['db'], 'db', true)
    const after = countOf(values['after'], 'after', 0, 0)
    const limit = countOf(values['limit'], 'limit', 1000, 1)
    await withStore(db, async (store) => {
      for (const ch of await store.readChanges(after, limit)) {
        out.item({ ...ch })
        out.line(`${ch.id} ${ch.action} ${ch.did} ${ch.collection}/${ch.rkey} ${ch.cid ?? '-'} ${ch.rev}`)
      }
    })
    return EXIT_OK
  },
}

const ack: Command = {
  path: ['sync', 'ack'],
  usage: '--db PATH|postgres://… --id ID',
  summary: 'acknowledge the change feed up to and including ID (those changes are dropped)',
  arity: [0, 0],
  options: { db: { type: 'string' }, id: { type: 'string' } },
  async run({ values, out }: CommandInput) {
    const db = stringOf(values['db'], 'db', true)
    if (values['id'] === undefined) throw new UsageError('--id is required')
    const id = countOf(values['id'], 'id', 0, 1)
    await withStore(db, async (store) => {
      await store.ackChanges(id)
    })
    out.result({ acknowledged: id })
    out.line(`acknowledged changes up to ${id}`)
    return EXIT_OK
  },
}

export const syncCommands: Command[] = [run, status, records, changes, ack]
