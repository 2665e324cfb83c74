// DAG-CBOR decode/encode of a typical post record and a typical MST node against the peers.
import * as atcute from '@atcute/cbor'
import * as lexCbor from '@atproto/lex-cbor'
import * as ipld from '@ipld/dag-cbor'
import { type Cid, cidForCbor, cidForRaw, decode, encode, type LexValue, parseCid } from '@rsky/dag-cbor'
import type { BenchCase, BenchSuite } from '../harness.ts'
import { rng } from '../workloads.ts'

// A post with text, a link facet and an image embed holding a blob ref: the shape most repo
// records have. Deterministic for a given seed.
function makePost(seed: number): LexValue {
  const r = rng(seed)
  const words = ['the', 'protocol', 'repo', 'record', 'sync', 'relay', 'feed', 'post', 'labeler', 'moderation']
  let text = ''
  while (text.length < 180) text += `${r.pick(words)} `
  text += 'https://example.com/some/long/path é 🙂'
  const byteStart = new TextEncoder().encode(text.slice(0, text.indexOf('https://'))).length
  return {
    $type: 'app.bsky.feed.post',
    text,
    createdAt: '2024-11-24T12:34:56.789Z',
    langs: ['en'],
    facets: [
      {
        index: { byteStart, byteEnd: byteStart + 32 },
        features: [{ $type: 'app.bsky.richtext.facet#link', uri: 'https://example.com/some/long/path' }],
      },
    ],
    embed: {
      $type: 'app.bsky.embed.images',
      images: [
        {
          alt: 'a photo of a cat sitting on a keyboard',
          image: { $type: 'blob', ref: cidForRaw(r.bytes(64)), mimeType: 'image/jpeg', size: 312_455 },
          aspectRatio: { width: 2000, height: 1500 },
        },
      ],
    },
  }
}

// An MST node: a left link and 16 entries with prefix-compressed keys, record CIDs and some subtrees.
function makeMstNode(seed: number): LexValue {
  const r = rng(seed)
  const cid = (): Cid => cidForCbor(r.bytes(32))
  const entries: LexValue[] = []
  for (let i = 0; i < 16; i++) {
    const suffix = new TextEncoder().encode(i === 0 ? `app.bsky.feed.post/3l${r.string(11)}` : r.string(6))
    entries.push({ k: suffix, p: i === 0 ? 0 : 19 + r.int(4), t: r.int(4) === 0 ? cid() : null, v: cid() })
  }
  return { e: entries, l: cid() }
}

function cases(name: string, bytes: Uint8Array): BenchCase[] {
  const ours = decode(bytes)
  const ipldValue = ipld.decode(bytes)
  const atcuteValue = atcute.decode(bytes)
  const lexValue = lexCbor.decode(bytes)
  return [
    {
      name: `decode ${name} (${bytes.length} B)`,
      note: 'all four leave CID strings unformatted until asked: ours and @atcute/cbor keep CID bytes (lazy), @ipld/dag-cbor and @atproto/lex-cbor build multiformats CIDs eagerly',
      impls: {
        '@rsky/dag-cbor': () => () => decode(bytes),
        '@ipld/dag-cbor': () => () => ipld.decode(bytes),
        '@atcute/cbor': () => () => atcute.decode(bytes),
        '@atproto/lex-cbor': () => () => lexCbor.decode(bytes),
      },
    },
    {
      name: `encode ${name} (${bytes.length} B)`,
      note: "each library encodes its own decoded form of the same bytes (CID and bytes wrappers as that library makes them)",
      impls: {
        '@rsky/dag-cbor': () => () => encode(ours),
        '@ipld/dag-cbor': () => () => ipld.encode(ipldValue),
        '@atcute/cbor': () => () => atcute.encode(atcuteValue),
        '@atproto/lex-cbor': () => () => lexCbor.encode(lexValue),
      },
    },
  ]
}

const suite: BenchSuite = {
  name: 'dag-cbor',
  description: 'Strict DAG-CBOR decode and encode of a post record and an MST node, against the peers',
  cases() {
    const post = encode(makePost(1))
    const node = encode(makeMstNode(2))
    const cidStr = cidForCbor(post).toString()
    return [
      ...cases('post record', post),
      ...cases('MST node, 16 entries', node),
      {
        name: 'decode MST node + format every CID string',
        note: 'like decode, but each CID is also turned into its base32 string, so lazy and eager CIDs do the same work',
        impls: {
          '@rsky/dag-cbor': () => () => cidStrings(decode(node)),
          '@ipld/dag-cbor': () => () => cidStrings(ipld.decode(node)),
          '@atcute/cbor': () => () => atcuteCidStrings(atcute.decode(node)),
          '@atproto/lex-cbor': () => () => cidStrings(lexCbor.decode(node)),
        },
      },
      {
        name: 'parse CID string',
        impls: {
          '@rsky/dag-cbor': () => () => parseCid(cidStr),
        },
      },
    ]
  },
}

// biome-ignore lint/suspicious/noExplicitAny: walks each library's own node shape
function cidStrings(node: any): number {
  let n = 0
  n += String(node.l).length
  for (const e of node.e) n += String(e.v).length + (e.t ? String(e.t).length : 0)
  return n
}
// biome-ignore lint/suspicious/noExplicitAny: walks @atcute/cbor's node shape
function atcuteCidStrings(node: any): number {
  let n = 0
  n += node.l.$link.length
  for (const e of node.e) n += e.v.$link.length + (e.t ? e.t.$link.length : 0)
  return n
}

export default suite
