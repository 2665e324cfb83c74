import { describe, expect, it } from 'vitest'
import {
  formatSpaceRecordUri,
  formatSpaceUri,
  InvalidSpaceUriError,
  isSpaceUri,
  isValidSpaceRecordUri,
  isValidSpaceUri,
  parseSpaceRecordUri,
  parseSpaceUri,
} from '../src/index.ts'

// rsky-space space_id.rs cases, plus the validation rsky does not do.
const AUTH = 'did:plc:spaceauthority'
const AUTHOR = 'did:plc:author'

describe('space addressing (via @rsky/syntax)', () => {
  it('space URI round trip', () => {
    const uri = formatSpaceUri({ spaceDid: AUTH, type: 'community.blacksky.feed', skey: 'main' })
    expect(uri).toBe(`at://${AUTH}/space/community.blacksky.feed/main`)
    expect(parseSpaceUri(uri)).toEqual({ spaceDid: AUTH, type: 'community.blacksky.feed', skey: 'main' })
    expect(isSpaceUri(uri)).toBe(true)
    expect(isValidSpaceUri(uri)).toBe(true)
  })

  it('record URI round trip', () => {
    const parts = {
      spaceDid: AUTH,
      type: 'community.blacksky.feed',
      skey: 'main',
      authorDid: AUTHOR,
      collection: 'community.blacksky.feed.post',
      rkey: '3kabc',
    }
    const uri = formatSpaceRecordUri(parts)
    expect(uri).toBe(
      `at://${AUTH}/space/community.blacksky.feed/main/${AUTHOR}/community.blacksky.feed.post/3kabc`,
    )
    expect(parseSpaceRecordUri(uri)).toEqual(parts)
    expect(isValidSpaceRecordUri(uri)).toBe(true)
    expect(isValidSpaceUri(uri)).toBe(false)
  })

  it('rejects public AT-URIs and invalid parts (rsky validates none)', () => {
    const publicUri = `at://${AUTHOR}/app.bsky.feed.post/3kabc`
    expect(isSpaceUri(publicUri)).toBe(false)
    expect(() => parseSpaceUri(publicUri)).toThrow(InvalidSpaceUriError)
    for (const bad of [
      'at://not-a-did/space/a.b.c/main',
      `at://${AUTH}/space/notnsid/main`,
      `at://${AUTH}/space/a.b.c/bad key`,
      `at://${AUTH}/space/a.b.c/${'k'.repeat(513)}`,
      `at://${AUTH}/space/a.b.c/main/not-a-did/a.b.c/r`,
    ]) {
      expect(isValidSpaceUri(bad) || isValidSpaceRecordUri(bad), bad).toBe(false)
    }
  })
})
