// DNS over HTTPS (RFC 8484, wire format over POST): a DNS transport for runtimes without UDP,
// built on fetch and the same packet code as the UDP client.
import { DnsError, HttpStatusError } from '../errors.ts'
import { type FetchLike, httpGet } from '../http.ts'
import { decodeTxtResponse, encodeTxtQuery, RCODE_NOERROR, RCODE_NXDOMAIN } from './packet.ts'
import type { DnsTxtQuery, TxtQueryRequest } from './types.ts'

/** Options of {@link createDohTxtQuery}. */
export interface DohOptions {
  /** Fetch implementation. Default `globalThis.fetch`. */
  readonly fetch?: FetchLike
}

const MESSAGE = 'application/dns-message'

/**
 * A {@link DnsTxtQuery} that sends each query to a DoH endpoint; the nameserver strings are the
 * endpoint URLs (for example `https://cloudflare-dns.com/dns-query`).
 * @example
 * const handles = new HandleResolver({
 *   dnsQuery: createDohTxtQuery(),
 *   nameservers: ['https://cloudflare-dns.com/dns-query'],
 * })
 */
export function createDohTxtQuery(opts: DohOptions = {}): DnsTxtQuery {
  return async (req: TxtQueryRequest): Promise<string[]> => {
    // RFC 8484 asks for id 0 so that HTTP caches can share answers.
    const query = encodeTxtQuery(req.name, { id: 0 })
    const res = await httpGet(req.server, {
      fetch: opts.fetch,
      timeoutMs: req.timeoutMs,
      maxBytes: 65_535,
      signal: req.signal,
      accept: MESSAGE,
      body: { bytes: query, contentType: MESSAGE },
    })
    if (res.status !== 200) throw new HttpStatusError(res.url, res.status)
    let answer: ReturnType<typeof decodeTxtResponse>
    try {
      answer = decodeTxtResponse(res.body, { id: 0, name: req.name })
    } catch (err) {
      throw new DnsError(req.server, err instanceof Error ? err.message : 'malformed answer')
    }
    if (answer.rcode === RCODE_NXDOMAIN) return []
    if (answer.rcode !== RCODE_NOERROR) throw new DnsError(req.server, `rcode ${answer.rcode}`)
    if (answer.truncated) throw new DnsError(req.server, 'truncated answer')
    return [...answer.records]
  }
}
