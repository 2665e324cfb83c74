// Test-only: builds firehose event streams from real @rsky/repo repositories.
import { writeCar } from '@rsky/car'
import { type Keypair, P256Keypair, Secp256k1Keypair } from '@rsky/crypto'
import type { Cid, LexMap } from '@rsky/dag-cbor'
import { type CommitData, MemoryRepoStorage, type RecordWrite, Repo } from '@rsky/repo'
import { Tid } from '@rsky/syntax'
import { encodeMessageFrame } from '../src/frame.ts'

/** Seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const B32 = 'abcdefghijklmnopqrstuvwxyz234567'

export interface Account {
  did: string
  keypair: Keypair
  repo: Repo
  storage: MemoryRepoStorage
  records: string[]
  counter: number
}

export function keyFromRandom(rand: () => number, curve: 'k256' | 'p256'): Keypair {
  const bytes = new Uint8Array(32)
  for (let i = 0; i < 32; i++) bytes[i] = Math.floor(rand() * 256)
  bytes[0] = (bytes[0] as number) & 0x7f // stay below both curve orders
  bytes[31] = (bytes[31] as number) | 1 // never zero
  return curve === 'k256' ? Secp256k1Keypair.import(bytes) : P256Keypair.import(bytes)
}

export async function makeAccounts(
  n: number,
  rand: () => number,
  curve: (i: number) => 'k256' | 'p256' = (i) => (i % 2 === 0 ? 'k256' : 'p256'),
): Promise<Account[]> {
  const out: Account[] = []
  for (let i = 0; i < n; i++) {
    let id = ''
    for (let j = 0; j < 24; j++) id += B32[Math.floor(rand() * 32)]
    const did = `did:plc:${id}`
    const keypair = keyFromRandom(rand, curve(i))
    const storage = new MemoryRepoStorage()
    const repo = await Repo.create({ storage, did, keypair })
    out.push({ did, keypair, repo, storage, records: [], counter: 0 })
  }
  return out
}

export function keyTable(accounts: Account[]): Map<string, string> {
  return new Map(accounts.map((a) => [a.did, a.keypair.did()]))
}

const COLLECTIONS = ['app.bsky.feed.post', 'app.bsky.feed.like', 'app.bsky.graph.follow']

/** 1–`maxOps` random writes against an account's current records. */
export function randomWrites(acct: Account, rand: () => number, maxOps = 5): RecordWrite[] {
  const n = 1 + Math.floor(rand() * maxOps)
  const writes: RecordWrite[] = []
  const used = new Set<string>()
  for (let i = 0; i < n; i++) {
    const r = rand()
    const existing = acct.records.filter((p) => !used.has(p))
    if (r < 0.2 && existing.length > 0) {
      const path = existing[Math.floor(rand() * existing.length)] as string
      used.add(path)
      const [collection, rkey] = path.split('/') as [string, string]
      writes.push({ action: 'delete', collection, rkey })
    } else if (r < 0.4 && existing.length > 0) {
      const path = existing[Math.floor(rand() * existing.length)] as string
      used.add(path)
      const [collection, rkey] = path.split('/') as [string, string]
      writes.push({
        action: 'update',
        collection,
        rkey,
        record: { $type: collection, text: `u${acct.counter++}` },
      })
    } else {
      const collection = COLLECTIONS[Math.floor(rand() * COLLECTIONS.length)] as string
      const rkey = Tid.fromTime(
        1_700_000_000_000_000 + acct.counter++ * 1000,
        Math.floor(rand() * 1024),
      ).toString()
      const path = `${collection}/${rkey}`
      used.add(path)
      writes.push({
        action: 'create',
        collection,
        rkey,
        record: { $type: collection, text: `c${acct.counter}`, n: acct.counter },
      })
    }
  }
  return writes
}

/** Applies writes, returning the commit data; updates the account's record list. */
export async function commit(acct: Account, writes: RecordWrite[]): Promise<CommitData> {
  const data = await acct.repo.formatCommit(writes, acct.keypair)
  acct.repo = await acct.repo.applyCommit(data)
  for (const w of writes) {
    const path = `${w.collection}/${w.rkey}`
    if (w.action === 'create') acct.records.push(path)
    if (w.action === 'delete') acct.records = acct.records.filter((p) => p !== path)
  }
  return data
}

const TIME = '2024-01-01T00:00:00.000Z'

/** The `#commit` body for a commit. */
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
    time: TIME,
  }
  if (c.prevData) body.prevData = c.prevData as Cid
  return body
}

export interface StreamEvent {
  seq: number
  did: string
  t: string
  body: LexMap
  frame: Uint8Array
}

/** A valid stream: `count` commits spread over `accounts`, plus identity/account events. */
export async function generateStream(
  accounts: Account[],
  count: number,
  rand: () => number,
  startSeq = 1,
): Promise<StreamEvent[]> {
  const out: StreamEvent[] = []
  let seq = startSeq
  for (let i = 0; i < count; i++) {
    const acct = accounts[Math.floor(rand() * accounts.length)] as Account
    if (rand() < 0.03) {
      const body: LexMap = { seq, did: acct.did, time: TIME }
      if (rand() < 0.5) body.handle = 'alice.test'
      out.push({ seq, did: acct.did, t: '#identity', body, frame: encodeMessageFrame('#identity', body) })
      seq++
      continue
    }
    const c = await commit(acct, randomWrites(acct, rand))
    const body = commitBody(acct.did, seq, c)
    out.push({ seq, did: acct.did, t: '#commit', body, frame: encodeMessageFrame('#commit', body) })
    seq++
  }
  return out
}
