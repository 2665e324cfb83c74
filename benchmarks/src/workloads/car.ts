// The repository CAR workload: a 100,000-record repo (posts, likes, follows, reposts) built by
// @atproto/repo from seeded records with a fixed key and rev, exported as a full-repo CAR
// (about 32 MB, about 126,600 blocks). Everything is seeded, so the file is identical on every
// machine; it is cached in benchmarks/workloads/ (gitignored).
import { Secp256k1Keypair } from '@atproto/crypto'
import { getFullRepo, MemoryBlockstore, type RecordCreateOp, Repo, WriteOpAction } from '@atproto/repo'
import { loadWorkload, type Rng, rng } from '../workloads.ts'

export const KEY_HEX = 'a3f1c2d4e5b60718293a4b5c6d7e8f90112233445566778899aabbccddeeff00'
export const DID = 'did:plc:benchrepo000000000000000'
const REV = '3lbenchrepo22'
const WORDS =
  'the a of to and in is it you that he was for on are with as his they be at one have this from or had by hot word but what some we can out other were all there when up use your how said an each she which do their time if will way about many then them write would like so these her long make thing see him two has look more day could go come did number sound no most people my over know water than call first who may down side been now find'.split(
    ' ',
  )
const S32 = '234567abcdefghijklmnopqrstuvwxyz'

function tid(micros: number, clock: number): string {
  // 53 bits of microseconds then 10 bits of clock id, in sortable base32: 13 characters.
  let v = (BigInt(micros) << 10n) | BigInt(clock)
  let s = ''
  for (let i = 0; i < 13; i++) {
    s = S32[Number(v & 31n)]! + s
    v >>= 5n
  }
  return s
}

function sentence(r: Rng, min: number, max: number): string {
  const n = min + r.int(max - min + 1)
  const words: string[] = []
  for (let i = 0; i < n; i++) words.push(r.pick(WORDS))
  return words.join(' ')
}

function cidString(r: Rng): string {
  return `bafyrei${r.string(52, 'abcdefghijklmnopqrstuvwxyz234567')}`
}

function record(r: Rng, i: number, at: string): { collection: string; value: Record<string, unknown> } {
  const kind = r.int(10)
  const did = `did:plc:${r.string(24, 'abcdefghijklmnopqrstuvwxyz234567')}`
  if (kind < 5) {
    const value: Record<string, unknown> = {
      $type: 'app.bsky.feed.post',
      text: sentence(r, 8, 50),
      langs: ['en'],
      createdAt: at,
    }
    if (i % 7 === 0) {
      const uri = `at://${did}/app.bsky.feed.post/${tid(1_700_000_000_000_000 + r.int(1e9), 0)}`
      value.reply = { root: { uri, cid: cidString(r) }, parent: { uri, cid: cidString(r) } }
    }
    return { collection: 'app.bsky.feed.post', value }
  }
  if (kind < 8) {
    const uri = `at://${did}/app.bsky.feed.post/${tid(1_700_000_000_000_000 + r.int(1e9), 0)}`
    return {
      collection: 'app.bsky.feed.like',
      value: { $type: 'app.bsky.feed.like', subject: { uri, cid: cidString(r) }, createdAt: at },
    }
  }
  if (kind < 9) {
    return {
      collection: 'app.bsky.graph.follow',
      value: { $type: 'app.bsky.graph.follow', subject: did, createdAt: at },
    }
  }
  const uri = `at://${did}/app.bsky.feed.post/${tid(1_700_000_000_000_000 + r.int(1e9), 0)}`
  return {
    collection: 'app.bsky.feed.repost',
    value: { $type: 'app.bsky.feed.repost', subject: { uri, cid: cidString(r) }, createdAt: at },
  }
}

/** Builds the repo CAR bytes (takes several seconds; cached by {@link repoCar}). */
export async function generateRepoCar(records = 100_000, seed = 4): Promise<Uint8Array> {
  const r = rng(seed)
  const keypair = await Secp256k1Keypair.import(KEY_HEX)
  const writes: RecordCreateOp[] = []
  let micros = 1_700_000_000_000_000
  for (let i = 0; i < records; i++) {
    micros += 1 + r.int(5_000_000_000)
    const at = new Date(Math.floor(micros / 1000)).toISOString()
    const { collection, value } = record(r, i, at)
    writes.push({
      action: WriteOpAction.Create,
      collection: collection as RecordCreateOp['collection'],
      rkey: tid(micros, i % 1024),
      record: value as never,
    })
  }
  const storage = new MemoryBlockstore()
  const commit = await Repo.formatInitCommit(storage, DID, keypair, writes, REV)
  await storage.applyCommit(commit)
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const chunk of getFullRepo(storage, commit.cid)) {
    chunks.push(chunk)
    total += chunk.length
  }
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

/** The 100,000-record repo CAR, generated on first use and cached. */
export function repoCar(): Promise<Uint8Array> {
  return loadWorkload('repo-100k.car', () => generateRepoCar())
}
