// The labeler: signs labels with its `#atproto_label` key, appends them to the store in one ordered
// queue, keeps the most recent events in memory for live subscribers, and tells listeners when the
// head moves.
import type { Keypair } from '@rsky/crypto'
import { type LabelInput, type SignedLabel, signLabel } from '@rsky/label'
import { isValidDid } from '@rsky/syntax'
import type { LabelStore, StoredLabelEvent } from './store/types.ts'

/** Options of {@link Labeler}. */
export interface LabelerOptions {
  /** The labeler's DID: the `src` of every label it issues. */
  readonly did: string
  /** The `#atproto_label` key. */
  readonly keypair: Keypair
  readonly store: LabelStore
  /** Recent events kept in memory for live subscribers. Default 4096. */
  readonly recentEvents?: number
}

/** What to label: the subject and value; `cts` defaults to now. */
export type IssueInput = Omit<LabelInput, 'src' | 'neg'>

/**
 * Issues, negates and expires labels; the `subscribeLabels` and `queryLabels` handlers read from it.
 * @example
 * const labeler = await Labeler.create({ did, keypair, store: SqliteLabelStore.open(':memory:') })
 * await labeler.issue({ uri: 'at://did:plc:x/app.bsky.feed.post/1', val: 'spam' })
 */
export class Labeler {
  readonly did: string
  readonly store: LabelStore
  #keypair: Keypair
  readonly #recent: StoredLabelEvent[] = []
  readonly #recentMax: number
  readonly #listeners = new Set<(head: number) => void>()
  #queue: Promise<unknown> = Promise.resolve()
  #head: number

  private constructor(opts: LabelerOptions, head: number) {
    this.did = opts.did
    this.store = opts.store
    this.#keypair = opts.keypair
    this.#recentMax = opts.recentEvents ?? 4096
    this.#head = head
  }

  /** A labeler over `store`, resuming at its latest seq. */
  static async create(opts: LabelerOptions): Promise<Labeler> {
    if (!isValidDid(opts.did)) throw new TypeError(`Labeler: did must be a DID; did=${opts.did}`)
    if (typeof opts.keypair?.sign !== 'function')
      throw new TypeError('Labeler: keypair must have a sign method')
    return new Labeler(opts, await opts.store.latestSeq())
  }

  /** Highest seq issued. */
  get head(): number {
    return this.#head
  }

  /** Signs with a new key from now on (after the DID document names it). Stored labels keep their signatures. */
  setKeypair(keypair: Keypair): void {
    this.#keypair = keypair
  }

  /**
   * Signs and stores labels in order; resolves with their events once they are durable.
   * @throws {InvalidLabelError} for an invalid field (nothing is stored then).
   */
  emit(inputs: readonly LabelInput[]): Promise<StoredLabelEvent[]> {
    const run = async (): Promise<StoredLabelEvent[]> => {
      const signed: SignedLabel[] = []
      for (const input of inputs) signed.push(await signLabel({ ...input, src: this.did }, this.#keypair))
      const events = await this.store.append(signed)
      for (const e of events) {
        this.#recent.push(e)
        this.#head = e.seq
      }
      if (this.#recent.length > this.#recentMax) this.#recent.splice(0, this.#recent.length - this.#recentMax)
      for (const l of this.#listeners) l(this.#head)
      return events
    }
    const p = this.#queue.then(run, run)
    this.#queue = p.catch(() => {})
    return p
  }

  /** Issues one label. */
  async issue(input: IssueInput): Promise<StoredLabelEvent> {
    return (await this.emit([{ ...input, src: this.did }]))[0] as StoredLabelEvent
  }

  /** Retracts a label: a negation with the same subject and value. */
  async negate(input: Omit<IssueInput, 'exp'>): Promise<StoredLabelEvent> {
    return (await this.emit([{ ...input, src: this.did, neg: true }]))[0] as StoredLabelEvent
  }

  /** Re-issues a label with an expiry time (`exp`). */
  async expire(input: IssueInput & { exp: string }): Promise<StoredLabelEvent> {
    return this.issue(input)
  }

  /**
   * Events after `after`, from memory when the recent window covers them, else from the store.
   */
  async eventsAfter(after: number, limit: number): Promise<StoredLabelEvent[]> {
    const first = this.#recent[0]
    if (first !== undefined && after >= first.seq - 1) {
      const i = this.#indexAfter(after)
      if (i === this.#recent.length) return []
      // Served from memory only when it continues the reader exactly; a gap (a seq the store skipped,
      // or rows written to the store by something else) is read from the store.
      const out: StoredLabelEvent[] = []
      let next = after + 1
      for (let j = i; j < this.#recent.length && out.length < limit; j++) {
        const e = this.#recent[j] as StoredLabelEvent
        if (e.seq !== next) break
        out.push(e)
        next++
      }
      if (out.length > 0) return out
    }
    return this.store.since(after, limit)
  }

  #indexAfter(after: number): number {
    let lo = 0
    let hi = this.#recent.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((this.#recent[mid] as StoredLabelEvent).seq <= after) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Calls `listener(head)` after each append; returns the unsubscribe function. */
  onAppend(listener: (head: number) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Waits for queued appends. */
  async idle(): Promise<void> {
    await this.#queue
  }
}
