import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  formatSpaceRecordUri,
  formatSpaceUri,
  InvalidSpaceUriError,
  isSpaceUri,
  isValidAtUri,
  isValidSpaceRecordUri,
  isValidSpaceUri,
  parseSpaceRecordUri,
  parseSpaceUri,
  validateSpaceUri,
} from '../src/index.ts'
import { didSeed, nearMiss, nsidSeed, rkeySeed } from './near-miss.ts'

const SPACE = 'at://did:plc:space123/space/app.bsky.group/default'
const RECORD = `${SPACE}/did:plc:alice456/app.bsky.feed.post/3k5nobkf2w72g`

describe('space URIs', () => {
  it('parses a space URI and a record URI under it', () => {
    expect(parseSpaceUri(SPACE)).toEqual({
      spaceDid: 'did:plc:space123',
      type: 'app.bsky.group',
      skey: 'default',
    })
    expect(parseSpaceRecordUri(RECORD)).toEqual({
      spaceDid: 'did:plc:space123',
      type: 'app.bsky.group',
      skey: 'default',
      authorDid: 'did:plc:alice456',
      collection: 'app.bsky.feed.post',
      rkey: '3k5nobkf2w72g',
    })
    expect(isValidSpaceUri(SPACE)).toBe(true)
    expect(isValidSpaceRecordUri(SPACE)).toBe(false)
    expect(isValidSpaceRecordUri(RECORD)).toBe(true)
    expect(isValidSpaceUri(RECORD)).toBe(false)
    expect(isSpaceUri(SPACE)).toBe(true)
    expect(isSpaceUri('at://did:plc:x/spaces/a.b.c/d')).toBe(false)
    // Space URIs are not public AT-URIs: "space" is not an NSID and the path is too long.
    expect(isValidAtUri(SPACE)).toBe(false)
  })

  it('rejects each malformed part with a reason', () => {
    const cases: [string, RegExp][] = [
      ['at://alice.test/space/app.bsky.group/default', /authority must be a DID/],
      ['at://did:plc:x/space/notnsid/default', /type must be an NSID/],
      ['at://did:plc:x/space/app.bsky.group/..', /space key/],
      ['at://did:plc:x/space/app.bsky.group/a b', /space key/],
      ['at://did:plc:x/space/app.bsky.group', /must be at:\/\//],
      ['at://did:plc:x/space/app.bsky.group/default/', /trailing slash/],
      ['at://did:plc:x/space/app.bsky.group/default?x', /query or fragment/],
      ['at://did:plc:x/space/app.bsky.group/default#/a', /query or fragment/],
      ['at://did:plc:x/spice/app.bsky.group/default', /space\/"/],
      ['http://did:plc:x/space/app.bsky.group/default', /at:\/\//],
      [`${SPACE}/alice.test/app.bsky.feed.post/abc`, /author must be a DID/],
      [`${SPACE}/did:plc:a/feed/abc`, /collection must be an NSID/],
      [`${SPACE}/did:plc:a/app.bsky.feed.post/.`, /record key/],
      [`${SPACE}/did:plc:a/app.bsky.feed.post`, /must be at:\/\//],
      [`${RECORD}/extra`, /must be at:\/\//],
      [`at://did:plc:${'a'.repeat(9000)}/space/a.b.c/d`, /too long/],
    ]
    for (const [s, why] of cases) {
      expect(isValidSpaceUri(s) || isValidSpaceRecordUri(s), s).toBe(false)
      const r = validateSpaceUri(s)
      expect(r.success, s).toBe(false)
      if (!r.success) expect(r.issues[0]?.message, s).toMatch(why)
      expect(() => parseSpaceRecordUri(s)).toThrow(InvalidSpaceUriError)
    }
  })

  it('format -> parse round-trips generated parts; invalid parts are refused', () => {
    fc.assert(
      fc.property(
        nearMiss(didSeed),
        nsidSeed,
        rkeySeed,
        didSeed,
        nsidSeed,
        nearMiss(rkeySeed),
        (spaceDid, type, skey, authorDid, collection, rkey) => {
          const parts = { spaceDid, type, skey, authorDid, collection, rkey }
          let uri: string
          try {
            uri = formatSpaceRecordUri(parts)
          } catch (e) {
            return e instanceof InvalidSpaceUriError
          }
          const back = parseSpaceRecordUri(uri)
          return (
            JSON.stringify(back) === JSON.stringify(parts) &&
            parseSpaceUri(formatSpaceUri(parts)).skey === skey
          )
        },
      ),
      { seed: 42, numRuns: 300 },
    )
  })
})
