// Handle -> DID over DNS TXT (`_atproto.<handle>`) and HTTPS (`/.well-known/atproto-did`), run at
// the same time; the first valid answer wins and the other lookup is aborted.

import { isValidDid, isValidHandle, isValidTld } from '@rsky/syntax'
import { dnsDefaults } from '#dns-default'
import type { DnsTxtQuery } from './dns/types.ts'
import { HandleDnsConflictError, HttpStatusError } from './errors.ts'
import { decodeUtf8, type FetchLike, httpGet, type RedirectPolicy } from './http.ts'
import { withSignal } from './signal.ts'

/** Options of {@link HandleResolver}. */
export interface HandleResolverOptions {
  /** Timeout in milliseconds for each network call (one DNS query, one HTTP exchange). Default 3000. */
  readonly timeoutMs?: number
  /**
   * Nameservers asked first, in order (`1.2.3.4`, `1.2.3.4:5353`, `[::1]:53`; port 53 by default).
   * Default: the system's nameservers on Node.
   */
  readonly nameservers?: readonly string[]
  /**
   * Asked, in order, when every primary nameserver failed or none had a `did=` record
   * (e.g. a public recursive resolver, to get past a stale local cache).
   */
  readonly backupNameservers?: readonly string[]
  /** DNS transport; `null` turns DNS resolution off. Default: UDP on Node, none elsewhere. */
  readonly dnsQuery?: DnsTxtQuery | null
  /** Fetch implementation for the HTTPS method. Default `globalThis.fetch`. */
  readonly fetch?: FetchLike
  /** Largest well-known response body accepted. Default 4096 bytes. */
  readonly maxResponseBytes?: number
  /** Redirects of the HTTPS method. Default: up to 3 hops on the same host. */
  readonly redirects?: RedirectPolicy
  /** Where the HTTPS method looks; default `https://<handle>/.well-known/atproto-did`. */
  readonly wellKnownUrl?: (handle: string) => string
}

/** How one resolution method ended. */
export type HandleMethodOutcome =
  | { readonly status: 'found'; readonly did: string }
  /** The method answered: no DID there (NXDOMAIN, no `did=` record, non-2xx, not a DID). */
  | { readonly status: 'none' }
  | { readonly status: 'conflict'; readonly dids: readonly string[] }
  /** The method could not get an answer (timeout, network, server failure, size cap). */
  | { readonly status: 'failed'; readonly error: unknown }
  /** Not attempted (no DNS transport, or the handle is not resolvable). */
  | { readonly status: 'skipped' }

/** Result of {@link HandleResolver.resolveDetailed}. */
export type HandleResolution =
  | { readonly did: string; readonly method: 'dns' | 'http' }
  | {
      readonly did: undefined
      readonly dns: HandleMethodOutcome
      readonly http: HandleMethodOutcome
      /** True when a method failed rather than answered, so trying again later may succeed. */
      readonly transient: boolean
    }

/** Per-call options. */
export interface HandleLookupOptions {
  readonly signal?: AbortSignal
}

const PREFIX = 'did='

/**
 * The DID named by a set of `_atproto` TXT records: records not starting with `did=` and values
 * that are not valid DIDs are ignored; repeats of one DID are fine; two different DIDs conflict.
 * @throws {HandleDnsConflictError}
 */
export function didFromTxtRecords(handle: string, records: readonly string[]): string | undefined {
  let found: string | undefined
  let others: string[] | undefined
  for (const r of records) {
    if (!r.startsWith(PREFIX)) continue
    const did = r.slice(PREFIX.length).trim()
    if (!isValidDid(did)) continue
    if (found === undefined) found = did
    else if (did !== found) {
      others ??= []
      if (!others.includes(did)) others.push(did)
    }
  }
  if (others !== undefined && found !== undefined)
    throw new HandleDnsConflictError(handle, [found, ...others])
  return found
}

/** Normalise a handle for resolution: lower-case, valid syntax, allowed TLD; `undefined` otherwise. */
export function normalizeResolvableHandle(handle: string): string | undefined {
  if (typeof handle !== 'string') return undefined
  const h = handle.toLowerCase()
  return isValidHandle(h) && isValidTld(h) ? h : undefined
}

/**
 * Resolves handles to DIDs. The result is only a claim: check it against the DID document (the
 * `IdResolver` does both directions).
 * @example
 * const handles = new HandleResolver({ backupNameservers: ['1.1.1.1'] })
 * const did = await handles.resolve('alice.example.com')
 */
export class HandleResolver {
  readonly timeoutMs: number
  readonly #opts: HandleResolverOptions
  readonly #query: DnsTxtQuery | undefined
  #primary: readonly string[] | undefined

  constructor(opts: HandleResolverOptions = {}) {
    this.#opts = opts
    this.timeoutMs = opts.timeoutMs ?? 3000
    this.#query = opts.dnsQuery === null ? undefined : (opts.dnsQuery ?? dnsDefaults.query)
    this.#primary = opts.nameservers
    if (!(this.timeoutMs > 0)) throw new RangeError('HandleResolver timeoutMs must be positive')
  }

  /**
   * The DID the handle points to, from whichever method answers validly first; `undefined` when
   * neither does (or the handle is not resolvable: bad syntax, a disallowed TLD).
   * @throws only the caller's abort reason.
   */
  async resolve(handle: string, opts: HandleLookupOptions = {}): Promise<string | undefined> {
    return (await this.resolveDetailed(handle, opts)).did
  }

  /**
   * Like {@link HandleResolver.resolve}, but says how each method ended when no DID was found, so
   * a caller can tell "confirmed absent" (`transient: false`) from "could not ask" and avoid marking
   * a handle invalid because a nameserver was down.
   * @throws only the caller's abort reason.
   */
  async resolveDetailed(handle: string, opts: HandleLookupOptions = {}): Promise<HandleResolution> {
    const h = normalizeResolvableHandle(handle)
    if (h === undefined)
      return { did: undefined, dns: { status: 'skipped' }, http: { status: 'skipped' }, transient: false }
    const loser = new AbortController()
    const signal = opts.signal ? AbortSignal.any([opts.signal, loser.signal]) : loser.signal
    const race = new Promise<HandleResolution>((resolve) => {
      let dns: HandleMethodOutcome | undefined
      let http: HandleMethodOutcome | undefined
      const settle = (method: 'dns' | 'http', outcome: HandleMethodOutcome): void => {
        if (outcome.status === 'found') {
          loser.abort()
          resolve({ did: outcome.did, method })
          return
        }
        if (method === 'dns') dns = outcome
        else http = outcome
        if (dns !== undefined && http !== undefined) {
          resolve({
            did: undefined,
            dns,
            http,
            transient: dns.status === 'failed' || http.status === 'failed',
          })
        }
      }
      const track = (method: 'dns' | 'http', p: Promise<string | undefined>): void => {
        p.then(
          (did) => settle(method, did === undefined ? { status: 'none' } : { status: 'found', did }),
          (error: unknown) =>
            settle(
              method,
              error instanceof HandleDnsConflictError
                ? { status: 'conflict', dids: error.dids }
                : { status: 'failed', error },
            ),
        )
      }
      if (this.#query === undefined) settle('dns', { status: 'skipped' })
      else track('dns', this.resolveDns(h, { signal }))
      track('http', this.resolveHttp(h, { signal }))
    })
    return withSignal(race, opts.signal)
  }

  /**
   * DNS method alone: primaries in order (moving on when one fails), then backups.
   * @throws {HandleDnsConflictError}; {DnsError}/{ResolutionTimeoutError} when no server answered.
   */
  async resolveDns(handle: string, opts: HandleLookupOptions = {}): Promise<string | undefined> {
    const query = this.#query
    if (query === undefined) return undefined
    const name = `_atproto.${handle.toLowerCase()}`
    // Such a name cannot be queried; the HTTPS method still works for very long handles.
    if (name.length > 253) return undefined
    this.#primary ??= dnsDefaults.nameservers()
    let answered = false
    let lastError: unknown
    for (const group of [this.#primary, this.#opts.backupNameservers ?? []]) {
      for (const server of group) {
        opts.signal?.throwIfAborted()
        let records: string[]
        try {
          records = await query({ name, server, timeoutMs: this.timeoutMs, signal: opts.signal })
        } catch (err) {
          opts.signal?.throwIfAborted()
          lastError = err
          continue
        }
        answered = true
        const did = didFromTxtRecords(handle, records)
        if (did !== undefined) return did
        break
      }
    }
    if (!answered && lastError !== undefined) throw lastError
    return undefined
  }

  /**
   * HTTPS method alone: a 2xx response whose trimmed body is a valid DID; other 4xx answers and
   * bodies that are not a DID give `undefined`.
   * @throws {HttpStatusError} for 5xx and 429; {ResolutionTimeoutError} {ResponseTooLargeError}
   *   {RedirectRefusedError} {NetworkError}
   */
  async resolveHttp(handle: string, opts: HandleLookupOptions = {}): Promise<string | undefined> {
    const h = handle.toLowerCase()
    const url = this.#opts.wellKnownUrl ? this.#opts.wellKnownUrl(h) : `https://${h}/.well-known/atproto-did`
    const res = await httpGet(url, {
      fetch: this.#opts.fetch,
      timeoutMs: this.timeoutMs,
      maxBytes: this.#opts.maxResponseBytes ?? 4096,
      signal: opts.signal,
      accept: 'text/plain',
      redirects: this.#opts.redirects,
    })
    // Server trouble is a failure (worth retrying), other non-2xx answers mean "no DID here".
    if (res.status >= 500 || res.status === 429) throw new HttpStatusError(res.url, res.status)
    if (res.status < 200 || res.status > 299) return undefined
    const did = decodeUtf8(res.body)?.trim()
    return did !== undefined && isValidDid(did) ? did : undefined
  }
}
