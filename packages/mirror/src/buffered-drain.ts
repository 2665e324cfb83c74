// The buffered live commits of a repository whose backfill just finished, taken in seq order: those
// at or below the backfilled rev are skipped, those that follow are handed out to apply, and the
// first that does not follow ends the drain as a chain break. Both stores run the same walk; only
// how a commit is applied (synchronously in SQLite, awaited in Postgres) is theirs.
import type { Cid } from '@rsky/dag-cbor'
import { chainStep } from './chain.ts'
import { decodePreparedCommit } from './commit-codec.ts'
import type { PreparedCommit } from './types.ts'

/** A buffered commit as stored: its stream seq and its encoded body. */
export interface BufferedRow {
  seq: number
  body: Uint8Array
}

/** Where a drain stands; {@link drainBuffered} updates it as the caller applies each commit. */
export interface DrainTally {
  held: { rev: string | undefined; data: Cid | undefined }
  applied: number
  skipped: number
  /** The seq of the last row taken (applied or skipped); -1 when none. */
  last: number
  chainBreak: boolean
}

/** A fresh tally from the state the backfill wrote. */
export function drainTally(rev: string | undefined, data: Cid | undefined): DrainTally {
  return { held: { rev, data }, applied: 0, skipped: 0, last: -1, chainBreak: false }
}

/**
 * Yields each buffered commit that follows the held state, for the caller to apply; the tally
 * moves to a commit only once the caller comes back for the next (so a throwing apply leaves it
 * as it was).
 */
export function* drainBuffered(tally: DrainTally, rows: Iterable<BufferedRow>): Generator<PreparedCommit> {
  for (const row of rows) {
    const commit = decodePreparedCommit(row.body)
    const step = chainStep(tally.held, commit)
    if (step === 'break') {
      tally.chainBreak = true
      return
    }
    tally.last = row.seq
    if (step === 'stale') {
      tally.skipped++
      continue
    }
    yield commit
    tally.held = { rev: commit.rev, data: commit.data }
    tally.applied++
  }
}
