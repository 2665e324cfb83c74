// @rsky/identity/dns: the Node UDP DNS client, for callers who want to use or wrap it directly.
export { DnsPacketError, decodeTxtResponse, encodeTxtQuery, type TxtAnswer } from './dns/packet.ts'
export type { DnsTxtQuery, TxtQueryRequest } from './dns/types.ts'
export { type NameserverAddress, parseNameserver, queryTxtUdp, systemNameservers } from './dns/udp.node.ts'
