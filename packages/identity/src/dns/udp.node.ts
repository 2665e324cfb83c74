// DNS TXT over UDP with node:dgram, and over TCP when an answer is truncated. Node only: reached
// through the `#dns-default` import's `node` condition or the `@rsky/identity/dns` subpath.
import { createSocket } from 'node:dgram'
import { getServers } from 'node:dns'
import { isIP } from 'node:net'
import { DnsError, ResolutionTimeoutError } from '../errors.ts'
import {
  DnsPacketError,
  decodeTxtResponse,
  encodeTxtQuery,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  type TxtAnswer,
} from './packet.ts'
import { queryTxtTcpRaw } from './tcp.node.ts'
import type { DnsTxtQuery, TxtQueryRequest } from './types.ts'

/** A nameserver address split into host and port. */
export interface NameserverAddress {
  readonly host: string
  readonly port: number
}

/**
 * Parse `1.2.3.4`, `1.2.3.4:5353`, `::1` or `[::1]:5353`. Port 53 when none is given.
 * @throws {TypeError} when the host is not an IP literal or the port is out of range.
 */
export function parseNameserver(server: string): NameserverAddress {
  let host = server
  let port = 53
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(server)
  if (bracket) {
    host = bracket[1]!
    if (bracket[2] !== undefined) port = Number(bracket[2])
  } else if (isIP(server) === 0) {
    const colon = server.lastIndexOf(':')
    if (colon > 0 && server.indexOf(':') === colon) {
      host = server.slice(0, colon)
      port = Number(server.slice(colon + 1))
    }
  }
  if (isIP(host) === 0) throw new TypeError(`nameserver must be an IP address; server=${server}`)
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new TypeError(`bad nameserver port; server=${server}`)
  return { host, port }
}

/** The system's configured nameservers (from /etc/resolv.conf on Linux). */
export function systemNameservers(): string[] {
  return getServers()
}

function randomId(): number {
  const b = new Uint16Array(1)
  crypto.getRandomValues(b)
  return b[0]!
}

/**
 * Ask one nameserver for TXT records over UDP, retrying over TCP when the answer is truncated.
 * Returns the records (empty on NXDOMAIN or no data).
 * @throws {ResolutionTimeoutError} no valid answer in time; {DnsError} unreachable server, SERVFAIL,
 *   REFUSED or a malformed answer; the caller's abort reason when `signal` fires.
 * @example
 * const records = await queryTxtUdp({ name: '_atproto.alice.test', server: '127.0.0.1:5353', timeoutMs: 1000 })
 */
export const queryTxtUdp: DnsTxtQuery = async (req: TxtQueryRequest): Promise<string[]> => {
  const { host, port } = parseNameserver(req.server)
  let answer = await udpExchange(req, { host, port, id: randomId() })
  if (answer.truncated) {
    answer = await queryTxtTcpRaw({ ...req, host, port, id: randomId() })
    if (answer.truncated) throw new DnsError(req.server, 'truncated answer over tcp')
  }
  if (answer.rcode === RCODE_NXDOMAIN) return []
  if (answer.rcode !== RCODE_NOERROR) throw new DnsError(req.server, `rcode ${answer.rcode}`)
  return [...answer.records]
}

function udpExchange(
  req: TxtQueryRequest,
  { host, port, id }: { host: string; port: number; id: number },
): Promise<TxtAnswer> {
  const query = encodeTxtQuery(req.name, { id })
  return new Promise<TxtAnswer>((resolve, reject) => {
    const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4')
    let done = false
    const finish = (err: unknown, value?: TxtAnswer): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      req.signal?.removeEventListener('abort', onAbort)
      socket.close()
      if (err !== undefined) reject(err)
      else resolve(value!)
    }
    const onAbort = (): void => finish(req.signal?.reason)
    const timer = setTimeout(
      () => finish(new ResolutionTimeoutError(`dns://${req.server}`, req.timeoutMs)),
      req.timeoutMs,
    )
    if (req.signal?.aborted) return finish(req.signal.reason)
    req.signal?.addEventListener('abort', onAbort, { once: true })
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish(new DnsError(req.server, err.code ?? err.message)),
    )
    socket.on('message', (msg: Buffer) => {
      try {
        finish(undefined, decodeTxtResponse(msg, { id, name: req.name }))
      } catch (err) {
        // A stray or spoofed datagram with the wrong id is ignored; keep waiting for ours.
        if (err instanceof DnsPacketError && err.reason === 'transaction id mismatch') return
        finish(new DnsError(req.server, err instanceof Error ? err.message : 'malformed answer'))
      }
    })
    // A connected socket surfaces ICMP "port unreachable" as ECONNREFUSED, so a dead server fails fast.
    socket.connect(port, host, () => {
      socket.send(query, (err) => {
        if (err) finish(new DnsError(req.server, (err as NodeJS.ErrnoException).code ?? err.message))
      })
    })
  })
}
