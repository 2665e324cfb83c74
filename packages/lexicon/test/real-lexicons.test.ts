// The whole current set of network lexicons parses, and every ref resolves.
import { recordInteropCount } from '@rsky/test-vectors'
import { describe, expect, it } from 'vitest'
import { Lexicons, safeParseLexiconDoc } from '../src/index.ts'
import { loadRealLexicons } from './real-lexicons.ts'

const files = loadRealLexicons()

describe('real lexicons (app.bsky, chat.bsky, com.atproto, tools.ozone)', () => {
  it('parses every document without an issue', () => {
    const bad = files.flatMap(({ path, doc }) => {
      const res = safeParseLexiconDoc(doc)
      return res.success ? [] : res.issues.map((i) => `${path} ${i.path}: ${i.message}`)
    })
    expect(bad).toEqual([])
    for (const prefix of ['app.bsky.', 'chat.bsky.', 'com.atproto.', 'tools.ozone.']) {
      expect(files.some(({ doc }) => (doc as { id: string }).id.startsWith(prefix))).toBe(true)
    }
    recordInteropCount('shared/lexicons/**/*.json (parsed)', files.length)
  })

  it('resolves every ref, with no missing target, bad target or required cycle', () => {
    const lex = new Lexicons(files.map((f) => f.doc))
    const { issues, refs } = lex.checkRefs()
    expect(issues).toEqual([])
    expect(refs).toBeGreaterThan(600)
    recordInteropCount('shared/lexicons refs resolved', refs)
  })

  it('compiles a validator for every definition', () => {
    const lex = new Lexicons(files.map((f) => f.doc))
    let compiled = 0
    for (const doc of lex) {
      for (const [name, def] of Object.entries(doc.defs)) {
        const ref = `${doc.id}#${name}`
        switch (def.type) {
          case 'record':
            lex.validateRecord(doc.id, {})
            break
          case 'query':
            lex.validateXrpcParams(doc.id, {})
            lex.validateXrpcOutput(doc.id, {})
            break
          case 'procedure':
            lex.validateXrpcParams(doc.id, {})
            lex.validateXrpcInput(doc.id, {})
            lex.validateXrpcOutput(doc.id, {})
            break
          case 'subscription':
            lex.validateSubscriptionMessage(doc.id, {})
            break
          case 'token':
          case 'permission-set':
            continue
          default:
            lex.validate(ref, {})
        }
        compiled++
      }
    }
    expect(compiled).toBeGreaterThan(700)
    recordInteropCount('shared/lexicons definitions compiled', compiled)
  })
})

describe('real data against the real schemas', () => {
  const lex = new Lexicons(files.map((f) => f.doc))
  const raw = 'bafkreibjfgx2gprinfvicegelk5kosd6y2frmqpqzwqkg7usac74l3t2v4'
  const blob = (mimeType: string, size: number) => ({ $type: 'blob', ref: { $link: raw }, mimeType, size })
  const post = (images: unknown[]) => ({
    $type: 'app.bsky.feed.post',
    text: 'hello',
    createdAt: '2024-01-01T00:00:00.000Z',
    embed: { $type: 'app.bsky.embed.images', images },
  })

  it('reports each problem with its path, e.g. $.embed.images[0].alt', () => {
    const ok = post([{ image: blob('image/png', 1000), alt: 'a cat' }])
    expect(lex.validateRecord('app.bsky.feed.post', ok)).toEqual({ success: true, value: ok })
    const res = lex.validateRecord(
      'app.bsky.feed.post',
      post([{ image: blob('image/png', 1000), alt: 7 }, { image: blob('text/plain', 3_000_000) }]),
    )
    expect(res.success ? [] : res.issues.map((i) => [i.code, i.path])).toEqual([
      ['invalid_type', '$.embed.images[0].alt'],
      ['blob_mime', '$.embed.images[1].image'],
      ['required', '$.embed.images[1].alt'],
    ])
    expect(() =>
      lex.assertValidRecord('app.bsky.feed.post', post([{ image: blob('image/png', 1) }])),
    ).toThrow(/path=\$\.embed\.images\[0\]\.alt/)
  })

  it('validates a union member whose $type names the main definition as nsid#main', () => {
    const withType = (embed: Record<string, unknown>) =>
      lex.validateRecord('app.bsky.feed.post', { ...post([]), embed }).success
    const images = [{ image: blob('image/png', 1), alt: '' }]
    expect(withType({ $type: 'app.bsky.embed.images#main', images })).toBe(true)
    // The embed union is open: an unknown $type passes, but nsid#main of a member is that member.
    expect(withType({ $type: 'app.bsky.embed.images#main', images: 'nope' })).toBe(false)
    expect(withType({ $type: 'com.example.other', images: 'nope' })).toBe(true)
  })

  it('checks blob accept (wildcard and exact, MIME case-insensitive) and maxSize', () => {
    const image = (mime: string, size: number) =>
      lex.validateRecord('app.bsky.feed.post', post([{ image: blob(mime, size), alt: '' }])).success
    expect(image('image/webp', 2_000_000)).toBe(true) // image/*
    expect(image('IMAGE/PNG', 1)).toBe(true)
    expect(image('image/png', 2_000_001)).toBe(false)
    expect(image('video/mp4', 1)).toBe(false)
    expect(image('imagex/png', 1)).toBe(false)
    const profile = (mime: string, size: number) =>
      lex.validateRecord('app.bsky.actor.profile', {
        $type: 'app.bsky.actor.profile',
        avatar: blob(mime, size),
      }).success
    expect(profile('image/jpeg', 1_000_000)).toBe(true) // accept: image/png, image/jpeg
    expect(profile('image/gif', 1)).toBe(false)
    expect(profile('image/png', 1_000_001)).toBe(false)
  })

  it('applies defaults to XRPC params and leaves the input untouched', () => {
    const input = { actor: 'alice.bsky.social' }
    const res = lex.validateXrpcParams('app.bsky.feed.getAuthorFeed', input)
    expect(res).toEqual({
      success: true,
      value: { actor: 'alice.bsky.social', limit: 50, filter: 'posts_with_replies', includePins: false },
    })
    expect(input).toEqual({ actor: 'alice.bsky.social' })
    const given = lex.validateXrpcParams('app.bsky.feed.getAuthorFeed', { ...input, limit: 5 })
    expect(given.success && (given.value as { limit: number }).limit).toBe(5)
    const over = lex.validateXrpcParams('app.bsky.feed.getAuthorFeed', { ...input, limit: 101 })
    expect(over.success ? [] : over.issues.map((i) => [i.code, i.path])).toEqual([['too_big', '$.limit']])
  })
})
