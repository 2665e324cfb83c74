// The firehose workload: a stream of `#commit` frames made by real @rsky/repo repositories.
// Seeded accounts (secp256k1 only, or half P-256), each commit 1–5 record ops (creates, updates,
// deletes) with proofs and record blocks as a PDS would emit them (sync 1.1: `prevData`, op
// `prev`). Stored as DAG-CBOR `{ keys: { did: didKey }, frames: [frame bytes] }` in
// benchmarks/workloads/ (gitignored). Revs come from the clock when generated, so the file is
// deterministic in shape, not byte for byte.
import { writeCar } from '@rsky/car'
import { type Keypair, P256Keypair, Secp256k1Keypair } from '@rsky/crypto'
import { decode, encode, type LexMap } from '@rsky/dag-cbor'
import { MemoryRepoStorage, type RecordWrite, Repo } from '@rsky/repo'
import { encodeMessageFrame } from '@rsky/sync'
import { Tid } from '@rsky/syntax'
import { loadWorkload, type Rng, rng } from '../workloads.ts'

export type CurveMix = 'k256' | 'mixed'

export interface SyncWorkload {
  /** DID → did:key of its signing key. */
  keys: Map<string, string>
  /** `#commit` frames in stream order. */
  frames: Uint8Array[]
  /** Total ops over all commits. */
  ops: number
}

interface Account {
  did: string
  key: Keypair
  repo: Repo
  records: string[]
  n: number
}

const COLLECTIONS = ['app.bsky.feed.post', 'app.bsky.feed.like', 'app.bsky.graph.follow']
const B32 = 'abcdefghijklmnopqrstuvwxyz234567'

function writesFor(a: Account, r: Rng): RecordWrite[] {
  const count = 1 + r.int(5)
  const used = new Set<string>()
  const writes: RecordWrite[] = []
  for (let i = 0; i < count; i++) {
    const roll = r.int(10)
    const free = a.records.filter((p) => !used.has(p))
    if (roll < 2 && free.length > 0) {
      const path = r.pick(free)
      used.add(path)
      const [collection, rkey] = path.split('/') as [string, string]
      writes.push({ action: 'delete', collection, rkey })
      a.records = a.records.filter((p) => p !== path)
    } else if (roll < 3 && free.length > 0) {
      const path = r.pick(free)
      used.add(path)
      const [collection, rkey] = path.split('/') as [string, string]
      writes.push({
        action: 'update',
        collection,
        rkey,
        record: { $type: collection, text: `edit ${a.n++}` },
      })
    } else {
      const collection = r.pick(COLLECTIONS)
      const rkey = Tid.fromTime(1_700_000_000_000_000 + a.n++ * 1000, r.int(1024)).toString()
      used.add(`${collection}/${rkey}`)
      a.records.push(`${collection}/${rkey}`)
      writes.push({
        action: 'create',
        collection,
        rkey,
        record: {
          $type: collection,
          text: `record ${a.n} of a benchmark account, about as long as a short post`,
          createdAt: '2026-11-24T12:00:00.000Z',
        },
      })
    }
  }
  return writes
}

async function generate(commits: number, accounts: number, mix: CurveMix): Promise<Uint8Array> {
  const r = rng(mix === 'k256' ? 8256 : 8257)
  const accts: Account[] = []
  for (let i = 0; i < accounts; i++) {
    let id = ''
    for (let j = 0; j < 24; j++) id += B32[r.int(32)]
    const did = `did:plc:${id}`
    const priv = r.bytes(32)
    priv[0] = (priv[0] as number) & 0x7f
    priv[31] = (priv[31] as number) | 1
    const key = mix === 'mixed' && i % 2 === 1 ? P256Keypair.import(priv) : Secp256k1Keypair.import(priv)
    const repo = await Repo.create({ storage: new MemoryRepoStorage(), did, keypair: key })
    const a: Account = { did, key, repo, records: [], n: 0 }
    // a few records first, so trees have some depth and updates/deletes have targets
    for (let k = 0; k < 4; k++) a.repo = await a.repo.applyWrites(writesFor(a, r), key)
    accts.push(a)
  }
  const frames: Uint8Array[] = []
  for (let seq = 1; seq <= commits; seq++) {
    const a = accts[r.int(accts.length)] as Account
    const c = await a.repo.formatCommit(writesFor(a, r), a.key)
    a.repo = await a.repo.applyCommit(c)
    const body: LexMap = {
      seq,
      rebase: false,
      tooBig: false,
      repo: a.did,
      commit: c.cid,
      rev: c.rev,
      since: c.since,
      blocks: writeCar([c.cid], c.relevantBlocks),
      ops: c.ops.map((op) =>
        op.prev ? { ...op, prev: op.prev } : { action: op.action, path: op.path, cid: op.cid },
      ),
      blobs: [],
      time: '2026-11-24T12:00:00.000Z',
    }
    if (c.prevData) body.prevData = c.prevData
    frames.push(encodeMessageFrame('#commit', body))
  }
  return encode({ keys: Object.fromEntries(accts.map((a) => [a.did, a.key.did()])), frames })
}

/** Loads (generating once) `commits` commit frames over `accounts` accounts. */
export async function syncWorkload(commits: number, accounts: number, mix: CurveMix): Promise<SyncWorkload> {
  const bytes = await loadWorkload(`sync-${mix}-${commits}x${accounts}.cbor`, () =>
    generate(commits, accounts, mix),
  )
  // a long stream's file passes the decoder's default input cap (16 MiB)
  const v = decode(bytes, { maxInputLength: bytes.length, maxCollectionLength: commits + accounts }) as {
    keys: Record<string, string>
    frames: Uint8Array[]
  }
  let ops = 0
  for (const f of v.frames) ops += (decode(f.subarray(headerLength(f))) as { ops: unknown[] }).ops.length
  return { keys: new Map(Object.entries(v.keys)), frames: v.frames, ops }
}

/** Length of a frame's header: the first CBOR item, `{ op, t }` (both short). */
export function headerLength(frame: Uint8Array): number {
  // map(2) of two short text keys ("op", "t"), a small int and a short text value
  let pos = 1
  for (let k = 0; k < 2; k++) {
    const kl = (frame[pos] as number) & 31
    pos += 1 + kl
    const ib = frame[pos] as number
    if (ib >> 5 === 3) pos += 1 + (ib & 31)
    else pos += ib < 0x18 || (ib >= 0x20 && ib < 0x38) ? 1 : 2
  }
  return pos
}
