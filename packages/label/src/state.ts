// The current labels per subject: the newest label for each (src, uri, val) wins, negations retract,
// expired labels drop out. Memory is bounded: least recently used subjects are evicted past a cap.
import type { Label } from './types.ts'

/** Options of {@link LabelState}. */
export interface LabelStateOptions {
  /**
   * Most subjects (URIs or DIDs) held. Past it, the least recently used one (applied to or read with
   * `current`) is forgotten whole. Default 100,000; `Infinity` for no cap.
   */
  readonly maxSubjects?: number
  /**
   * Most (src, val) keys held for one subject. Past it, the key least recently applied for that
   * subject is dropped. Default 1,000; `Infinity` for no cap.
   */
  readonly maxLabelsPerSubject?: number
  /** Told of every subject forgotten for room (a whole subject, or one key of it). */
  readonly onEvict?: (info: { uri: string; labels: number }) => void
}

/** Options of {@link LabelState.current}. */
export interface CurrentLabelsOptions {
  /** Clock for expiry, ms since the epoch. Default `Date.now()`. */
  readonly now?: number
}

const DEFAULT_MAX_SUBJECTS = 100_000
const DEFAULT_MAX_LABELS_PER_SUBJECT = 1_000

function ctsOf(label: Label): number {
  const t = Date.parse(label.cts)
  return Number.isNaN(t) ? 0 : t
}

function capOption(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (value === Number.POSITIVE_INFINITY || (Number.isSafeInteger(value) && value > 0)) return value
  throw new RangeError(`LabelState: ${name} must be a positive integer or Infinity`)
}

/** One subject's labels, a link in the recency list. */
interface SubjectEntry {
  readonly uri: string
  readonly labels: Map<string, Label>
  prev: SubjectEntry | undefined
  next: SubjectEntry | undefined
}

/**
 * Folds a stream of (verified) labels into the set that currently applies to each subject. For one
 * `src`, `uri` and `val`, the label with the latest `cts` is kept (a later-received one wins a tie);
 * a kept negation means no label, and an expired one is hidden. Feed it labels in stream order.
 *
 * Memory is capped (`maxSubjects`, `maxLabelsPerSubject`): a forgotten subject reads as unlabelled
 * and forgets its negations too, so a pipeline that must never lose a label keeps them in a store
 * (e.g. `@rsky/labeler`'s) and uses this as a cache, or sets the caps to `Infinity`.
 * @throws {RangeError} for a cap that is not a positive integer or `Infinity`.
 * @example
 * const state = new LabelState({ maxSubjects: 50_000 })
 * state.apply(label)
 * state.current('at://did:plc:x/app.bsky.feed.post/1') // Label[]
 */
export class LabelState {
  // Recency is a doubly linked list (head least recently used) beside the map: moving and evicting
  // are O(1), where deleting and re-inserting map keys would leave holes that V8 skips on every
  // `keys().next()` (24 µs per eviction at 100,000 subjects, measured).
  readonly #bySubject = new Map<string, SubjectEntry>()
  #head: SubjectEntry | undefined
  #tail: SubjectEntry | undefined
  readonly #maxSubjects: number
  readonly #maxPerSubject: number
  readonly #onEvict: LabelStateOptions['onEvict']
  #size = 0
  #evictions = 0

  constructor(opts: LabelStateOptions = {}) {
    this.#maxSubjects = capOption(opts.maxSubjects, DEFAULT_MAX_SUBJECTS, 'maxSubjects')
    this.#maxPerSubject = capOption(
      opts.maxLabelsPerSubject,
      DEFAULT_MAX_LABELS_PER_SUBJECT,
      'maxLabelsPerSubject',
    )
    this.#onEvict = opts.onEvict
  }

  /** Records a label. Returns false when an existing label for the same key is newer. */
  apply(label: Label): boolean {
    const forSubject = (this.#use(label.uri) ?? this.#add(label.uri)).labels
    const key = `${label.src}\u0000${label.val}`
    const prior = forSubject.get(key)
    if (prior !== undefined && ctsOf(prior) > ctsOf(label)) return false
    let dropped = false
    if (prior !== undefined) forSubject.delete(key)
    else if (forSubject.size >= this.#maxPerSubject) {
      forSubject.delete(forSubject.keys().next().value as string)
      this.#size--
      dropped = true
    }
    forSubject.set(key, label)
    if (prior === undefined) this.#size++
    if (dropped) this.#evicted(label.uri, 1)
    return true
  }

  /** Records labels in order. */
  applyAll(labels: Iterable<Label>): void {
    for (const l of labels) this.apply(l)
  }

  /** The labels that apply to `uri` now: not negated, not expired; sorted by `src` then `val`. */
  current(uri: string, opts: CurrentLabelsOptions = {}): Label[] {
    const entry = this.#use(uri)
    if (entry === undefined) return []
    const now = opts.now ?? Date.now()
    const out: Label[] = []
    for (const l of entry.labels.values()) {
      if (l.neg === true) continue
      if (l.exp !== undefined && !(Date.parse(l.exp) > now)) continue
      out.push(l)
    }
    return out.sort((a, b) => (a.src === b.src ? cmp(a.val, b.val) : cmp(a.src, b.src)))
  }

  /**
   * Subjects with any recorded label (negations included), least recently used first: a snapshot,
   * so calling `current` while iterating (which marks a subject used) is safe.
   */
  subjects(): IterableIterator<string> {
    const out: string[] = []
    for (let e = this.#head; e !== undefined; e = e.next) out.push(e.uri)
    return out.values()
  }

  /** Number of (src, uri, val) keys held. */
  get size(): number {
    return this.#size
  }

  /** Number of subjects held. */
  get subjectCount(): number {
    return this.#bySubject.size
  }

  /** Subjects and keys forgotten for room so far. */
  get evictions(): number {
    return this.#evictions
  }

  // The subject's entry, moved to the most recently used end.
  #use(uri: string): SubjectEntry | undefined {
    const e = this.#bySubject.get(uri)
    if (e === undefined || e === this.#tail) return e
    this.#unlink(e)
    this.#append(e)
    return e
  }

  #add(uri: string): SubjectEntry {
    let evicted: SubjectEntry | undefined
    if (this.#bySubject.size >= this.#maxSubjects && this.#head !== undefined) {
      evicted = this.#head
      this.#unlink(evicted)
      this.#bySubject.delete(evicted.uri)
      this.#size -= evicted.labels.size
    }
    const e: SubjectEntry = { uri, labels: new Map(), prev: undefined, next: undefined }
    this.#bySubject.set(uri, e)
    this.#append(e)
    if (evicted !== undefined) this.#evicted(evicted.uri, evicted.labels.size)
    return e
  }

  #unlink(e: SubjectEntry): void {
    if (e.prev === undefined) this.#head = e.next
    else e.prev.next = e.next
    if (e.next === undefined) this.#tail = e.prev
    else e.next.prev = e.prev
    e.prev = undefined
    e.next = undefined
  }

  #append(e: SubjectEntry): void {
    e.prev = this.#tail
    if (this.#tail === undefined) this.#head = e
    else this.#tail.next = e
    this.#tail = e
  }

  #evicted(uri: string, labels: number): void {
    this.#evictions++
    this.#onEvict?.({ uri, labels })
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
