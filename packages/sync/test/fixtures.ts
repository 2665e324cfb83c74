// Test-only: the set-ups several sync test files share.
import type { LexMap } from '@rsky/dag-cbor'
import { type CommitEvent, parseCommitEvent } from '../src/events.ts'
import { Firehose, type FirehoseEvent, type FirehoseOptions } from '../src/firehose.ts'
import { type KeyResolver, staticKeys } from '../src/keys.ts'
import { type ReplayServer, type ScriptItem, startReplayServer } from './server.ts'
import { type Account, generateStream, keyTable, makeAccounts, rng, type StreamEvent } from './stream.ts'

/** A `#commit` body parsed into a CommitEvent; throws with the issues when it does not parse. */
export function commitEventOf(body: LexMap): CommitEvent {
  const r = parseCommitEvent(body)
  if (!r.success) throw new Error(JSON.stringify(r.issues))
  return r.value
}

/** Seeded accounts, a generated stream over them and a key resolver that knows every account. */
export interface SeededStream {
  accounts: Account[]
  stream: StreamEvent[]
  keys: KeyResolver
}

/** `accounts` accounts and an `events`-long stream from `rng(seed)`; `commitsOnly` keeps the `#commit` events. */
export async function seededStream(
  seed: number,
  accounts: number,
  events: number,
  opts: { commitsOnly?: boolean } = {},
): Promise<SeededStream> {
  const rand = rng(seed)
  const accts = await makeAccounts(accounts, rand)
  const all = await generateStream(accts, events, rand)
  const stream = opts.commitsOnly === true ? all.filter((e) => e.t === '#commit') : all
  return { accounts: accts, stream, keys: staticKeys(keyTable(accts)) }
}

/** What a Firehose run against a replay server ended with. */
export interface ReplayRun {
  /** Each rejection as `seq code message`. */
  rejected: string[]
  connections: ReplayServer['connections']
}

/**
 * Serves `script` from a loopback replay server to a Firehose with `options` until `onEvent` calls
 * `done`, then stops the Firehose and closes the server.
 */
export async function replayThroughFirehose(
  script: ScriptItem[],
  options: Omit<FirehoseOptions, 'service' | 'onEvent' | 'onReject'>,
  onEvent: (e: FirehoseEvent, done: () => void) => void,
): Promise<ReplayRun> {
  const server = await startReplayServer(script)
  const rejected: string[] = []
  let fh!: Firehose
  try {
    await new Promise<void>((resolve) => {
      fh = new Firehose({
        ...options,
        service: server.url,
        onEvent: (e) => onEvent(e, resolve),
        onReject: (r) => {
          rejected.push(`${r.seq} ${r.code} ${r.message}`)
        },
      })
      void fh.start()
    })
    await fh.stop()
  } finally {
    await server.close()
  }
  return { rejected, connections: server.connections }
}
