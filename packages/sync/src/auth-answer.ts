// The answer a CommitAuthPool worker gives for a commit that passed, in a small fixed layout. The
// main thread already holds the event it sent (its rev, ops, CIDs and the CAR bytes), so the
// answer carries only what the worker learnt: the signed tree root, the root before the commit,
// and where each op's record block lies in the event's CAR. Records are then views of the
// main thread's own frame, and no DAG-CBOR map is encoded, decoded or walked per commit.
//
// Layout, little-endian:
//   u8 tag (VERIFIED) · u8 flags (bit 0: unproven) · f64 seq · u16 repo length · repo (UTF-8)
//   · u8 length · data CID · u8 length · prevData CID · u32 op count · per op: u8 kind and
//   NONE: nothing more | IN_CAR: u32 offset, u32 length (into the event's `blocks`) |
//   INLINE: u32 length, the record's bytes
// Any other first byte is a DAG-CBOR answer (a rejection), as before.

/** First byte of a verified answer (a DAG-CBOR map never starts with it: maps are 0xa0–0xbb). */
export const VERIFIED = 0x01

const NONE = 0
const IN_CAR = 1
const INLINE = 2

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder('utf-8', { fatal: true })

/** What the worker fills in for a verified commit. */
export interface VerifiedAnswer {
  seq: number
  repo: string
  unproven: boolean
  data: Uint8Array
  prevData: Uint8Array
  /** Each op's record block (null for deletes and absent blocks), in the event's op order. */
  records: readonly (Uint8Array | null)[]
  /** The event's CAR, to place records that are views of it. */
  car: Uint8Array
}

/** Where a record lies in the CAR it was read from, or -1 when it is not a view of it. */
function offsetIn(car: Uint8Array, record: Uint8Array): number {
  if (record.buffer !== car.buffer) return -1
  const off = record.byteOffset - car.byteOffset
  return off >= 0 && off + record.length <= car.length ? off : -1
}

/** Encodes a verified commit's answer (worker side). */
export function encodeVerifiedAnswer(a: VerifiedAnswer): Uint8Array {
  const repo = textEncoder.encode(a.repo)
  let size = 1 + 1 + 8 + 2 + repo.length + 1 + a.data.length + 1 + a.prevData.length + 4
  const offsets: number[] = []
  for (const r of a.records) {
    const off = r === null ? -1 : offsetIn(a.car, r)
    offsets.push(off)
    size += r === null ? 1 : off >= 0 ? 9 : 5 + r.length
  }
  if (repo.length > 0xffff || a.data.length > 0xff || a.prevData.length > 0xff)
    throw new RangeError(`answer field too long; repo=${repo.length} data=${a.data.length}`)
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  let at = 0
  out[at++] = VERIFIED
  out[at++] = a.unproven ? 1 : 0
  view.setFloat64(at, a.seq, true)
  at += 8
  view.setUint16(at, repo.length, true)
  at += 2
  out.set(repo, at)
  at += repo.length
  out[at++] = a.data.length
  out.set(a.data, at)
  at += a.data.length
  out[at++] = a.prevData.length
  out.set(a.prevData, at)
  at += a.prevData.length
  view.setUint32(at, a.records.length, true)
  at += 4
  for (let i = 0; i < a.records.length; i++) {
    const r = a.records[i] as Uint8Array | null
    const off = offsets[i] as number
    if (r === null) out[at++] = NONE
    else if (off >= 0) {
      out[at++] = IN_CAR
      view.setUint32(at, off, true)
      view.setUint32(at + 4, r.length, true)
      at += 8
    } else {
      out[at++] = INLINE
      view.setUint32(at, r.length, true)
      out.set(r, at + 4)
      at += 4 + r.length
    }
  }
  return out
}

/** A verified answer read back on the main thread: CIDs as bytes, records as views. */
export interface ReadAnswer {
  unproven: boolean
  data: Uint8Array
  prevData: Uint8Array
  records: (Uint8Array | null)[]
}

/**
 * Reads a verified answer for `event` (the one sent); records placed in the CAR become views of
 * `event.blocks`, the main thread's copy of the same bytes.
 * @throws {TypeError} when the answer is for another event (its seq, repo or op count differ)
 * @throws {RangeError} when the answer is truncated or places a record outside the CAR
 */
export function decodeVerifiedAnswer(
  bytes: Uint8Array,
  event: { seq: number; repo: string; blocks: Uint8Array; ops: readonly unknown[] },
): ReadAnswer {
  const car = event.blocks
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const need = (at: number, n: number): void => {
    if (at + n > bytes.length) throw new RangeError(`auth answer truncated; at=${at} size=${bytes.length}`)
  }
  let at = 0
  need(at, 12)
  if (bytes[at++] !== VERIFIED) throw new RangeError('auth answer is not a verified one')
  const unproven = ((bytes[at++] as number) & 1) === 1
  const seq = view.getFloat64(at, true)
  at += 8
  const repoLen = view.getUint16(at, true)
  at += 2
  need(at, repoLen + 1)
  const sameRepo = sameText(bytes, at, repoLen, event.repo)
  at += repoLen
  const dataLen = bytes[at++] as number
  need(at, dataLen + 1)
  const data = bytes.subarray(at, at + dataLen)
  at += dataLen
  const prevLen = bytes[at++] as number
  need(at, prevLen + 4)
  const prevData = bytes.subarray(at, at + prevLen)
  at += prevLen
  const count = view.getUint32(at, true)
  at += 4
  if (seq !== event.seq || !sameRepo || count !== event.ops.length)
    throw new TypeError(
      `CommitAuthPool: opts.body is not this event's; seq=${event.seq} repo=${event.repo} body.seq=${seq}`,
    )
  const records: (Uint8Array | null)[] = []
  for (let i = 0; i < count; i++) {
    need(at, 1)
    const kind = bytes[at++]
    if (kind === NONE) records.push(null)
    else if (kind === IN_CAR) {
      need(at, 8)
      const off = view.getUint32(at, true)
      const len = view.getUint32(at + 4, true)
      at += 8
      if (off + len > car.length)
        throw new RangeError(`auth answer places a record outside the CAR; offset=${off} length=${len}`)
      records.push(car.subarray(off, off + len))
    } else if (kind === INLINE) {
      need(at, 4)
      const len = view.getUint32(at, true)
      at += 4
      need(at, len)
      records.push(bytes.slice(at, at + len))
      at += len
    } else throw new RangeError(`auth answer has an unknown record kind; kind=${kind}`)
  }
  if (at !== bytes.length)
    throw new RangeError(`auth answer has trailing bytes; at=${at} size=${bytes.length}`)
  return { unproven, data, prevData, records }
}

/** Whether `bytes[at, at + len)` is the UTF-8 of `text` (DIDs are ASCII: compared without decoding). */
function sameText(bytes: Uint8Array, at: number, len: number, text: string): boolean {
  if (len === text.length) {
    let i = 0
    while (i < len && bytes[at + i] === text.charCodeAt(i) && (bytes[at + i] as number) < 0x80) i++
    if (i === len) return true
  }
  try {
    return textDecoder.decode(bytes.subarray(at, at + len)) === text
  } catch {
    return false
  }
}
