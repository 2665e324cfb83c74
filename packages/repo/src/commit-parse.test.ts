// parseCommit on a table of commit shapes: every field fault named, in a fixed order (did,
// version, data, sig, prev, rev, v3's prev), and what a valid commit comes back as (a copy; a v2
// commit without prev gets prev: null, without rev none).
import { cidForCbor, encode, type LexValue } from '@rsky/dag-cbor'
import { describe, expect, it } from 'vitest'
import { parseCommit } from './commit-parse.ts'
import { InvalidCommitError } from './errors.ts'

const data = cidForCbor(encode({ a: 1 }))
const did = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'
const rev = '3jzfcijpj2z2a'
const sig = new Uint8Array([1, 2, 3])
const v3 = { did, version: 3, data, rev, prev: null, sig }
const v2 = { did, version: 2, data, prev: null, sig }

function without(obj: Record<string, LexValue>, key: string): Record<string, LexValue> {
  const out = { ...obj }
  delete out[key]
  return out
}

function outcome(value: unknown): string | Record<string, unknown> {
  try {
    return { ...parseCommit(value as LexValue) }
  } catch (err) {
    if (!(err instanceof InvalidCommitError)) throw err
    return `${err.code}: ${err.message}`
  }
}

describe('parseCommit', () => {
  it.each([
    ['a number', 1, 'BAD_COMMIT: invalid commit: not a map'],
    ['an array', [v3], 'BAD_COMMIT: invalid commit: not a map'],
    ['null', null, 'BAD_COMMIT: invalid commit: not a map'],
    ['no did', without(v3, 'did'), 'BAD_COMMIT: invalid commit: bad did'],
    ['a bad did and version', { ...v3, did: 'x', version: 1 }, 'BAD_COMMIT: invalid commit: bad did'],
    ['version 1', { ...v3, version: 1 }, 'BAD_COMMIT: invalid commit: bad version'],
    ['version "3"', { ...v3, version: '3' }, 'BAD_COMMIT: invalid commit: bad version'],
    ['no version', without(v3, 'version'), 'BAD_COMMIT: invalid commit: bad version'],
    ['data a string', { ...v3, data: data.toString() }, 'BAD_COMMIT: invalid commit: bad data'],
    ['sig a string', { ...v3, sig: 'x' }, 'BAD_COMMIT: invalid commit: bad sig'],
    ['no sig and a bad prev', { ...without(v3, 'sig'), prev: 1 }, 'BAD_COMMIT: invalid commit: bad sig'],
    ['prev a string', { ...v3, prev: 'x' }, 'BAD_COMMIT: invalid commit: bad prev'],
    ['v3 without rev', without(v3, 'rev'), 'BAD_COMMIT: invalid commit: bad rev'],
    ['v3 with a bad rev', { ...v3, rev: 'x' }, 'BAD_COMMIT: invalid commit: bad rev'],
    ['v3 with a bad rev, no prev', without({ ...v3, rev: 1 }, 'prev'), 'BAD_COMMIT: invalid commit: bad rev'],
    ['v3 without prev', without(v3, 'prev'), 'BAD_COMMIT: invalid commit: no prev'],
    ['v2 with a bad rev', { ...v2, rev: 'x' }, 'BAD_COMMIT: invalid commit: bad rev'],
  ])('%s: refused', (_, value, expected) => {
    expect(outcome(value)).toBe(expected)
  })

  it.each([
    ['v3', v3, v3],
    ['v3 with a prev and more fields', { ...v3, prev: data, extra: 'x' }, { ...v3, prev: data, extra: 'x' }],
    ['v2 with a rev', { ...v2, rev }, { ...v2, rev }],
    ['v2 without rev or prev', without(v2, 'prev'), { ...without(v2, 'prev'), prev: null }],
  ])('%s: accepted as a copy', (_, value, expected) => {
    const out = outcome(value)
    expect(out).toEqual(expected)
    expect(Object.keys(out)).toEqual(Object.keys(expected))
    expect(out).not.toBe(value)
  })

  it('a cid given names the block in the message', () => {
    expect(() => parseCommit(1, data)).toThrow(`invalid commit: not a map; cid=${data}`)
  })
})
