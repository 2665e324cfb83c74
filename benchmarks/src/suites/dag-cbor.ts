// DAG-CBOR decode/encode of a typical post record and a typical MST node against the peers.
import * as atcute from '@atcute/cbor'
import * as atcuteCid from '@atcute/cid'
import { ipldToJson, jsonToIpld } from '@atproto/common-web'
import * as lexCbor from '@atproto/lex-cbor'
import * as ipld from '@ipld/dag-cbor'
import {
  type Cid,
  cidForCbor,
  cidForRaw,
  decode,
  encode,
  jsonToLex,
  type LexValue,
  lexToJson,
  parseCid,
} from '@rsky/dag-cbor'
import { CID } from 'multiformats/cid'
import { sha256 as mfSha256 } from 'multiformats/hashes/sha2'
import type { BenchCase, BenchSuite } from '../harness.ts'
import { ensureWorkload, rng } from '../workloads.ts'

// A post with text, a link facet and an image embed holding a blob ref: the shape most repo
// records have. Deterministic for a given seed.
function makePost(seed: number): LexValue {
  const r = rng(seed)
  const words = [
    'the',
    'protocol',
    'repo',
    'record',
    'sync',
    'relay',
    'feed',
    'post',
    'labeler',
    'moderation',
  ]
  let text = ''
  while (text.length < 70 + r.int(40)) text += `${r.pick(words)} `
  text += 'https://example.com/some/long/path é 🙂'
  const byteStart = new TextEncoder().encode(text.slice(0, text.indexOf('https://'))).length
  return {
    $type: 'app.bsky.feed.post',
    text,
    createdAt: new Date(1_700_000_000_000 + r.int(1e10)).toISOString(),
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
          alt: `a photo of ${r.pick(words)} number ${r.int(1000)}`,
          image: {
            $type: 'blob',
            ref: cidForRaw(r.bytes(64)),
            mimeType: 'image/jpeg',
            size: 100_000 + r.int(900_000),
          },
          aspectRatio: { width: 2000, height: 1500 },
        },
      ],
    },
  }
}

// An MST node: a left link and `n` entries with prefix-compressed keys, record CIDs and some
// subtrees. With fanout 4 a repository's nodes hold about 4 entries (~400 B); 16 is a large node.
function makeMstNode(seed: number, n = 16): LexValue {
  const r = rng(seed)
  const cid = (): Cid => cidForCbor(r.bytes(32))
  const entries: LexValue[] = []
  for (let i = 0; i < n; i++) {
    const suffix = new TextEncoder().encode(i === 0 ? `app.bsky.feed.post/3l${r.string(11)}` : r.string(6))
    entries.push({ k: suffix, p: i === 0 ? 0 : 19 + r.int(4), t: r.int(4) === 0 ? cid() : null, v: cid() })
  }
  return { e: entries, l: cid() }
}

// Each row cycles through VARIANTS distinct blocks of the same shape, so caches inside a codec
// (ours keeps decoded short strings) see realistic hit rates rather than one block on repeat.
const VARIANTS = 64

function rotate<T>(items: T[], f: (item: T) => unknown): () => unknown {
  let i = 0
  return () => f(items[i++ & (VARIANTS - 1)] as T)
}

/**
 * The workload file of a decode/encode pair: the VARIANTS blocks as one DAG-CBOR list of byte
 * strings, so an external implementation (benchmarks/external.json) cycles the same blocks.
 */
function blocksWorkload(file: string, blocks: Uint8Array[]): Promise<string> {
  return ensureWorkload(`dag-cbor/${file}`, () => encode(blocks))
}

function cases(name: string, blocks: Uint8Array[], workload: string): BenchCase[] {
  const ours = blocks.map((b) => decode(b))
  const ipldValues = blocks.map((b) => ipld.decode(b))
  const atcuteValues = blocks.map((b) => atcute.decode(b))
  const lexValues = blocks.map((b) => lexCbor.decode(b))
  const avg = Math.round(blocks.reduce((n, b) => n + b.length, 0) / blocks.length)
  return [
    {
      name: `decode ${name} (~${avg} B)`,
      workload,
      note: 'CID strings are not formatted in any of the four: ours and @atcute/cbor keep CID bytes (lazy), @ipld/dag-cbor and @atproto/lex-cbor build multiformats CIDs (digest views) eagerly',
      impls: {
        '@rsky/dag-cbor': () => rotate(blocks, (b) => decode(b)),
        '@ipld/dag-cbor': () => rotate(blocks, (b) => ipld.decode(b)),
        '@atcute/cbor': () => rotate(blocks, (b) => atcute.decode(b)),
        '@atproto/lex-cbor': () => rotate(blocks, (b) => lexCbor.decode(b)),
      },
    },
    {
      name: `encode ${name} (~${avg} B)`,
      workload,
      note: 'each library encodes its own decoded form of the same blocks (CID and bytes as that library represents them)',
      impls: {
        '@rsky/dag-cbor': () => rotate(ours, (v) => encode(v)),
        '@ipld/dag-cbor': () => rotate(ipldValues, (v) => ipld.encode(v)),
        '@atcute/cbor': () => rotate(atcuteValues, (v) => atcute.encode(v)),
        '@atproto/lex-cbor': () => rotate(lexValues, (v) => lexCbor.encode(v)),
      },
    },
  ]
}

const suite: BenchSuite = {
  name: 'dag-cbor',
  description: 'Strict DAG-CBOR decode and encode of a post record and an MST node, against the peers',
  async cases() {
    const posts = Array.from({ length: VARIANTS }, (_, i) => encode(makePost(1000 + i)).slice())
    const nodes = Array.from({ length: VARIANTS }, (_, i) => encode(makeMstNode(2000 + i)).slice())
    const postFile = await blocksWorkload('post-blocks.cbor', posts)
    const nodeFile = await blocksWorkload('mst-node-blocks.cbor', nodes)
    const smallNodes = Array.from({ length: VARIANTS }, (_, i) => encode(makeMstNode(3000 + i, 4)).slice())
    const smallNodeFile = await blocksWorkload('mst-node-4-blocks.cbor', smallNodes)
    const cidStrs = posts.map((p) => cidForCbor(p).toString())
    const postValues = posts.map((p) => decode(p))
    const postJson = postValues.map((v) => JSON.parse(JSON.stringify(lexToJson(v))) as unknown)
    return [
      ...cases('post record', posts, postFile),
      ...cases('MST node, 4 entries', smallNodes, smallNodeFile),
      ...cases('MST node, 16 entries', nodes, nodeFile),
      {
        name: 'decode MST node + format every CID string',
        note: 'like decode, but each CID is also turned into its base32 string, so lazy and eager CIDs do the same work',
        impls: {
          '@rsky/dag-cbor': () => rotate(nodes, (b) => cidStrings(decode(b))),
          '@ipld/dag-cbor': () => rotate(nodes, (b) => cidStrings(ipld.decode(b))),
          '@atcute/cbor': () => rotate(nodes, (b) => atcuteCidStrings(atcute.decode(b))),
          '@atproto/lex-cbor': () => rotate(nodes, (b) => cidStrings(lexCbor.decode(b))),
        },
      },
      {
        name: 'post record JSON form -> data model (jsonToLex)',
        impls: {
          '@rsky/dag-cbor': () => rotate(postJson, (j) => jsonToLex(j)),
          '@atproto/common-web': () => rotate(postJson, (j) => jsonToIpld(j as never)),
        },
      },
      {
        name: 'post record data model -> JSON form (lexToJson)',
        impls: {
          '@rsky/dag-cbor': () => rotate(postValues, (v) => lexToJson(v)),
          '@atproto/common-web': () => rotate(postValues, (v) => ipldToJson(v as never)),
        },
      },
      {
        name: 'parse CID string',
        impls: {
          '@rsky/dag-cbor': () => rotate(cidStrs, (s) => parseCid(s)),
          multiformats: () => rotate(cidStrs, (s) => CID.parse(s)),
          '@atcute/cid': () => rotate(cidStrs, (s) => atcuteCid.fromString(s)),
        },
      },
      {
        name: 'CID of a post block (sha256 + CID)',
        note: 'multiformats hashes asynchronously (WebCrypto in Node); ours uses node:crypto synchronously through @rsky/crypto',
        impls: {
          // An inline closure like the peers' rows: the shared rotate() helper's call site is
          // megamorphic by this last case and cost ours ~0.7 µs a call.
          '@rsky/dag-cbor': () => {
            let i = 0
            return () => cidForCbor(posts[i++ & (VARIANTS - 1)] as Uint8Array)
          },
          multiformats: () => {
            let i = 0
            return async () =>
              CID.create(1, 0x71, await mfSha256.digest(posts[i++ & (VARIANTS - 1)] as Uint8Array))
          },
          '@atcute/cid': () => {
            let i = 0
            return () => atcuteCid.create(0x71, posts[i++ & (VARIANTS - 1)] as Uint8Array)
          },
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
