import { readFileSync } from 'node:fs'
import * as dagCbor from '@ipld/dag-cbor'
import { encode, type LexMap } from '@rsky/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FrameError } from '../src/errors.ts'
import { decodeFrame, encodeErrorFrame, encodeFrame, encodeMessageFrame, frameBody } from '../src/frame.ts'
import {
  EVENT_LIMITS,
  eventToBody,
  parseJetstreamEvent,
  parseLabelEvent,
  parseRepoEvent,
} from '../src/index.ts'

const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

describe('frame codec', () => {
  it('round-trips message frames (property)', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.integer(),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
        fc.uint8Array({ maxLength: 16 }),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== '__proto__'),
          tie('v'),
          { maxKeys: 4 },
        ),
      ),
    })).v
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__proto__'),
          value,
          { maxKeys: 6 },
        ),
        (t, body) => {
          const bytes = encodeMessageFrame(t, body as LexMap)
          const f = decodeFrame(bytes)
          expect(f.op).toBe(1)
          expect(encodeFrame(f)).toEqual(bytes)
          // the body's own bytes, header skipped
          expect(frameBody(bytes)).toEqual(encode(body as LexMap))
          // the peer encoder produces the same bytes (canonical DAG-CBOR)
          expect(cat(dagCbor.encode({ op: 1, t }), dagCbor.encode(body))).toEqual(bytes)
        },
      ),
      { seed: 42, numRuns: 200 },
    )
  })

  it('decodes error frames and passes unknown ops through', () => {
    const err = decodeFrame(encodeErrorFrame('FutureCursor', 'cursor in the future'))
    expect(err).toEqual({ op: -1, body: { error: 'FutureCursor', message: 'cursor in the future' } })
    expect(decodeFrame(encodeErrorFrame('ConsumerTooSlow'))).toEqual({
      op: -1,
      body: { error: 'ConsumerTooSlow', message: undefined },
    })
    const unknown = decodeFrame(cat(encode({ op: 7, t: '#x' }), encode({ a: 1 })))
    expect(unknown).toEqual({ op: 7, t: '#x', body: { a: 1 } })
    expect(encodeFrame(unknown)).toEqual(cat(encode({ op: 7, t: '#x' }), encode({ a: 1 })))
    const r = parseRepoEvent(decodeFrame(encodeMessageFrame('#future', { seq: 3 })))
    expect(r).toEqual({ success: true, value: { $type: 'unknown', t: '#future', body: { seq: 3 } } })
  })

  const header = encode({ op: 1, t: '#commit' })
  const body = encode({ seq: 1 })
  const table: [string, Uint8Array, string][] = [
    ['empty', new Uint8Array(0), 'EMPTY_FRAME'],
    ['header only', header, 'MISSING_BODY'],
    ['truncated header', header.subarray(0, 3), 'BAD_HEADER_CBOR'],
    ['header not a map', cat(encode([1, '#commit']), body), 'BAD_HEADER'],
    ['op not an integer', cat(encode({ op: 'x' }), body), 'BAD_HEADER'],
    ['message without t', cat(encode({ op: 1 }), body), 'BAD_HEADER'],
    ['t not a string', cat(encode({ op: 1, t: 5 }), body), 'BAD_HEADER'],
    [
      'non-canonical header',
      cat(Uint8Array.from([0xa2, 0x62, 0x6f, 0x70, 0x01, 0x61, 0x74, 0x61, 0x78]), body),
      'BAD_HEADER_CBOR',
    ],
    [
      'float in header',
      cat(Uint8Array.from([0xa1, 0x62, 0x6f, 0x70, 0xf9, 0x3c, 0x00]), body),
      'BAD_HEADER_CBOR',
    ],
    [
      'indefinite header',
      cat(Uint8Array.from([0xbf, 0x62, 0x6f, 0x70, 0x01, 0xff]), body),
      'BAD_HEADER_CBOR',
    ],
    [
      'huge header length',
      Uint8Array.from([0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      'BAD_HEADER_CBOR',
    ],
    ['truncated body', cat(header, body.subarray(0, body.length - 1)), 'BAD_BODY_CBOR'],
    ['trailing bytes after body', cat(header, body, Uint8Array.from([0])), 'BAD_BODY_CBOR'],
    ['body not a map', cat(header, encode([1])), 'BAD_BODY'],
    ['body is garbage', cat(header, Uint8Array.from([0xff, 0xff])), 'BAD_BODY_CBOR'],
    ['error body without error', cat(encode({ op: -1 }), encode({ message: 'x' })), 'BAD_BODY'],
    ['error message not a string', cat(encode({ op: -1 }), encode({ error: 'X', message: 1 })), 'BAD_BODY'],
    ['deep nesting', cat(header, new Uint8Array(10_000).fill(0x81)), 'BAD_BODY_CBOR'],
  ]
  for (const [name, bytes, code] of table) {
    it(`rejects ${name} with ${code}`, () => {
      let err: unknown
      try {
        decodeFrame(bytes)
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(FrameError)
      expect((err as FrameError).code).toBe(code)
    })
  }

  it('frameBody: a view past the header; a header that is not one item within the limit is refused', () => {
    const bytes = encodeMessageFrame('#commit', { seq: 7 })
    const body = frameBody(bytes)
    expect(body.buffer).toBe(bytes.buffer)
    expect(body).toEqual(encode({ seq: 7 }))
    expect(() => frameBody(Uint8Array.of(0xa2, 0x62))).toThrow(FrameError)
    expect(() => frameBody(new Uint8Array())).toThrow(FrameError)
    expect(() => frameBody(bytes, 2)).toThrow(FrameError)
    expect(() => frameBody('x' as unknown as Uint8Array)).toThrow(TypeError)
    expect(() => frameBody(bytes, 0)).toThrow(RangeError)
  })

  it('enforces the frame size limit before decoding', () => {
    const big = encodeMessageFrame('#commit', { seq: 1, blocks: new Uint8Array(2000) })
    expect(() => decodeFrame(big, { maxFrameSize: 1000 })).toThrow(
      expect.objectContaining({ code: 'FRAME_TOO_LARGE' }),
    )
    expect(() => decodeFrame(big, { maxFrameSize: 0 })).toThrow(RangeError)
    expect(() => decodeFrame('x' as never)).toThrow(TypeError)
  })

  it('never throws anything but FrameError on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeFrame(bytes)
        } catch (e) {
          expect(e).toBeInstanceOf(FrameError)
        }
      }),
      { seed: 42, numRuns: 300 },
    )
  })
})

describe('event shapes', () => {
  const lexicon = (p: string) =>
    JSON.parse(readFileSync(`/work/shared/lexicons/com/atproto/${p}`, 'utf8')).defs
  const repos = lexicon('sync/subscribeRepos.json')

  it('union members of the lexicon are the event types we type', () => {
    expect(repos.main.message.schema.refs).toEqual(['#commit', '#sync', '#identity', '#account', '#info'])
    expect(lexicon('label/subscribeLabels.json').main.message.schema.refs).toEqual(['#labels', '#info'])
    expect(repos.commit.properties.blocks.maxLength).toBe(EVENT_LIMITS.maxCommitBlocks)
    expect(repos.commit.properties.ops.maxLength).toBe(EVENT_LIMITS.maxOps)
    expect(repos.sync.properties.blocks.maxLength).toBe(EVENT_LIMITS.maxSyncBlocks)
  })

  const valid: Record<string, LexMap> = {
    '#sync': {
      seq: 1,
      did: 'did:plc:abc',
      blocks: new Uint8Array(3),
      rev: '3kabcabcabc22',
      time: '2024-01-01T00:00:00Z',
    },
    '#identity': { seq: 1, did: 'did:plc:abc', time: '2024-01-01T00:00:00Z', handle: 'a.test' },
    '#account': {
      seq: 1,
      did: 'did:plc:abc',
      time: '2024-01-01T00:00:00Z',
      active: false,
      status: 'takendown',
    },
    '#info': { name: 'OutdatedCursor', message: 'x' },
  }

  it('every required lexicon field is required by the parser', () => {
    for (const [t, body] of Object.entries(valid)) {
      const frame = decodeFrame(encodeMessageFrame(t, body))
      const ok = parseRepoEvent(frame)
      expect(ok.success, t).toBe(true)
      if (ok.success) expect(eventToBody(ok.value)).toEqual(body)
      for (const field of repos[t.slice(1)].required as string[]) {
        const { [field]: _drop, ...rest } = body
        const r = parseRepoEvent(decodeFrame(encodeMessageFrame(t, rest)))
        expect(r, `${t} without ${field}`).toMatchObject({
          success: false,
          issues: [{ code: 'MISSING_FIELD', path: field }],
        })
      }
    }
  })

  it('identity without handle is valid; bad formats are named', () => {
    const { handle: _h, ...noHandle } = valid['#identity'] as LexMap
    expect(parseRepoEvent({ op: 1, t: '#identity', body: noHandle }).success).toBe(true)
    expect(parseRepoEvent({ op: 1, t: '#identity', body: { ...noHandle, did: 'nope' } })).toMatchObject({
      issues: [{ code: 'BAD_FORMAT', path: 'did' }],
    })
    expect(
      parseRepoEvent({ op: 1, t: '#sync', body: { ...valid['#sync'], blocks: new Uint8Array(10_001) } }),
    ).toMatchObject({
      issues: [{ code: 'TOO_LONG', path: 'blocks' }],
    })
    expect(parseRepoEvent({ op: -1, body: { error: 'X' } })).toMatchObject({
      issues: [{ code: 'NOT_A_MESSAGE' }],
    })
  })

  it('labels', () => {
    const label = {
      src: 'did:plc:abc',
      uri: 'at://did:plc:abc/app.bsky.feed.post/1',
      val: 'spam',
      cts: '2024-01-01T00:00:00Z',
      sig: new Uint8Array(64),
    }
    const r = parseLabelEvent(decodeFrame(encodeMessageFrame('#labels', { seq: 5, labels: [label] })))
    expect(r).toEqual({ success: true, value: { $type: '#labels', seq: 5, labels: [label] } })
    const bad = parseLabelEvent({
      op: 1,
      t: '#labels',
      body: { seq: 5, labels: [{ ...label, val: 'x'.repeat(129) }] },
    })
    expect(bad).toMatchObject({ success: false, issues: [{ code: 'TOO_LONG', path: 'labels[0].val' }] })
  })
})

describe('jetstream decoder', () => {
  const commit = {
    did: 'did:plc:eygmaihciaxprqvxpfvl6flk',
    time_us: 1725911162329308,
    kind: 'commit',
    commit: {
      rev: '3l3qo2vutsw2b',
      operation: 'create',
      collection: 'app.bsky.feed.like',
      rkey: '3l3qo2vuowo2b',
      record: { $type: 'app.bsky.feed.like', createdAt: '2024-09-09T19:46:02.102Z' },
      cid: 'bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi',
    },
  }
  it('decodes commit, identity (with and without handle), account, delete', () => {
    expect(parseJetstreamEvent(JSON.stringify(commit))).toEqual({ success: true, value: commit })
    const identity = {
      did: commit.did,
      time_us: 1,
      kind: 'identity',
      identity: { did: commit.did, seq: 1, time: '2024-09-09T19:46:02.102Z' },
    }
    expect(parseJetstreamEvent(identity).success).toBe(true)
    expect(
      parseJetstreamEvent({ ...identity, identity: { ...identity.identity, handle: 'a.test' } }).success,
    ).toBe(true)
    const account = {
      did: commit.did,
      time_us: 1,
      kind: 'account',
      account: {
        did: commit.did,
        active: false,
        status: 'deleted',
        seq: 1,
        time: '2024-09-09T19:46:02.102Z',
      },
    }
    expect(parseJetstreamEvent(account).success).toBe(true)
    const del = {
      ...commit,
      commit: { rev: commit.commit.rev, operation: 'delete', collection: 'app.bsky.feed.like', rkey: 'x' },
    }
    expect(parseJetstreamEvent(del).success).toBe(true)
  })
  it('names what is wrong instead of crashing', () => {
    expect(parseJetstreamEvent('{')).toMatchObject({ issues: [{ code: 'BAD_JSON' }] })
    expect(parseJetstreamEvent({ ...commit, kind: undefined })).toMatchObject({
      issues: [{ code: 'UNKNOWN_KIND' }],
    })
    expect(parseJetstreamEvent({ ...commit, commit: { ...commit.commit, record: undefined } })).toMatchObject(
      {
        issues: [{ path: 'commit.record' }],
      },
    )
    expect(parseJetstreamEvent({ ...commit, commit: { ...commit.commit, cid: 'not a cid!' } })).toMatchObject(
      {
        issues: [{ path: 'commit.cid' }],
      },
    )
    expect(parseJetstreamEvent(null)).toMatchObject({ success: false })
    expect(parseJetstreamEvent([1])).toMatchObject({ success: false })
  })
})
