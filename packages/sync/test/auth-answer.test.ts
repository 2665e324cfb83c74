import { describe, expect, it } from 'vitest'
import { decodeVerifiedAnswer, encodeVerifiedAnswer, VERIFIED } from '../src/auth-answer.ts'

const car = Uint8Array.from({ length: 64 }, (_, i) => i)
const data = Uint8Array.from({ length: 36 }, (_, i) => 100 + i)
const prevData = Uint8Array.from({ length: 36 }, (_, i) => 200 - i)
const outside = Uint8Array.of(7, 8, 9)
const answer = {
  seq: 42,
  repo: 'did:plc:abc',
  unproven: false,
  data,
  prevData,
  // a view of the CAR, a delete, bytes from elsewhere
  records: [car.subarray(10, 20), null, outside],
  car,
}
const event = { seq: 42, repo: 'did:plc:abc', blocks: car, ops: [1, 2, 3] }

describe('verified answer of a CommitAuthPool worker', () => {
  it('round trips: records in the CAR come back as views of the main thread copy, others as copies', () => {
    const bytes = encodeVerifiedAnswer(answer)
    expect(bytes[0]).toBe(VERIFIED)
    // the main thread's own copy of the same CAR bytes
    const mine = car.slice()
    const a = decodeVerifiedAnswer(bytes, { ...event, blocks: mine })
    expect(a.unproven).toBe(false)
    expect(a.data).toEqual(data)
    expect(a.prevData).toEqual(prevData)
    expect(a.records[0]).toEqual(car.subarray(10, 20))
    expect(a.records[0]?.buffer).toBe(mine.buffer)
    expect(a.records[1]).toBeNull()
    expect(a.records[2]).toEqual(outside)
    expect(decodeVerifiedAnswer(encodeVerifiedAnswer({ ...answer, unproven: true }), event).unproven).toBe(
      true,
    )
  })

  it('compares a non-ASCII repo by its UTF-8', () => {
    const bytes = encodeVerifiedAnswer({ ...answer, repo: 'did:web:é.example' })
    expect(() => decodeVerifiedAnswer(bytes, { ...event, repo: 'did:web:é.example' })).not.toThrow()
    expect(() => decodeVerifiedAnswer(bytes, { ...event, repo: 'did:web:e.example' })).toThrow(TypeError)
  })

  it('refuses an answer about another event with a TypeError', () => {
    const bytes = encodeVerifiedAnswer(answer)
    for (const other of [
      { ...event, seq: 43 },
      { ...event, repo: 'did:plc:abd' },
      { ...event, repo: 'did:plc:ab' },
      { ...event, ops: [1, 2] },
    ])
      expect(() => decodeVerifiedAnswer(bytes, other)).toThrow(TypeError)
  })

  it('refuses damaged answers with a RangeError, never a crash', () => {
    const bytes = encodeVerifiedAnswer(answer)
    let cases = 0
    // every truncation
    for (let n = 0; n < bytes.length; n++) {
      expect(() => decodeVerifiedAnswer(bytes.subarray(0, n), event)).toThrow(RangeError)
      cases++
    }
    // trailing bytes
    const longer = new Uint8Array(bytes.length + 1)
    longer.set(bytes)
    expect(() => decodeVerifiedAnswer(longer, event)).toThrow(RangeError)
    // a record placed past the end of the CAR (the main thread's copy is shorter)
    expect(() => decodeVerifiedAnswer(bytes, { ...event, blocks: car.subarray(0, 15) })).toThrow(RangeError)
    // an unknown record kind: the first op's kind byte sits right after the op count
    const kindAt = 1 + 1 + 8 + 2 + answer.repo.length + 1 + 36 + 1 + 36 + 4
    const badKind = bytes.slice()
    badKind[kindAt] = 9
    expect(() => decodeVerifiedAnswer(badKind, event)).toThrow(RangeError)
    // not a verified answer at all
    const notVerified = bytes.slice()
    notVerified[0] = 0xa3
    expect(() => decodeVerifiedAnswer(notVerified, event)).toThrow(RangeError)
    cases += 4
    expect(cases).toBeGreaterThan(bytes.length)
  })
})
