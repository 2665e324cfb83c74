// MST build, diff and list against @atproto/repo and @atcute/mst, on the same seeded keys.
import type { CidLinkWrapper } from '@atcute/cid'
import type * as AtcuteMst from '@atcute/mst'
import type * as AtpRepo from '@atproto/repo'
import { type Cid, decodeCid } from '@rsky/dag-cbor'
import { MemoryBlockstore, MST, mstDiff } from '@rsky/mst'
import { CID } from 'multiformats/cid'
import type { BenchCase, BenchSuite } from '../harness.ts'
import { rng } from '../workloads.ts'

// Inputs are made lazily, inside each implementation's factory, and peers are imported there
// too, so a child process measuring peak memory holds only its own implementation and input.
const loadAtp = (): Promise<typeof AtpRepo> => import('@atproto/repo')
const loadAtcute = (): Promise<typeof AtcuteMst> => import('@atcute/mst')

interface Input {
  keys: string[]
  /** 36-byte record CIDs back to back. */
  cidBytes: Uint8Array
}

const inputs = new Map<number, Input>()
function input(n: number): Input {
  let hit = inputs.get(n)
  if (hit) return hit
  const r = rng(n)
  const collections = [
    'app.bsky.feed.post',
    'app.bsky.feed.like',
    'app.bsky.graph.follow',
    'app.bsky.feed.repost',
  ]
  const b32 = '234567abcdefghijklmnopqrstuvwxyz'
  const keys: string[] = new Array(n)
  const latin1 = new TextDecoder('latin1')
  const buf = new Uint8Array(64)
  for (let i = 0; i < n; i++) {
    // TID-like record keys, unique by construction: '3', then 7 characters from a bijection of
    // the index (multiplying by an odd constant mod 2^32), then 5 random ones. Each key is
    // decoded from bytes in one piece (a flat string, no garbage), because this suite
    // measures peak memory and the input should weigh as little as possible.
    const collection = r.pick(collections)
    let p = 0
    for (let j = 0; j < collection.length; j++) buf[p++] = collection.charCodeAt(j)
    buf[p++] = 0x2f
    buf[p++] = 0x33
    let v = Math.imul(i, 0x9e3779b1) >>> 0
    for (let j = 0; j < 7; j++) {
      buf[p++] = b32.charCodeAt(v & 31)
      v >>>= 5
    }
    for (let j = 0; j < 5; j++) buf[p++] = b32.charCodeAt(r.int(32))
    keys[i] = latin1.decode(buf.subarray(0, p))
  }
  const cidBytes = new Uint8Array(36 * n)
  for (let i = 0; i < n; i++) {
    cidBytes.set([1, 0x71, 0x12, 0x20], i * 36)
    cidBytes.set(r.bytes(32), i * 36 + 4)
  }
  hit = { keys, cidBytes }
  inputs.set(n, hit)
  return hit
}

const cidAt = (inp: Input, i: number): Uint8Array => inp.cidBytes.subarray(i * 36, i * 36 + 36)
const ours = (inp: Input): Cid[] => inp.keys.map((_, i) => decodeCid(cidAt(inp, i)))
const theirs = (inp: Input): CID[] => inp.keys.map((_, i) => CID.decode(cidAt(inp, i)))
const links = async (inp: Input): Promise<CidLinkWrapper[]> => {
  const { CidLinkWrapper } = await import('@atcute/cid')
  return inp.keys.map((_, i) => new CidLinkWrapper(cidAt(inp, i)))
}

function buildCase(n: number): BenchCase {
  const big = n >= 100_000
  return {
    name: `build MST of ${n.toLocaleString('en-US')} keys from empty`,
    unit: 'key',
    perCall: n,
    memory: true,
    note: big
      ? '@atcute/mst is left out at 100,000 keys: one build takes about 31 s and 2.5 GB here, over the 60 s budget.'
      : 'Bulk: MST.fromEntries then the root CID. One add at a time: MST.add per key, then the root CID.',
    impls: {
      '@rsky/mst': () => {
        const inp = input(n)
        const values = ours(inp)
        const entries = inp.keys.map((k, i) => [k, values[i] as Cid] as const)
        return async () => {
          const tree = MST.fromEntries(new MemoryBlockstore(), entries)
          return tree.getPointer()
        }
      },
      '@rsky/mst (one add at a time)': () => {
        const inp = input(n)
        const values = ours(inp)
        return async () => {
          let tree = MST.create(new MemoryBlockstore())
          for (let i = 0; i < n; i++) tree = await tree.add(inp.keys[i] as string, values[i] as Cid)
          return tree.getPointer()
        }
      },
      '@atproto/repo': async () => {
        const atp = await loadAtp()
        const inp = input(n)
        const values = theirs(inp)
        return async () => {
          let tree = await atp.MST.create(new atp.MemoryBlockstore())
          for (let i = 0; i < n; i++) tree = await tree.add(inp.keys[i] as string, values[i] as CID)
          return tree.getPointer()
        }
      },
      ...(big
        ? {}
        : {
            '@atcute/mst': async () => {
              const atcute = await loadAtcute()
              const inp = input(n)
              const values = await links(inp)
              return async () => {
                const wrangler = new atcute.NodeWrangler(new atcute.NodeStore(new atcute.MemoryBlockStore()))
                let root: string | null = null
                for (let i = 0; i < n; i++)
                  root = await wrangler.putRecord(root, inp.keys[i] as string, values[i] as CidLinkWrapper)
                return root
              }
            },
          }),
    },
  }
}

interface TreePair {
  blocks: { cid: Cid; bytes: Uint8Array }[]
  rootA: Cid
  rootB: Cid
  keys: string[]
}

// Two 100,000-key trees differing in 100 keys (34 creates, 33 updates, 33 deletes), as blocks.
let pair: TreePair | undefined
async function treePair(): Promise<TreePair> {
  if (pair) return pair
  const n = 100_000
  const inp = input(n + 34)
  const values = ours(inp)
  const entriesA = new Map<string, Cid>()
  for (let i = 0; i < n; i++) entriesA.set(inp.keys[i] as string, values[i] as Cid)
  const entriesB = new Map(entriesA)
  const r = rng(7)
  for (let j = 0; j < 34; j++) entriesB.set(inp.keys[n + j] as string, values[n + j] as Cid)
  for (let j = 0; j < 33; j++) entriesB.set(inp.keys[r.int(n)] as string, values[n + (j % 34)] as Cid)
  let deleted = 0
  while (deleted < 33) {
    const k = inp.keys[r.int(n)] as string
    if (entriesB.delete(k)) deleted++
  }
  const store = new MemoryBlockstore()
  const a = MST.fromEntries(store, entriesA)
  const b = MST.fromEntries(store, entriesB)
  const blocks: { cid: Cid; bytes: Uint8Array }[] = []
  const all = (await a.exportNodeBlocks()).addMap(await b.exportNodeBlocks())
  for (const [cid, bytes] of all) blocks.push({ cid, bytes })
  pair = {
    blocks,
    rootA: await a.getPointer(),
    rootB: await b.getPointer(),
    keys: [...entriesA.keys()].sort(),
  }
  return pair
}

async function oursStore(): Promise<MemoryBlockstore> {
  const p = await treePair()
  const store = new MemoryBlockstore()
  for (const { cid, bytes } of p.blocks) store.putBlock(cid, bytes)
  return store
}
async function atpStore(): Promise<AtpRepo.MemoryBlockstore> {
  const atp = await loadAtp()
  const p = await treePair()
  const map = new atp.BlockMap()
  for (const { cid, bytes } of p.blocks) map.set(CID.decode(cid.bytes), bytes)
  return new atp.MemoryBlockstore(map)
}
async function atcuteStore(): Promise<AtcuteMst.MemoryBlockStore> {
  const atcute = await loadAtcute()
  const p = await treePair()
  const map: AtcuteMst.BlockMap = new Map()
  for (const { cid, bytes } of p.blocks) map.set(cid.toString(), bytes as Uint8Array<ArrayBuffer>)
  return new atcute.MemoryBlockStore(map)
}

const suite: BenchSuite = {
  name: 'mst',
  description: 'Merkle Search Tree: build from empty, diff of two large trees, one page of a listing',
  cases() {
    return [
      buildCase(10_000),
      buildCase(100_000),
      {
        name: 'diff two 100,000-key trees differing in 100 keys (cold: nodes read from a block store)',
        unit: 'op',
        note: 'Each call loads both trees from their root CIDs and computes record ops and created/deleted nodes.',
        impls: {
          '@rsky/mst': async () => {
            const store = await oursStore()
            const p = await treePair()
            return async () => mstDiff(MST.load(store, p.rootA), MST.load(store, p.rootB))
          },
          '@atproto/repo': async () => {
            const atp = await loadAtp()
            const store = await atpStore()
            const p = await treePair()
            const [ra, rb] = [CID.decode(p.rootA.bytes), CID.decode(p.rootB.bytes)]
            return async () => atp.DataDiff.of(await atp.MST.load(store, rb), await atp.MST.load(store, ra))
          },
          '@atcute/mst': async () => {
            const atcute = await loadAtcute()
            const store = await atcuteStore()
            const p = await treePair()
            return async () => {
              const ns = new atcute.NodeStore(store)
              const [created, deleted] = await atcute.mstDiff(ns, p.rootA.toString(), p.rootB.toString())
              const ops = []
              for await (const d of atcute.recordDiff(ns, created, deleted)) ops.push(d)
              return ops
            }
          },
        },
      },
      {
        name: 'list 100 keys after a cursor in a 100,000-key tree (cold)',
        unit: 'op',
        note: 'Each call loads the tree from its root CID and reads one page of 100 leaves after a key in the middle.',
        impls: {
          '@rsky/mst': async () => {
            const store = await oursStore()
            const p = await treePair()
            const after = p.keys[50_000] as string
            return async () => MST.load(store, p.rootA).list({ after, limit: 100 })
          },
          '@atproto/repo': async () => {
            const atp = await loadAtp()
            const store = await atpStore()
            const p = await treePair()
            const after = p.keys[50_000] as string
            const root = CID.decode(p.rootA.bytes)
            return async () => (await atp.MST.load(store, root)).list(100, after)
          },
          '@atcute/mst': async () => {
            const atcute = await loadAtcute()
            const store = await atcuteStore()
            const p = await treePair()
            const after = p.keys[50_000] as string
            return async () => {
              const walker = await atcute.NodeWalker.create(new atcute.NodeStore(store), p.rootA.toString())
              const out = []
              for await (const e of walker.entriesInRange(after, atcute.NodeWalker.PATH_MAX)) {
                if (e[0] === after) continue
                out.push(e)
                if (out.length >= 100) break
              }
              return out
            }
          },
        },
      },
    ]
  },
}

export default suite
