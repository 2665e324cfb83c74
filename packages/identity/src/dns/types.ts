// The seam between handle resolution and a DNS transport (UDP in Node, anything else elsewhere).

/** One TXT lookup against one nameserver. */
export interface TxtQueryRequest {
  /** Fully qualified name without a trailing dot, e.g. `_atproto.alice.example.com`. */
  readonly name: string
  /** Nameserver address as the transport understands it (`1.2.3.4`, `1.2.3.4:5353`, `[::1]:53`). */
  readonly server: string
  readonly timeoutMs: number
  readonly signal?: AbortSignal
}

/**
 * A DNS transport: resolves with each TXT record's joined strings (empty for NXDOMAIN / no data),
 * rejects when this server could not give an answer so the next server can be tried.
 */
export type DnsTxtQuery = (req: TxtQueryRequest) => Promise<string[]>

/** Platform defaults: a transport and the system nameservers, or neither (browsers). */
export interface DnsDefaults {
  readonly query: DnsTxtQuery | undefined
  readonly nameservers: () => string[]
}
