// Identifier validation: 10,000 mixed identifiers (DIDs, handles, NSIDs, AT-URIs, record keys,
// TIDs, datetimes; ~10% made invalid by one edit) validated by each implementation, plus one row
// per kind. Inputs come from a seeded PRNG, so every run and every implementation sees the same
// strings. @atproto/syntax's AT-URI check is `isAtUriString` (strict, the one matching the
// interop fixtures); @atcute/lexicons' is `isResourceUri`.
import * as atcute from '@atcute/lexicons/syntax'
import * as atproto from '@atproto/syntax'
import {
  isValidAtUri,
  isValidDatetime,
  isValidDid,
  isValidHandle,
  isValidNsid,
  isValidRecordKey,
  isValidTid,
} from '@rsky/syntax'
import type { BenchCase, BenchSuite, Rng } from '../harness.ts'
import { rng } from '../workloads.ts'

const KINDS = ['did', 'handle', 'nsid', 'aturi', 'rkey', 'tid', 'datetime'] as const
type Kind = (typeof KINDS)[number]
type Check = (s: string) => boolean

const IMPLS: Record<string, Record<Kind, Check>> = {
  '@rsky/syntax': {
    did: isValidDid,
    handle: isValidHandle,
    nsid: isValidNsid,
    aturi: isValidAtUri,
    rkey: isValidRecordKey,
    tid: isValidTid,
    datetime: isValidDatetime,
  },
  '@atproto/syntax': {
    did: atproto.isValidDid,
    handle: atproto.isValidHandle,
    nsid: atproto.isValidNsid,
    aturi: (s) => atproto.isAtUriString(s),
    rkey: atproto.isValidRecordKey,
    tid: atproto.isValidTid,
    datetime: atproto.isValidDatetime,
  },
  '@atcute/lexicons': {
    did: atcute.isDid,
    handle: atcute.isHandle,
    nsid: atcute.isNsid,
    aturi: atcute.isResourceUri,
    rkey: atcute.isRecordKey,
    tid: atcute.isTid,
    datetime: atcute.isDatetime,
  },
}

const B32 = 'abcdefghijklmnopqrstuvwxyz234567'
const S32 = '234567abcdefghijklmnopqrstuvwxyz'
const WORDS = ['alice', 'bob', 'news', 'example', 'bsky', 'social', 'photo', 'my-site', 'x1', 'team']
const TLDS = ['com', 'social', 'net', 'org', 'dev', 'app', 'test']
const COLLECTIONS = [
  'app.bsky.feed.post',
  'app.bsky.feed.like',
  'app.bsky.feed.repost',
  'app.bsky.graph.follow',
  'app.bsky.actor.profile',
  'com.atproto.repo.strongRef',
  'chat.bsky.convo.defs',
]
const BAD_CHARS = [' ', '/', '#', '@', '_', 'é', '..', ':', '-', 'A']

function did(r: Rng): string {
  return r.next() < 0.85 ? `did:plc:${r.string(24, B32)}` : `did:web:${handle(r)}`
}

function handle(r: Rng): string {
  const labels = 1 + r.int(3)
  const parts: string[] = []
  for (let i = 0; i < labels; i++) parts.push(r.pick(WORDS) + (r.next() < 0.3 ? r.string(3) : ''))
  return `${parts.join('.')}.${r.pick(TLDS)}`
}

function nsid(r: Rng): string {
  return r.next() < 0.7
    ? r.pick(COLLECTIONS)
    : `${r.pick(TLDS)}.${r.pick(WORDS).replace('-', '')}.getThing${r.int(100)}`
}

function tid(r: Rng): string {
  return r.pick(['3', '4', '5', '6', '7'] as const) + r.string(12, S32)
}

function rkey(r: Rng): string {
  const x = r.next()
  return x < 0.7 ? tid(r) : x < 0.85 ? 'self' : r.string(1 + r.int(20), 'abcXYZ019._:~-')
}

function aturi(r: Rng): string {
  const x = r.next()
  if (x < 0.1) return `at://${did(r)}`
  if (x < 0.2) return `at://${handle(r)}/${nsid(r)}`
  return `at://${did(r)}/${nsid(r)}/${rkey(r)}`
}

function datetime(r: Rng): string {
  const iso = new Date(946684800000 + r.int(1_000_000_000) * 1000 + r.int(1000)).toISOString()
  const x = r.next()
  if (x < 0.6) return iso
  if (x < 0.8) return `${iso.slice(0, -1)}${r.string(3, '0123456789')}Z`
  return `${iso.slice(0, -5)}+0${r.int(10)}:00`
}

const MAKERS: Record<Kind, (r: Rng) => string> = { did, handle, nsid, aturi, rkey, tid, datetime }

/** One edit that makes most identifiers invalid: a stray character, or a cut. */
function spoil(r: Rng, s: string): string {
  const at = r.int(s.length)
  return r.next() < 0.8 ? s.slice(0, at) + r.pick(BAD_CHARS) + s.slice(at) : s.slice(0, at)
}

function inputs(count: number, seed: number): Record<Kind, string[]> {
  const r = rng(seed)
  const byKind = Object.fromEntries(KINDS.map((k) => [k, [] as string[]])) as Record<Kind, string[]>
  for (let i = 0; i < count; i++) {
    const kind = KINDS[i % KINDS.length] as Kind
    const s = MAKERS[kind](r)
    byKind[kind].push(r.next() < 0.1 ? spoil(r, s) : s)
  }
  return byKind
}

function runner(
  checks: Record<Kind, Check>,
  byKind: Record<Kind, string[]>,
  kinds: readonly Kind[],
): () => number {
  const lists = kinds.map((k) => [checks[k], byKind[k]] as const)
  return () => {
    let valid = 0
    for (const [check, items] of lists) {
      for (let i = 0; i < items.length; i++) if (check(items[i] as string)) valid++
    }
    return valid
  }
}

const suite: BenchSuite = {
  name: 'syntax',
  description: 'identifier validation (DID, handle, NSID, AT-URI, record key, TID, datetime)',
  cases(): BenchCase[] {
    const COUNT = 10_000
    const byKind = inputs(COUNT, 2024)
    const impls = (kinds: readonly Kind[]): BenchCase['impls'] =>
      Object.fromEntries(
        Object.entries(IMPLS).map(([name, checks]) => [name, () => runner(checks, byKind, kinds)]),
      )
    const mixed: BenchCase = {
      name: 'validate 10,000 mixed identifiers',
      unit: 'op',
      perCall: COUNT,
      impls: impls(KINDS),
      note: 'throughput in identifiers/s; ~10% of inputs carry one invalidating edit',
    }
    const perKind = KINDS.map(
      (k): BenchCase => ({
        name: `validate ${k} (${byKind[k].length} inputs)`,
        unit: 'op',
        perCall: byKind[k].length,
        impls: impls([k]),
      }),
    )
    return [mixed, ...perKind]
  },
}

export default suite
