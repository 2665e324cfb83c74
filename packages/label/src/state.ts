// The current labels per subject: the newest label for each (src, uri, val) wins, negations retract,
// expired labels drop out.
import type { Label } from './types.ts'

/** Options of {@link LabelState.current}. */
export interface CurrentLabelsOptions {
  /** Clock for expiry, ms since the epoch. Default `Date.now()`. */
  readonly now?: number
}

function ctsOf(label: Label): number {
  const t = Date.parse(label.cts)
  return Number.isNaN(t) ? 0 : t
}

/**
 * Folds a stream of (verified) labels into the set that currently applies to each subject. For one
 * `src`, `uri` and `val`, the label with the latest `cts` is kept (a later-received one wins a tie);
 * a kept negation means no label, and an expired one is hidden. Feed it labels in stream order.
 * @example
 * const state = new LabelState()
 * state.apply(label)
 * state.current('at://did:plc:x/app.bsky.feed.post/1') // Label[]
 */
export class LabelState {
  readonly #bySubject = new Map<string, Map<string, Label>>()

  /** Records a label. Returns false when an existing label for the same key is newer. */
  apply(label: Label): boolean {
    let forSubject = this.#bySubject.get(label.uri)
    if (forSubject === undefined) {
      forSubject = new Map()
      this.#bySubject.set(label.uri, forSubject)
    }
    const key = `${label.src}\u0000${label.val}`
    const prior = forSubject.get(key)
    if (prior !== undefined && ctsOf(prior) > ctsOf(label)) return false
    forSubject.set(key, label)
    return true
  }

  /** Records labels in order. */
  applyAll(labels: Iterable<Label>): void {
    for (const l of labels) this.apply(l)
  }

  /** The labels that apply to `uri` now: not negated, not expired; sorted by `src` then `val`. */
  current(uri: string, opts: CurrentLabelsOptions = {}): Label[] {
    const forSubject = this.#bySubject.get(uri)
    if (forSubject === undefined) return []
    const now = opts.now ?? Date.now()
    const out: Label[] = []
    for (const l of forSubject.values()) {
      if (l.neg === true) continue
      if (l.exp !== undefined && !(Date.parse(l.exp) > now)) continue
      out.push(l)
    }
    return out.sort((a, b) => (a.src === b.src ? cmp(a.val, b.val) : cmp(a.src, b.src)))
  }

  /** Subjects with any recorded label (negations included). */
  subjects(): IterableIterator<string> {
    return this.#bySubject.keys()
  }

  /** Number of (src, uri, val) keys held. */
  get size(): number {
    let n = 0
    for (const m of this.#bySubject.values()) n += m.size
    return n
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
