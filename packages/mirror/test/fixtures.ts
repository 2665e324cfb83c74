// Small signed repositories and firehose frames made with @rsky/repo, for tests without a PDS.
import { writeCar } from '@rsky/car'
import { Secp256k1Keypair } from '@rsky/crypto'
import type { Cid, LexMap } from '@rsky/dag-cbor'
import { type CommitData, exportRepoCarBytes, MemoryRepoStorage, type RecordWrite, Repo } from '@rsky/repo'
import { encodeMessageFrame, type KeyResolver, staticKeys } from '@rsky/sync'
import { MirrorError } from '../src/index.ts'

export interface TestAccount {
  did: string
  keypair: Secp256k1Keypair
  repo: Repo
  storage: MemoryRepoStorage
}

const TIME = new Date().toISOString()

function posts(from: number, n: number): RecordWrite[] {
  return Array.from({ length: n }, (_, i) => ({
    action: 'create' as const,
    collection: 'app.bsky.feed.post',
    rkey: `3k${String(from + i).padStart(11, '0')}`,
    record: { $type: 'app.bsky.feed.post', text: `post ${from + i}`, createdAt: TIME },
  }))
}

/** An account whose repository holds `records` posts. */
export async function makeAccount(did: string, records: number, seedHex?: string): Promise<TestAccount> {
  const keypair = seedHex === undefined ? Secp256k1Keypair.create() : Secp256k1Keypair.import(seedHex)
  const storage = new MemoryRepoStorage()
  const repo = await Repo.create({ storage, did, keypair, writes: posts(0, records) })
  return { did, keypair, repo, storage }
}

export function carOf(a: TestAccount): Promise<Uint8Array> {
  return exportRepoCarBytes(a.storage)
}

/** Adds `n` posts in one commit; returns its `#commit` frame at `seq`. */
export async function commitFrame(
  a: TestAccount,
  seq: number,
  from: number,
  n: number,
): Promise<{ frame: Uint8Array; data: CommitData }> {
  const data = await a.repo.formatCommit(posts(from, n), a.keypair)
  a.repo = await a.repo.applyCommit(data)
  return { frame: encodeMessageFrame('#commit', commitBody(a.did, seq, data)), data }
}

export function commitBody(did: string, seq: number, c: CommitData): LexMap {
  const body: LexMap = {
    seq,
    rebase: false,
    tooBig: false,
    repo: did,
    commit: c.cid,
    rev: c.rev,
    since: c.since,
    blocks: writeCar([c.cid], c.relevantBlocks),
    ops: c.ops.map((op) => {
      const o: LexMap = { action: op.action, path: op.path, cid: op.cid }
      if (op.prev) o.prev = op.prev
      return o
    }),
    blobs: [],
    time: new Date().toISOString(),
  }
  if (c.prevData) body.prevData = c.prevData as Cid
  return body
}

/** A key table of the accounts (@rsky/sync `staticKeys`). */
export function keysOf(...accounts: TestAccount[]): KeyResolver {
  return staticKeys(new Map(accounts.map((a) => [a.did, a.keypair.did()])))
}

/** `bytes` as a source of one chunk. */
export async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes
}

/** 'ok' when `p` resolves, else the code of the MirrorError it rejects with (anything else is rethrown). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'ok'
  } catch (err) {
    if (!(err instanceof MirrorError)) throw err
    return err.code
  }
}
