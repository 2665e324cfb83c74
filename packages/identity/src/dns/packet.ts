// Minimal DNS wire format (RFC 1035) for one job: ask for TXT records and read them back from an
// untrusted server. Pure byte code, no Node APIs, so a DoH transport could reuse it in browsers.
// Every read is bounds-checked, compression pointers may only point backwards (no loops), and
// counts are capped, so a hostile packet yields a DnsPacketError, never a crash or a hang.

/** TXT record type. */
export const TYPE_TXT = 16
const TYPE_CNAME = 5
const TYPE_OPT = 41
const CLASS_IN = 1

/** Response codes the resolver distinguishes. */
export const RCODE_NOERROR = 0
export const RCODE_NXDOMAIN = 3

/** A malformed or unexpected DNS packet; `offset` is where reading stopped. */
export class DnsPacketError extends Error {
  override name = 'DnsPacketError'
  readonly code = 'DNS_PACKET_INVALID'
  readonly offset: number
  readonly reason: string
  constructor(reason: string, offset: number) {
    super(`malformed DNS packet; reason=${reason} offset=${offset}`)
    this.offset = offset
    this.reason = reason
  }
}

/** A TXT response, reduced to what handle resolution needs. */
export interface TxtAnswer {
  readonly id: number
  readonly rcode: number
  readonly truncated: boolean
  /** Each TXT record's character-strings joined, in answer order. */
  readonly records: readonly string[]
}

/** Options of {@link encodeTxtQuery}. */
export interface TxtQueryOptions {
  readonly id: number
  /** Advertise this UDP payload size with EDNS(0); 0 disables EDNS. Default 1232. */
  readonly ednsUdpSize?: number
}

/**
 * Encode a recursive TXT query for `name` (ASCII hostname, no trailing dot).
 * @throws {RangeError} when a label is empty or longer than 63 bytes or the name exceeds 253.
 */
export function encodeTxtQuery(name: string, opts: TxtQueryOptions): Uint8Array {
  const labels = name.split('.')
  if (name.length > 253) throw new RangeError(`DNS name longer than 253; length=${name.length}`)
  const edns = opts.ednsUdpSize ?? 1232
  const size = 12 + name.length + 2 + 4 + (edns > 0 ? 11 : 0)
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  view.setUint16(0, opts.id & 0xffff)
  view.setUint16(2, 0x0100) // RD: ask for recursion
  view.setUint16(4, 1) // QDCOUNT
  view.setUint16(10, edns > 0 ? 1 : 0) // ARCOUNT
  let at = 12
  for (const label of labels) {
    if (label.length === 0 || label.length > 63) throw new RangeError(`bad DNS label; name=${name}`)
    out[at++] = label.length
    for (let i = 0; i < label.length; i++) {
      const c = label.charCodeAt(i)
      if (c > 0x7e || c < 0x21) throw new RangeError(`non-ASCII DNS name; name=${name}`)
      out[at++] = c
    }
  }
  out[at++] = 0
  view.setUint16(at, TYPE_TXT)
  view.setUint16(at + 2, CLASS_IN)
  at += 4
  if (edns > 0) {
    // OPT pseudo-record: root name, type 41, class = UDP size, TTL 0, no options.
    out[at] = 0
    view.setUint16(at + 1, TYPE_OPT)
    view.setUint16(at + 3, edns)
    at += 11
  }
  return out
}

const MAX_RECORDS = 256
const MAX_POINTER_JUMPS = 32

function need(buf: Uint8Array, at: number, n: number): void {
  if (at + n > buf.length) throw new DnsPacketError('truncated', at)
}

// Read a possibly compressed name; returns it lower-cased and the offset just past it in place.
function readName(buf: Uint8Array, start: number): { name: string; next: number } {
  let at = start
  let next = -1
  let jumps = 0
  let name = ''
  for (;;) {
    need(buf, at, 1)
    const len = buf[at]!
    if (len === 0) {
      at += 1
      break
    }
    if ((len & 0xc0) === 0xc0) {
      need(buf, at, 2)
      const ptr = ((len & 0x3f) << 8) | buf[at + 1]!
      // Only backwards pointers: a name can never refer to itself or to later bytes, so no loop.
      if (ptr >= at) throw new DnsPacketError('forward compression pointer', at)
      if (++jumps > MAX_POINTER_JUMPS) throw new DnsPacketError('too many compression pointers', at)
      if (next < 0) next = at + 2
      at = ptr
      continue
    }
    if ((len & 0xc0) !== 0) throw new DnsPacketError('bad label type', at)
    need(buf, at, 1 + len)
    let label = ''
    for (let i = 1; i <= len; i++) label += String.fromCharCode(buf[at + i]!)
    name = name === '' ? label : `${name}.${label}`
    if (name.length > 255) throw new DnsPacketError('name too long', at)
    at += 1 + len
  }
  return { name: name.toLowerCase(), next: next < 0 ? at : next }
}

const latin1 = new TextDecoder('latin1')

/**
 * Decode a response to a TXT query for `name` with transaction `id`. Only TXT records owned by
 * `name` (or by a CNAME target of it in the same answer) are returned.
 * @throws {DnsPacketError} on malformed bytes, a different id, a non-response, or a different question.
 */
export function decodeTxtResponse(buf: Uint8Array, expect: { id: number; name: string }): TxtAnswer {
  need(buf, 0, 12)
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const id = view.getUint16(0)
  if (id !== (expect.id & 0xffff)) throw new DnsPacketError('transaction id mismatch', 0)
  const flags = view.getUint16(2)
  if ((flags & 0x8000) === 0) throw new DnsPacketError('not a response', 2)
  const truncated = (flags & 0x0200) !== 0
  const rcode = flags & 0x000f
  const qd = view.getUint16(4)
  const an = view.getUint16(6)
  if (qd !== 1) throw new DnsPacketError('expected one question', 4)
  if (an > MAX_RECORDS) throw new DnsPacketError('too many answers', 6)
  const want = expect.name.toLowerCase()
  const q = readName(buf, 12)
  need(buf, q.next, 4)
  if (q.name !== want || view.getUint16(q.next) !== TYPE_TXT) {
    throw new DnsPacketError('question does not match the query', 12)
  }
  let at = q.next + 4
  const owners = new Set([want])
  const txt: { owner: string; value: string }[] = []
  for (let i = 0; i < an; i++) {
    const rr = readName(buf, at)
    at = rr.next
    need(buf, at, 10)
    const type = view.getUint16(at)
    const rdlen = view.getUint16(at + 8)
    at += 10
    need(buf, at, rdlen)
    if (type === TYPE_CNAME) {
      if (owners.has(rr.name)) owners.add(readName(buf, at).name)
    } else if (type === TYPE_TXT) {
      txt.push({ owner: rr.name, value: readCharacterStrings(buf, at, rdlen) })
    }
    at += rdlen
  }
  const records: string[] = []
  for (const t of txt) if (owners.has(t.owner)) records.push(t.value)
  return { id, rcode, truncated, records }
}

// TXT RDATA is one or more <length><bytes> strings; a record's value is their concatenation.
function readCharacterStrings(buf: Uint8Array, start: number, rdlen: number): string {
  const end = start + rdlen
  let at = start
  let out = ''
  while (at < end) {
    const len = buf[at]!
    if (at + 1 + len > end) throw new DnsPacketError('TXT string overruns record', at)
    out += latin1.decode(buf.subarray(at + 1, at + 1 + len))
    at += 1 + len
  }
  return out
}
