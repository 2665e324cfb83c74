// Browser (and other non-Node) defaults: no DNS transport, so handles resolve over HTTPS only
// unless the caller passes one (e.g. a DNS-over-HTTPS client).
import type { DnsDefaults } from './types.ts'

/** No default DNS transport outside Node. */
export const dnsDefaults: DnsDefaults = { query: undefined, nameservers: () => [] }
