// Node defaults for handle resolution: UDP DNS against the system's nameservers.
import type { DnsDefaults } from './types.ts'
import { queryTxtUdp, systemNameservers } from './udp.node.ts'

/** Default DNS transport and nameservers on Node. */
export const dnsDefaults: DnsDefaults = { query: queryTxtUdp, nameservers: systemNameservers }
