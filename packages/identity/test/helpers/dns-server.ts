// A real UDP DNS server on 127.0.0.1 built with dns-packet: answers TXT queries from a zone map
// and counts queries per name.
import { createSocket, type Socket } from 'node:dgram'
import type { AddressInfo } from 'node:net'
import dnsPacket from 'dns-packet'

/** A name's behaviour: TXT records (each a list of chunks), or a failure mode. */
export type ZoneEntry =
  | string[][]
  | 'servfail'
  | 'refused'
  | 'drop'
  | 'truncated'
  | 'garbage'
  | { cname: string }

export interface TestDnsServer {
  readonly port: number
  readonly address: string
  readonly zone: Map<string, ZoneEntry>
  queries(name: string): number
  close(): Promise<void>
}

export async function startDnsServer(): Promise<TestDnsServer> {
  const zone = new Map<string, ZoneEntry>()
  const counts = new Map<string, number>()
  const socket: Socket = createSocket('udp4')
  socket.on('message', (msg, rinfo) => {
    let q: dnsPacket.Packet
    try {
      q = dnsPacket.decode(msg)
    } catch {
      return
    }
    const question = q.questions?.[0]
    if (!question) return
    const name = question.name.toLowerCase()
    counts.set(name, (counts.get(name) ?? 0) + 1)
    const entry = zone.get(name)
    if (entry === 'drop') return
    if (entry === 'garbage') {
      socket.send(Buffer.from([msg[0]!, msg[1]!, 0x81, 0x80, 0, 1, 0, 5]), rinfo.port, rinfo.address)
      return
    }
    const base = {
      id: q.id,
      type: 'response' as const,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: q.questions,
    }
    let rcode = 0
    let answers: dnsPacket.Answer[] = []
    let flags = base.flags | dnsPacket.RECURSION_AVAILABLE
    if (entry === undefined) rcode = 3
    else if (entry === 'servfail') rcode = 2
    else if (entry === 'refused') rcode = 5
    else if (entry === 'truncated') flags |= dnsPacket.TRUNCATED_RESPONSE
    else if (Array.isArray(entry)) {
      answers = entry.map((chunks) => ({ type: 'TXT', name: question.name, ttl: 60, data: chunks }))
    } else {
      const target = entry.cname
      const targetEntry = zone.get(target)
      answers = [{ type: 'CNAME', name: question.name, ttl: 60, data: target }]
      if (Array.isArray(targetEntry)) {
        for (const chunks of targetEntry) answers.push({ type: 'TXT', name: target, ttl: 60, data: chunks })
      }
    }
    // dns-packet carries the rcode in the low four bits of `flags`.
    const out = dnsPacket.encode({ ...base, flags: flags | rcode, answers } as dnsPacket.Packet)
    socket.send(out, rinfo.port, rinfo.address)
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  const port = (socket.address() as AddressInfo).port
  return {
    port,
    address: `127.0.0.1:${port}`,
    zone,
    queries: (name) => counts.get(name.toLowerCase()) ?? 0,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  }
}

/** A loopback UDP port with nothing listening (bound then closed), for "server down" cases. */
export async function deadUdpPort(): Promise<string> {
  const s = createSocket('udp4')
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return `127.0.0.1:${port}`
}
