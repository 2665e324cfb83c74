// A deterministic repository history: commit i always makes the same writes at the same rev with
// the same key, so any prefix of it can be rebuilt in memory and compared byte for byte.
import { Secp256k1Keypair } from '@rsky/crypto'
import type { LexValue } from '@rsky/dag-cbor'
import { type RecordWrite, Repo, type RepoStorage } from '@rsky/repo'
import { Tid } from '@rsky/syntax'

export const HISTORY_DID = 'did:plc:repostoragehistory00000000'
export const HISTORY_KEY: Secp256k1Keypair = Secp256k1Keypair.import(
  '9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c',
)
const T0 = 1_767_225_600_000_000 // 2026-01-01 in µs

/** Rev of commit `i` (0 is the first commit). */
export function revAt(i: number): string {
  return Tid.fromTime(T0 + i * 1000, 7).toString()
}

/** Index of the commit whose rev is `rev`. */
export function indexOfRev(rev: string): number {
  return (Tid.parse(rev).timestamp() - T0) / 1000
}

function post(i: number): LexValue {
  return { $type: 'app.bsky.feed.post', text: `post ${i}`, createdAt: '2026-12-01T00:00:00.000Z' }
}

/** The writes of commit `i`: creates, and from the second commit on an update and a delete. */
export function writesAt(i: number): RecordWrite[] {
  const w: RecordWrite[] = []
  for (let k = 0; k < 5; k++)
    w.push({
      action: 'create',
      collection: 'app.bsky.feed.post',
      rkey: `c${i}k${k}`,
      record: post(i * 10 + k),
    })
  if (i > 0) {
    w.push({ action: 'update', collection: 'app.bsky.feed.post', rkey: `c${i - 1}k0`, record: post(-i) })
    w.push({ action: 'delete', collection: 'app.bsky.feed.post', rkey: `c${i - 1}k1` })
  }
  return w
}

/** Applies commits `from` .. `to - 1` (commit 0 creates the repository); returns the repository at the last. */
export async function writeHistory(
  storage: RepoStorage,
  opts: { from?: number; to: number; onCommit?: (i: number) => void },
): Promise<Repo> {
  const from = opts.from ?? 0
  let repo =
    from === 0
      ? await Repo.create({
          storage,
          did: HISTORY_DID,
          keypair: HISTORY_KEY,
          writes: writesAt(0),
          rev: revAt(0),
        })
      : await Repo.load(storage)
  if (from === 0) opts.onCommit?.(0)
  for (let i = Math.max(from, 1); i < opts.to; i++) {
    repo = await repo.applyCommit(await repo.formatCommit(writesAt(i), HISTORY_KEY, { rev: revAt(i) }))
    opts.onCommit?.(i)
  }
  return repo
}
