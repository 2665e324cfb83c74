import { describe, expect, it } from 'vitest'
import {
  AtUri,
  DisallowedDomainError,
  EPOCH_DATETIME,
  ensureValidDid,
  ensureValidHandleAndTld,
  InvalidAtUriError,
  InvalidDatetimeError,
  InvalidDidError,
  InvalidHandleError,
  InvalidNsidError,
  InvalidSyntaxError,
  isValidDatetime,
  isValidTld,
  Nsid,
  normalizeAndEnsureValidHandle,
  normalizeDatetime,
  normalizeDatetimeAlways,
  normalizeHandle,
  parseDatetime,
  parseLanguage,
  parseNsid,
  validateAtUri,
  validateDid,
  validateHandle,
} from '../src/index.ts'

describe('AtUri', () => {
  const did = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'

  it('exposes host, collection, rkey, hash and did', () => {
    const u = AtUri.parse(`at://${did}/app.bsky.feed.post/3k5nobkf2w72g#/text`)
    expect(u.host).toBe(did)
    expect(u.hostname).toBe(did)
    expect(u.did).toBe(did)
    expect(u.collection).toBe('app.bsky.feed.post')
    expect(u.rkey).toBe('3k5nobkf2w72g')
    expect(u.hash).toBe('#/text')
    expect(u.pathname).toBe('/app.bsky.feed.post/3k5nobkf2w72g')
    expect(u.origin).toBe(`at://${did}`)
    expect(u.toString()).toBe(`at://${did}/app.bsky.feed.post/3k5nobkf2w72g#/text`)
    expect(JSON.stringify(u)).toBe(JSON.stringify(u.toString()))
  })

  it('gives the same collection/rkey with or without a leading slash on the path', () => {
    const base = AtUri.parse(`at://${did}`)
    const a = base.withPathname('/app.bsky.feed.post/abc')
    const b = base.withPathname('app.bsky.feed.post/abc')
    const c = AtUri.resolve('/app.bsky.feed.post/abc', base)
    const d = AtUri.resolve('app.bsky.feed.post/abc', `at://${did}`)
    for (const u of [a, b, c, d]) {
      expect(u.collection).toBe('app.bsky.feed.post')
      expect(u.rkey).toBe('abc')
      expect(u.toString()).toBe(`at://${did}/app.bsky.feed.post/abc`)
    }
    // Replacing the collection of a parsed URI replaces it; rsky prepended a segment instead.
    const parsed = AtUri.parse(`at://${did}/app.bsky.feed.post/abc`)
    expect(parsed.withCollection('app.bsky.feed.like', 'xyz').toString()).toBe(
      `at://${did}/app.bsky.feed.like/xyz`,
    )
    expect(parsed.withRkey('other').pathname).toBe('/app.bsky.feed.post/other')
  })

  it('builds from parts and validates each part', () => {
    expect(AtUri.make('alice.test', 'app.bsky.feed.post', 'abc').toString()).toBe(
      'at://alice.test/app.bsky.feed.post/abc',
    )
    expect(AtUri.fromParts({ host: 'alice.test' }).collection).toBe('')
    expect(() => AtUri.fromParts({ host: 'alice.test', rkey: 'abc' })).toThrow(InvalidAtUriError)
    expect(() => AtUri.make('alice.test', 'not an nsid')).toThrow(InvalidAtUriError)
    expect(() => AtUri.make('alice.test', 'app.bsky.feed.post', '..')).toThrow(InvalidAtUriError)
    expect(() => AtUri.parse('at://alice.test').did).toThrow(InvalidDidError)
    expect(AtUri.parseSafe('at://alice.test/')).toBeUndefined()
  })

  it('explains rejections with offsets', () => {
    const r = validateAtUri('at://alice.test/app.bsky.feed.post/a b')
    expect(r.success).toBe(false)
    if (!r.success) {
      expect(r.issues[0]?.message).toMatch(/record key/)
      expect(r.issues[0]?.offset).toBe(36)
    }
    expect(() => AtUri.parse('at://alice.test/a.b.c/')).toThrow(/trailing slash/)
    expect(() => AtUri.parse('at://alice.test/a.b.c/d/e')).toThrow(/at most two segments/)
    expect(() => AtUri.parse('at://alice.test?x=1')).toThrow(/query/)
  })
})

describe('Nsid', () => {
  it('parses authority and name', () => {
    const n = Nsid.parse('app.bsky.feed.post')
    expect(n.authority).toBe('feed.bsky.app')
    expect(n.name).toBe('post')
    expect(n.segments).toEqual(['app', 'bsky', 'feed', 'post'])
    expect(`${n}`).toBe('app.bsky.feed.post')
    expect(Nsid.create('example.com', 'fooBar').toString()).toBe('com.example.fooBar')
    expect(parseNsid('com.example.fooBar')).toEqual(['com', 'example', 'fooBar'])
    expect(() => Nsid.parse('com.example')).toThrow(InvalidNsidError)
    expect(() => Nsid.parse('com.example.3')).toThrow(/name must start with a letter/)
  })
})

describe('handles', () => {
  it('normalises ASCII case only', () => {
    expect(normalizeHandle('Alice.Bsky.SOCIAL')).toBe('alice.bsky.social')
    expect(normalizeAndEnsureValidHandle('XX.LCS.MIT.EDU')).toBe('xx.lcs.mit.edu')
    // The Kelvin sign lower-cases to "k" with toLowerCase; a handle with it must stay invalid.
    expect(() => normalizeAndEnsureValidHandle('\u212Aelvin.test')).toThrow(InvalidHandleError)
  })

  it('knows the disallowed TLDs', () => {
    for (const h of [
      'a.local',
      'a.arpa',
      'a.invalid',
      'a.localhost',
      'a.internal',
      'a.example',
      'a.alt',
      'a.onion',
    ]) {
      expect(isValidTld(h), h).toBe(false)
      expect(() => ensureValidHandleAndTld(h)).toThrow(DisallowedDomainError)
    }
    expect(isValidTld('A.ONION')).toBe(false)
    expect(isValidTld('alice.test')).toBe(true)
    expect(isValidTld('alice.bsky.social')).toBe(true)
  })

  it('says why a handle is invalid', () => {
    const cases: [string, RegExp][] = [
      ['alice', /at least two labels/],
      ['alice..test', /empty/],
      ['-alice.test', /start or end with "-"/],
      ['alice.1test', /top-level domain/],
      [`${'a'.repeat(64)}.test`, /label is too long/],
      ['al_ice.test', /disallowed character/],
      [`${'a.'.repeat(127)}test`, /too long/],
    ]
    for (const [h, why] of cases) {
      const r = validateHandle(h)
      expect(r.success, h).toBe(false)
      if (!r.success) expect(r.issues[0]?.message, h).toMatch(why)
    }
  })
})

describe('DIDs', () => {
  it('says why a DID is invalid', () => {
    const cases: [string, RegExp][] = [
      ['did', /must start with "did:"/],
      ['did:METHOD:val', /method/],
      ['did:method:', /empty/],
      ['did:method:val:', /can not end/],
      ['did:method:val#frag', /disallowed character/],
      [`did:plc:${'a'.repeat(2041)}`, /too long/],
    ]
    for (const [d, why] of cases) {
      const r = validateDid(d)
      expect(r.success, d).toBe(false)
      if (!r.success) expect(r.issues[0]?.message, d).toMatch(why)
      expect(() => ensureValidDid(d)).toThrow(InvalidDidError)
    }
  })

  it('error messages cap the quoted input', () => {
    const long = `did:${'X'.repeat(5000)}`
    try {
      ensureValidDid(long)
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidSyntaxError)
      expect((e as Error).message.length).toBeLessThan(300)
      expect((e as InvalidDidError).input).toBe(long)
      expect((e as InvalidDidError).name).toBe('InvalidDidError')
    }
  })
})

describe('datetimes', () => {
  it('parses to the exact instant, including year 0 and offsets', () => {
    expect(parseDatetime('1985-04-12T23:20:50.123Z').getTime()).toBe(Date.UTC(1985, 3, 12, 23, 20, 50, 123))
    expect(parseDatetime('1985-04-12T23:20:50.123-07:00').toISOString()).toBe('1985-04-13T06:20:50.123Z')
    expect(parseDatetime('0000-01-01T00:00:00.000Z').toISOString()).toBe('0000-01-01T00:00:00.000Z')
    expect(parseDatetime('0099-12-31T23:59:59Z').toISOString()).toBe('0099-12-31T23:59:59.000Z')
    expect(parseDatetime('2024-02-29T12:00:00.5Z').toISOString()).toBe('2024-02-29T12:00:00.500Z')
    expect(parseDatetime('1985-04-12T23:20:50.0123456789Z').getUTCMilliseconds()).toBe(12)
  })

  it('validates calendar semantics', () => {
    expect(isValidDatetime('2023-02-29T00:00:00Z')).toBe(false)
    expect(isValidDatetime('2000-02-29T00:00:00Z')).toBe(true)
    expect(isValidDatetime('1900-02-29T00:00:00Z')).toBe(false)
    expect(isValidDatetime('1985-04-31T00:00:00Z')).toBe(false)
    expect(isValidDatetime('1985-04-12T23:59:60Z')).toBe(false)
    expect(isValidDatetime('9999-12-31T23:59:59-01:00')).toBe(false)
    expect(isValidDatetime('9999-12-31T22:59:59-01:00')).toBe(true)
    expect(isValidDatetime('0000-01-01T01:00:00+01:00')).toBe(true)
    expect(() => parseDatetime('1985-04-12T23:20:50.123')).toThrow(InvalidDatetimeError)
  })

  it('normalises', () => {
    expect(normalizeDatetime('1985-04-12T23:20:50.123456Z')).toBe('1985-04-12T23:20:50.123Z')
    expect(normalizeDatetime('1985-04-12T23:20:50+01:00')).toBe('1985-04-12T22:20:50.000Z')
    expect(normalizeDatetime('1985-04-12T23:20:50')).toBe('1985-04-12T23:20:50.000Z')
    expect(normalizeDatetime('1985-04-12')).toBe('1985-04-12T00:00:00.000Z')
    expect(normalizeDatetime('Fri, 12 Apr 1985 23:20:50 GMT')).toBe('1985-04-12T23:20:50.000Z')
    expect(() => normalizeDatetime('garbage')).toThrow(InvalidDatetimeError)
    expect(() => normalizeDatetime('+275760-09-13T00:00:00Z')).toThrow(InvalidDatetimeError)
    expect(normalizeDatetimeAlways('garbage')).toBe(EPOCH_DATETIME)
    expect(normalizeDatetimeAlways('x'.repeat(100_000))).toBe(EPOCH_DATETIME)
  })
})

describe('languages', () => {
  it('parses subtags', () => {
    expect(parseLanguage('hy-Latn-IT-arevela')).toEqual({
      language: 'hy',
      script: 'Latn',
      region: 'IT',
      variants: ['arevela'],
    })
    expect(parseLanguage('en-GB-boont-r-extended-sequence-x-private')).toEqual({
      language: 'en',
      region: 'GB',
      variants: ['boont'],
      extensions: ['r-extended-sequence'],
      privateUse: 'x-private',
    })
    expect(parseLanguage('i-default')).toEqual({ grandfathered: 'i-default' })
    expect(parseLanguage('X-fr-CH')).toEqual({ privateUse: 'X-fr-CH' })
    expect(parseLanguage('zh-yue-Hant')).toEqual({ language: 'zh', extlang: ['yue'], script: 'Hant' })
  })
})
