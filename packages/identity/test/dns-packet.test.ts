import dnsPacket from 'dns-packet'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DnsPacketError, decodeTxtResponse, encodeTxtQuery } from '../src/dns.node.ts'

const NAME = '_atproto.alice.test'

function response(answers: dnsPacket.Answer[], over: Partial<dnsPacket.Packet> = {}): Uint8Array {
  return dnsPacket.encode({
    id: 4242,
    type: 'response',
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type: 'TXT', name: NAME }],
    answers,
    ...over,
  } as dnsPacket.Packet)
}

describe('encodeTxtQuery', () => {
  it('is a query dns-packet reads back', () => {
    const q = dnsPacket.decode(Buffer.from(encodeTxtQuery(NAME, { id: 7 })))
    expect(q.id).toBe(7)
    expect(q.type).toBe('query')
    expect(q.flag_rd).toBe(true)
    expect(q.questions).toEqual([{ name: NAME, type: 'TXT', class: 'IN' }])
    expect(q.additionals?.[0]?.type).toBe('OPT')
    expect(
      dnsPacket.decode(Buffer.from(encodeTxtQuery(NAME, { id: 7, ednsUdpSize: 0 }))).additionals,
    ).toEqual([])
  })
  it.each(['', 'a..b', `${'a'.repeat(64)}.test`, `${'a.'.repeat(127)}aa`, 'ünicode.test'])(
    'refuses %j',
    (n) => {
      expect(() => encodeTxtQuery(n, { id: 1 })).toThrow(RangeError)
    },
  )
})

describe('decodeTxtResponse vs dns-packet', () => {
  const chunk = fc.string({
    minLength: 0,
    maxLength: 80,
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  })
  const txt = fc.array(chunk, { minLength: 1, maxLength: 4 })
  const answer = fc.oneof(
    txt.map((data) => ({ type: 'TXT' as const, name: NAME, ttl: 60, data })),
    txt.map((data) => ({ type: 'TXT' as const, name: 'other.test', ttl: 60, data })),
    fc.constant({ type: 'A' as const, name: NAME, ttl: 60, data: '1.2.3.4' }),
  )
  it('reads exactly the TXT records owned by the name', () => {
    fc.assert(
      fc.property(fc.array(answer, { maxLength: 8 }), (answers) => {
        const got = decodeTxtResponse(response(answers), { id: 4242, name: NAME })
        const want = answers
          .filter((a) => a.type === 'TXT' && a.name === NAME)
          .map((a) => (a.data as string[]).join(''))
        expect(got.records).toEqual(want)
        expect(got.rcode).toBe(0)
      }),
      { seed: 42, numRuns: 300 },
    )
  })
  it('every truncation of a valid answer is a DnsPacketError', () => {
    const full = response([
      { type: 'TXT', name: NAME, ttl: 60, data: ['did=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'] },
    ])
    for (let n = 0; n < full.length; n++) {
      expect(() => decodeTxtResponse(full.subarray(0, n), { id: 4242, name: NAME })).toThrow(DnsPacketError)
    }
  })
  it('random bytes never crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          decodeTxtResponse(bytes, { id: (bytes[0] ?? 0) * 256 + (bytes[1] ?? 0), name: NAME })
        } catch (err) {
          expect(err).toBeInstanceOf(DnsPacketError)
        }
      }),
      { seed: 42, numRuns: 3000 },
    )
  })
})

// Hand-built packets for what dns-packet will not produce.
function header(opts: { id?: number; flags?: number; qd?: number; an?: number } = {}): number[] {
  const { id = 1, flags = 0x8180, qd = 1, an = 1 } = opts
  return [id >> 8, id & 255, flags >> 8, flags & 255, qd >> 8, qd & 255, an >> 8, an & 255, 0, 0, 0, 0]
}
const qname = (name: string): number[] => [
  ...name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]),
  0,
]
const question = [...qname('a.test'), 0, 16, 0, 1]
const rrHead = (rdlen: number): number[] => [0, 16, 0, 1, 0, 0, 0, 60, rdlen >> 8, rdlen & 255]

describe('decodeTxtResponse hostile table', () => {
  const cases: [string, number[], string][] = [
    ['wrong id', [...header({ id: 2 }), ...question], 'transaction id mismatch'],
    ['a query, not a response', [...header({ flags: 0x0100 }), ...question], 'not a response'],
    ['no question', [...header({ qd: 0, an: 0 })], 'expected one question'],
    ['too many answers', [...header({ an: 5000 }), ...question], 'too many answers'],
    [
      'different question',
      [...header(), ...qname('b.test'), 0, 16, 0, 1],
      'question does not match the query',
    ],
    ['self pointer', [...header(), ...question, 0xc0, 24, ...rrHead(0)], 'forward compression pointer'],
    ['forward pointer', [...header(), ...question, 0xc0, 60, ...rrHead(0)], 'forward compression pointer'],
    ['reserved label type', [...header(), ...question, 0x40, ...rrHead(0)], 'bad label type'],
    ['rdata overruns packet', [...header(), ...question, 0xc0, 12, ...rrHead(50), 1, 2], 'truncated'],
    [
      'TXT string overruns record',
      [...header(), ...question, 0xc0, 12, ...rrHead(3), 10, 65, 66],
      'TXT string overruns record',
    ],
    [
      'name over 255 bytes',
      [...header(), ...qname(`${'a'.repeat(63)}.`.repeat(5).slice(0, -1)), 0, 16, 0, 1],
      'name too long',
    ],
  ]
  it.each(cases)('%s', (_n, bytes, reason) => {
    const err = (() => {
      try {
        decodeTxtResponse(Uint8Array.from(bytes), { id: 1, name: 'a.test' })
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(DnsPacketError)
    expect(err).toMatchObject({ code: 'DNS_PACKET_INVALID', reason })
  })
  it('a valid compressed answer decodes', () => {
    const bytes = [...header(), ...question, 0xc0, 12, ...rrHead(5), 4, 100, 105, 100, 61]
    expect(decodeTxtResponse(Uint8Array.from(bytes), { id: 1, name: 'A.TEST' }).records).toEqual(['did='])
  })
  it('pointer chains are bounded', () => {
    // Each pointer points at the previous one: backwards only, so it ends, and the jump cap bounds work.
    const bytes = [...header(), ...question]
    const chain: number[] = []
    let prev = 12
    for (let i = 0; i < 40; i++) {
      const at = bytes.length + chain.length
      chain.push(0xc0 | (prev >> 8), prev & 255)
      prev = at
    }
    const rr = [...bytes, ...chain, 0xc0 | (prev >> 8), prev & 255, ...rrHead(0)]
    expect(() => decodeTxtResponse(Uint8Array.from(rr), { id: 1, name: 'a.test' })).toThrow(DnsPacketError)
  })
})
