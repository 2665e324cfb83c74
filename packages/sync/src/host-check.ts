import { type DidDocument, getPdsEndpoint, IdResolver } from '@rsky/identity'

/** Finds the PDS endpoint (an https URL) a DID document names; `forceRefresh` fetches it again. */
export interface PdsResolver {
  resolvePdsEndpoint(
    did: string,
    opts?: { forceRefresh?: boolean },
  ): Promise<string | undefined> | string | undefined
}

interface DocResolver {
  resolve(did: string, opts?: { forceRefresh?: boolean }): Promise<DidDocument>
}

function docResolverOf(v: unknown): DocResolver | undefined {
  const inner = (v as { did?: unknown } | null)?.did
  for (const c of [inner, v]) {
    if (c !== null && typeof c === 'object' && typeof (c as DocResolver).resolve === 'function')
      return c as DocResolver
  }
  return undefined
}

/** A {@link PdsResolver} over @rsky/identity's `IdResolver` or `DidResolver` (their DID-document cache). */
export function pdsResolverOf(keys: unknown): PdsResolver {
  const docs = docResolverOf(keys) ?? (new IdResolver().did as DocResolver)
  return {
    async resolvePdsEndpoint(did, opts) {
      return getPdsEndpoint(
        await docs.resolve(did, opts?.forceRefresh === true ? { forceRefresh: true } : {}),
      )
    },
  }
}

/** `host[:port]` of a URL, lower-cased, default ports dropped (ws/http and wss/https compare equal). */
export function hostOf(url: string): string | undefined {
  try {
    const u = new URL(url.replace(/^ws(s?):\/\//i, 'http$1://'))
    return u.host.toLowerCase()
  } catch {
    return undefined
  }
}

/** Most DIDs remembered; the oldest are forgotten first. */
const MAX_ENTRIES = 100_000

interface Entry {
  host: string | undefined
  /** When the document was last fetched with `forceRefresh` (ms). */
  refreshedAt: number
}

/** Outcome of {@link HostChecker.check}. */
export type HostCheck = { ok: true } | { ok: false; code: 'WRONG_HOST' | 'HOST_UNAVAILABLE'; message: string }

/**
 * Decides whether a DID is hosted at the stream's host (`checkHost`). A DID found elsewhere is
 * remembered (a negative entry) and its document is fetched afresh at most once per
 * `refreshIntervalMs`, so a busy account hosted elsewhere does not cost a lookup per event (the
 * spec asks for rate-limited identity lookups). `#identity` drops the entry.
 */
export class HostChecker {
  readonly #resolver: PdsResolver
  readonly #serviceHost: string | undefined
  readonly #refreshMs: number
  readonly #now: () => number
  readonly #cache = new Map<string, Entry>()
  /** Document lookups made (for tests and metrics). */
  lookups = 0

  constructor(opts: {
    resolver: PdsResolver
    service: string
    refreshIntervalMs?: number
    now?: () => number
  }) {
    this.#resolver = opts.resolver
    this.#serviceHost = hostOf(opts.service)
    this.#refreshMs = opts.refreshIntervalMs ?? 60_000
    this.#now = opts.now ?? Date.now
  }

  /** Forgets what is known of `did` (its identity changed). */
  forget(did: string): void {
    this.#cache.delete(did)
  }

  async #lookup(did: string, forceRefresh: boolean): Promise<string | undefined> {
    this.lookups++
    const endpoint = await this.#resolver.resolvePdsEndpoint(
      did,
      forceRefresh ? { forceRefresh: true } : undefined,
    )
    const host = endpoint === undefined ? undefined : hostOf(endpoint)
    this.#cache.delete(did)
    if (this.#cache.size >= MAX_ENTRIES) {
      const oldest = this.#cache.keys().next().value
      if (oldest !== undefined) this.#cache.delete(oldest)
    }
    this.#cache.set(did, { host, refreshedAt: forceRefresh ? this.#now() : -Infinity })
    return host
  }

  /** Checks `did`'s host: cached, else looked up; a mismatch is looked up once more, rate-limited. */
  async check(did: string): Promise<HostCheck> {
    let host: string | undefined
    try {
      const cached = this.#cache.get(did)
      host = cached === undefined ? await this.#lookup(did, false) : cached.host
      if (host !== this.#serviceHost) {
        const entry = this.#cache.get(did)
        const due = entry === undefined || this.#now() - entry.refreshedAt >= this.#refreshMs
        if (due) host = await this.#lookup(did, true)
      }
    } catch (err) {
      return {
        ok: false,
        code: 'HOST_UNAVAILABLE',
        message: `could not resolve the account's PDS; did=${did} cause=${(err as Error)?.message}`,
      }
    }
    if (host === this.#serviceHost) return { ok: true }
    return {
      ok: false,
      code: 'WRONG_HOST',
      message: `account is hosted elsewhere; did=${did} pds=${host ?? 'none'} stream=${this.#serviceHost}`,
    }
  }
}
