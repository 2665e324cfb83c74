// Verification against a known key, or against the `src` DID's `#atproto_label` key resolved through
// @rsky/identity and fetched again once when a signature fails (the labeler may have rotated).
import { verifySignature } from '@rsky/crypto'
import { encode } from '@rsky/dag-cbor'
import { type DidDocument, getSigningKey } from '@rsky/identity'
import { labelSigningBytes, unsignedLabelMap } from './codec.ts'
import type { LabelIssue } from './errors.ts'
import type { Label } from './types.ts'
import { validateLabel } from './validate.ts'

/**
 * Why a label failed verification. `KEY_UNAVAILABLE` may pass (the DID document could not be had
 * right now); `UNKNOWN_SOURCE` is final: a verifier with fixed keys and no resolver has no key for
 * that `src` and never will.
 */
export type LabelFailure =
  | 'MALFORMED'
  | 'UNSIGNED'
  | 'BAD_SIGNATURE'
  | 'KEY_UNAVAILABLE'
  | 'UNKNOWN_SOURCE'
  | 'EXPIRED'

/** Outcome of verifying one label. */
export type LabelVerdict =
  | { readonly valid: true; readonly label: Label; readonly key: string; readonly reason?: undefined }
  | {
      readonly valid: false
      readonly reason: LabelFailure
      readonly message: string
      /** The label when it was well formed. */
      readonly label?: Label
      /** The key tried, when there was one. */
      readonly key?: string
      readonly issues?: readonly LabelIssue[]
    }

/** Options shared by every verify call. */
export interface VerifyLabelOptions {
  /** Report labels whose `exp` is at or before `now` as `EXPIRED`. Default true. */
  readonly checkExpiry?: boolean
  /** Clock for expiry, in ms since the epoch. Default `Date.now()`. */
  readonly now?: number
}

function fail(reason: LabelFailure, message: string, extra: Partial<LabelVerdict> = {}): LabelVerdict {
  return { valid: false, reason, message, ...extra } as LabelVerdict
}

/**
 * Validates the shape and expiry of a label before any signature work. Returns the label or a verdict.
 */
function precheck(input: unknown, opts: VerifyLabelOptions): Label | LabelVerdict {
  const r = validateLabel(input)
  if (!r.success)
    return fail('MALFORMED', r.issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues: r.issues })
  const label = r.value
  if (label.sig === undefined) return fail('UNSIGNED', 'label has no sig', { label })
  if (opts.checkExpiry !== false && label.exp !== undefined) {
    const exp = Date.parse(label.exp)
    if (!(exp > (opts.now ?? Date.now())))
      return fail('EXPIRED', `label expired; exp=${label.exp}`, { label })
  }
  return label
}

/**
 * True when `sig` is a signature over the label's canonical bytes under `key`. A label carrying
 * `neg: false` is also accepted when signed without the field (the two mean the same, and signers
 * are told to leave it out).
 */
export function labelSignatureMatches(label: Label, key: string): boolean {
  const sig = label.sig
  if (sig === undefined) return false
  if (verifySignature(key, labelSigningBytes(label), sig)) return true
  if (label.neg === false) {
    const m = unsignedLabelMap(label)
    delete m.neg
    return verifySignature(key, encode(m), sig)
  }
  return false
}

/**
 * Verifies a label (data-model form) against a known did:key.
 * @throws {InvalidDidKeyError} when `key` is not a did:key (a caller mistake, not bad input).
 * @example verifyLabelWithKey(label, 'did:key:zQ3sh...').valid
 */
export function verifyLabelWithKey(input: unknown, key: string, opts: VerifyLabelOptions = {}): LabelVerdict {
  const pre = precheck(input, opts)
  if (!('ver' in pre)) return pre
  if (labelSignatureMatches(pre, key)) return { valid: true, label: pre, key }
  return fail('BAD_SIGNATURE', 'signature does not match the key', { label: pre, key })
}

/** What {@link LabelVerifier} needs from a DID resolver (`DidResolver` of @rsky/identity fits). */
export interface LabelKeyResolver {
  resolve(did: string, opts?: { forceRefresh?: boolean }): Promise<DidDocument>
}

/** Options of {@link LabelVerifier}. */
export interface LabelVerifierOptions extends VerifyLabelOptions {
  /** Resolves `src` DIDs. Required unless every `src` is in `keys`. */
  readonly resolver?: LabelKeyResolver
  /** Fixed keys by labeler DID (did:key); these DIDs are never resolved. */
  readonly keys?: Readonly<Record<string, string>>
  /**
   * Least time between two fetches of one DID's document, in ms, so forged labels cannot make every
   * verification hit the network. Default 5,000.
   */
  readonly refreshCooldownMs?: number
  /** Labeler keys kept. Default 10,000. */
  readonly maxKeys?: number
  /** Clock for the cooldown. Default `Date.now`. */
  readonly clock?: () => number
}

interface KeyEntry {
  key: string | undefined
  fetchedAt: number
  /** Fetched with `forceRefresh` (so not a possibly stale copy from the resolver's cache). */
  forced: boolean
  reason: string
}

/**
 * Verifies labels against their labeler's `#atproto_label` key. Keys are cached per DID; when a
 * signature fails with a key that was not just fetched, the document is fetched fresh once and the
 * new key, if different, is tried (key rotation). Labels signed with a rotated-out key then fail.
 * @example
 * const verifier = new LabelVerifier({ resolver: new DidResolver() })
 * const verdict = await verifier.verify(label)
 * if (!verdict.valid) console.log(verdict.reason)
 */
export class LabelVerifier {
  readonly #opts: LabelVerifierOptions
  readonly #keys = new Map<string, KeyEntry>()
  readonly #inflight = new Map<string, Promise<KeyEntry>>()
  readonly #clock: () => number
  readonly #cooldown: number
  readonly #maxKeys: number

  constructor(opts: LabelVerifierOptions = {}) {
    if (opts.resolver === undefined && opts.keys === undefined) {
      throw new TypeError('LabelVerifier needs a resolver or keys')
    }
    this.#opts = opts
    this.#clock = opts.clock ?? Date.now
    this.#cooldown = opts.refreshCooldownMs ?? 5_000
    this.#maxKeys = opts.maxKeys ?? 10_000
    if (!(this.#cooldown >= 0)) throw new RangeError('LabelVerifier refreshCooldownMs must be >= 0')
  }

  /**
   * Verifies one label (data-model form, `sig` as bytes). Never throws for bad labels or for
   * resolution failures: those are verdicts.
   */
  async verify(input: unknown, opts: VerifyLabelOptions = {}): Promise<LabelVerdict> {
    const pre = precheck(input, { ...this.#opts, ...opts })
    if (!('ver' in pre)) return pre
    const label = pre
    const fixed = this.#opts.keys?.[label.src]
    if (fixed !== undefined) {
      if (labelSignatureMatches(label, fixed)) return { valid: true, label, key: fixed }
      return fail('BAD_SIGNATURE', 'signature does not match the configured key', { label, key: fixed })
    }
    if (this.#opts.resolver === undefined) {
      return fail('UNKNOWN_SOURCE', `no key configured for the labeler; src=${label.src}`, { label })
    }
    let entry = this.#keys.get(label.src) ?? (await this.#fetch(label.src, false))
    if (entry.key !== undefined && labelSignatureMatches(label, entry.key)) {
      return { valid: true, label, key: entry.key }
    }
    const tried = entry.key
    // A copy that may be stale is refreshed at once; one fetched fresh only after the cooldown.
    if (!entry.forced || this.#clock() - entry.fetchedAt >= this.#cooldown) {
      entry = await this.#fetch(label.src, true)
      if (entry.key !== undefined && entry.key !== tried && labelSignatureMatches(label, entry.key)) {
        return { valid: true, label, key: entry.key }
      }
    }
    if (entry.key === undefined) return fail('KEY_UNAVAILABLE', entry.reason, { label })
    return fail('BAD_SIGNATURE', 'signature does not match the labeler key', { label, key: entry.key })
  }

  /** Verifies labels in order; one verdict per label. */
  async verifyMany(labels: readonly unknown[], opts?: VerifyLabelOptions): Promise<LabelVerdict[]> {
    const out: LabelVerdict[] = []
    for (const l of labels) out.push(await this.verify(l, opts))
    return out
  }

  /** Forgets the cached key of `did` (or every key). */
  forget(did?: string): void {
    if (did === undefined) this.#keys.clear()
    else this.#keys.delete(did)
  }

  #fetch(did: string, forceRefresh: boolean): Promise<KeyEntry> {
    const running = this.#inflight.get(did)
    if (running !== undefined) return running
    const p = this.#load(did, forceRefresh).finally(() => this.#inflight.delete(did))
    this.#inflight.set(did, p)
    return p
  }

  async #load(did: string, forceRefresh: boolean): Promise<KeyEntry> {
    const resolver = this.#opts.resolver as LabelKeyResolver
    let entry: KeyEntry
    try {
      const doc = await resolver.resolve(did, { forceRefresh })
      const key = getSigningKey(doc, 'atproto_label')
      const reason = key ? '' : `document has no #atproto_label key; did=${did}`
      entry = { key, fetchedAt: this.#clock(), forced: forceRefresh, reason }
    } catch (err) {
      const name = (err as { code?: unknown; name?: unknown }).code ?? (err as Error).name
      const reason = `resolution failed; did=${did} error=${String(name)}`
      entry = { key: undefined, fetchedAt: this.#clock(), forced: forceRefresh, reason }
    }
    if (this.#keys.size >= this.#maxKeys && !this.#keys.has(did)) {
      const oldest = this.#keys.keys().next().value
      if (oldest !== undefined) this.#keys.delete(oldest)
    }
    this.#keys.delete(did)
    this.#keys.set(did, entry)
    return entry
  }
}
