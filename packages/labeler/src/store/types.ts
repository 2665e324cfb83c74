// What a durable label store offers the labeler: an append-only, gap-free sequence of signed labels
// (one label per event), the current label per (src, uri, val), and paged reads of both.
import type { SignedLabel } from '@rsky/label'

/** One event of `subscribeLabels`: a label and the sequence number the store gave it. */
export interface StoredLabelEvent {
  readonly seq: number
  readonly label: SignedLabel
}

/** A parsed `queryLabels` request. */
export interface LabelQuery {
  /** Exact subject URIs. */
  readonly exact: readonly string[]
  /** Subject prefixes (patterns ending in `*`, without it); `''` matches everything. With no exact URI and no prefix nothing matches. */
  readonly prefixes: readonly string[]
  /** Label sources to keep; empty keeps all. */
  readonly sources: readonly string[]
  /** Page size, 1..250. */
  readonly limit: number
  /** Only labels with a seq above this. */
  readonly after: number
  /** Hide labels whose `exp` is at or before this time (ms since the epoch). */
  readonly now: number
}

/** A page of `queryLabels`: the current labels in seq order and the seq to continue after. */
export interface LabelQueryPage {
  readonly labels: StoredLabelEvent[]
  readonly cursor: number | undefined
}

/** A durable label store (SQLite and Postgres implement it). */
export interface LabelStore {
  /** Appends labels in order; returns them with their new seqs (consecutive, increasing). */
  append(labels: readonly SignedLabel[]): Promise<StoredLabelEvent[]>
  /** Events with seq > `after`, oldest first, at most `limit`. */
  since(after: number, limit: number): Promise<StoredLabelEvent[]>
  /** Highest seq given so far (0 when empty). */
  latestSeq(): Promise<number>
  /** Events below this seq may have been pruned (0 when nothing was). */
  prunedBefore(): Promise<number>
  /** Deletes events below `seq` that are no longer the current label of their key. */
  prune(seq: number): Promise<void>
  /** Current labels (newest per src, uri, val) matching a query. */
  query(q: LabelQuery): Promise<LabelQueryPage>
  close(): Promise<void>
}
