// A real DNS server on 127.0.0.1 (UDP, and TCP on the same port) built with dns-packet: answers
// TXT queries from a zone map and counts queries per name.
import { createSocket, type Socket } from 'node:dgram'
import { type AddressInfo, createServer, type Server } from 'node:net'
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
  // Truncated over UDP, answered in full over TCP.
  | { large: string[][] }

export interface TestDnsServer {
  readonly port: number
  readonly address: string
  readonly zone: Map<string, ZoneEntry>
  /** Queries seen for `name` over UDP; `tcp:<name>` for TCP. */
  queries(name: string): number
  close(): Promise<void>
}

export async function startDnsServer(): Promise<TestDnsServer> {
  const zone = new Map<string, ZoneEntry>()
  const counts = new Map<string, number>()
  const socket: Socket = createSocket('udp4')
  // Builds the reply to a query, or undefined for "say nothing".
  const reply = (msg: Buffer, tcp: boolean): Buffer | undefined => {
    let q: dnsPacket.Packet
    try {
      q = dnsPacket.decode(msg)
    } catch {
      return undefined
    }
    const question = q.questions?.[0]
    if (!question) return undefined
    const name = question.name.toLowerCase()
    const key = tcp ? `tcp:${name}` : name
    counts.set(key, (counts.get(key) ?? 0) + 1)
    const entry = zone.get(name)
    if (entry === 'drop') return undefined
    if (entry === 'garbage') return Buffer.from([msg[0]!, msg[1]!, 0x81, 0x80, 0, 1, 0, 5])
    if (tcp && entry === 'truncated') return undefined
    const base = { id: q.id, type: 'response' as const, questions: q.questions }
    let rcode = 0
    let answers: dnsPacket.Answer[] = []
    let flags = dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE
    const txt = (owner: string, records: string[][]): dnsPacket.Answer[] =>
      records.map((chunks) => ({ type: 'TXT', name: owner, ttl: 60, data: chunks }))
    if (entry === undefined) rcode = 3
    else if (entry === 'servfail') rcode = 2
    else if (entry === 'refused') rcode = 5
    else if (entry === 'truncated') flags |= dnsPacket.TRUNCATED_RESPONSE
    else if (Array.isArray(entry)) answers = txt(question.name, entry)
    else if ('large' in entry) {
      if (tcp) answers = txt(question.name, entry.large)
      else flags |= dnsPacket.TRUNCATED_RESPONSE
    } else {
      const target = entry.cname
      const targetEntry = zone.get(target)
      answers = [{ type: 'CNAME', name: question.name, ttl: 60, data: target }]
      if (Array.isArray(targetEntry)) answers.push(...txt(target, targetEntry))
    }
    // dns-packet carries the rcode in the low four bits of `flags`.
    return dnsPacket.encode({ ...base, flags: flags | rcode, answers } as dnsPacket.Packet)
  }
  socket.on('message', (msg, rinfo) => {
    const out = reply(msg, false)
    if (out) socket.send(out, rinfo.port, rinfo.address)
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  const port = (socket.address() as AddressInfo).port
  // TCP on the same port number, length-prefixed (RFC 7766).
  const tcp: Server = createServer((conn) => {
    let buf = Buffer.alloc(0)
    conn.on('error', () => {})
    conn.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk])
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return
      const out = reply(buf.subarray(2, 2 + buf.readUInt16BE(0)), true)
      if (!out) return void conn.destroy()
      const len = Buffer.alloc(2)
      len.writeUInt16BE(out.length)
      conn.end(Buffer.concat([len, out]))
    })
  })
  await new Promise<void>((resolve) => tcp.listen(port, '127.0.0.1', resolve))
  return {
    port,
    address: `127.0.0.1:${port}`,
    zone,
    queries: (name) => counts.get(name.toLowerCase()) ?? 0,
    close: async () => {
      await new Promise<void>((resolve) => socket.close(() => resolve()))
      await new Promise<void>((resolve) => tcp.close(() => resolve()))
    },
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
