// decodeNodeEntries (the node read through @rsky/dag-cbor's `decode`, for bundles that ship it
// anyway) against decodeNode (the node's own reader): the same blocks accepted as the same nodes,
// the same error codes for blocks that are strict DAG-CBOR, MST_NODE_ENCODING for the others. On
// the nodes of generated trees, byte-level mutations of them, and hand-built entry shapes.
import { cidForCbor, DagCborDecodeError, decode, encode, type LexValue } from '@rsky/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeNode,
  InvalidMstNodeError,
  MemoryBlockstore,
  MST,
  type MstNode,
  type NodeEntries,
  type NodePlace,
  NodeRef,
} from '../src/index.ts'
import { decodeNodeEntries as entriesOnReader } from '../src/node-entries.node.ts'
import { decodeNodeEntries as entriesOnDecode } from '../src/node-entries.ts'
import { arbEntries, valueCid } from './helpers.ts'

type Outcome = { code: string } | { layer: number; keys: string[]; values: string[]; children: string[] }

function outcome(read: () => NodeEntries | MstNode): Outcome {
  let node: NodeEntries | MstNode
  try {
    node = read()
  } catch (e) {
    if (!(e instanceof InvalidMstNodeError)) throw e
    return { code: e.code }
  }
  const children = [node.left, ...node.rights].map((c) => String(c instanceof NodeRef ? c.cid : c))
  return { layer: node.layer, keys: [...node.keys], values: node.values.map(String), children }
}

function isStrict(bytes: Uint8Array): boolean {
  try {
    decode(bytes)
    return true
  } catch (e) {
    if (!(e instanceof DagCborDecodeError)) throw e
    return false
  }
}

/** Both readers on `bytes`: equal outcomes, but for non-strict CBOR, where the value reader says ENCODING. */
function same(bytes: Uint8Array, place: NodePlace = {}): Outcome {
  const a = outcome(() => decodeNode(bytes, undefined, place))
  expect(outcome(() => entriesOnReader(bytes, undefined, place))).toEqual(a)
  const b = outcome(() => entriesOnDecode(bytes, undefined, place))
  if (isStrict(bytes)) expect(b).toEqual(a)
  else {
    expect(a).toHaveProperty('code')
    expect(b).toEqual({ code: 'MST_NODE_ENCODING' })
  }
  return a
}

async function nodeBlocks(entries: [string, number][]): Promise<Uint8Array[]> {
  const tree = MST.fromEntries(
    new MemoryBlockstore(),
    entries.map(([k, v]) => [k, valueCid(v)] as const),
  )
  return [...(await tree.exportNodeBlocks())].map(([, bytes]) => bytes)
}

const mutation = fc.array(
  fc.record({
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
    op: fc.constantFrom('set', 'cut', 'insert'),
  }),
  { minLength: 1, maxLength: 3 },
)

describe('decodeNodeEntries (both) equals decodeNode', () => {
  it('on the nodes of generated trees and their mutations', async () => {
    let accepted = 0
    let mutatedRejected = 0
    await fc.assert(
      fc.asyncProperty(arbEntries, mutation, fc.nat(), async (entries, edits, pick) => {
        const blocks = await nodeBlocks(entries)
        for (const bytes of blocks) if ('keys' in same(bytes)) accepted++
        const base = blocks[pick % blocks.length] as Uint8Array
        let b = Array.from(base)
        for (const { at, byte, op } of edits) {
          const i = at % (b.length + 1)
          if (op === 'set') b[i % b.length] = byte
          else if (op === 'cut') b = b.slice(0, i)
          else b.splice(i, 0, byte)
        }
        if ('code' in same(Uint8Array.from(b))) mutatedRejected++
      }),
      { seed: 11, numRuns: 300 },
    )
    expect(accepted).toBeGreaterThan(300)
    expect(mutatedRejected).toBeGreaterThan(100)
  })

  it('on valid nodes with faults put into their fields (strict DAG-CBOR, every fault named the same)', async () => {
    const v = valueCid(1)
    const sub = (await nodeBlocks([['a.b/c', 1]]))[0] as Uint8Array
    const other: fc.Arbitrary<LexValue> = fc.constantFrom(
      null,
      0,
      1,
      3,
      -1,
      'x',
      new Uint8Array([0x61]),
      new TextEncoder().encode('a.b/c'),
      new TextEncoder().encode('0'),
      v,
      cidForCbor(sub),
      [],
      {},
    )
    const fault = fc.record({
      at: fc.nat(),
      field: fc.constantFrom('k', 'p', 't', 'v', 'x', 'e', 'l', 'z'),
      op: fc.constantFrom('set', 'delete'),
      value: other,
    })
    const codes = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(
        arbEntries,
        fc.array(fault, { minLength: 1, maxLength: 2 }),
        async (entries, faults) => {
          for (const bytes of await nodeBlocks(entries.slice(0, 12))) {
            const node = decode(bytes) as { e: Record<string, LexValue>[]; l: LexValue } & Record<
              string,
              LexValue
            >
            for (const { at, field, op, value } of faults) {
              const top = field === 'e' || field === 'l' || field === 'z'
              const list = node.e
              const target: Record<string, LexValue> | undefined = top
                ? node
                : Array.isArray(list)
                  ? list[at % (list.length || 1)]
                  : undefined
              if (target === undefined) continue
              if (op === 'delete') delete target[field]
              else target[field] = value
            }
            let faulty: Uint8Array
            try {
              faulty = encode(node)
            } catch {
              continue
            }
            const out = same(faulty)
            if ('code' in out) codes.set(out.code, (codes.get(out.code) ?? 0) + 1)
          }
        },
      ),
      { seed: 12, numRuns: 600 },
    )
    // Faults of every kind were met, not only encoding ones.
    const seen = (code: string) => codes.get(code) ?? 0
    expect(seen('MST_NODE_ENCODING')).toBeGreaterThan(100)
    for (const code of ['MST_NODE_KEY', 'MST_NODE_LAYER']) expect(seen(code), code).toBeGreaterThan(2)
    expect(seen('MST_NODE_ORDER')).toBeGreaterThan(0)
  })

  it('with a place: bounds, layer, and empty nodes below the root', async () => {
    const blocks = await nodeBlocks(Array.from({ length: 60 }, (_, i) => [`a.b/${i}`, i] as [string, number]))
    for (const bytes of blocks) {
      for (const layer of [0, 1, 2]) {
        same(bytes, { layer })
        same(bytes, { layer, lo: 'a.b/3', hi: 'a.b/5' })
      }
      same(bytes, { limits: { maxNodeEntries: 2 } })
    }
    same(encode({ e: [], l: null }), { layer: 0 })
  })
})

describe('node keys: both readers and decodeNode name the same fault', () => {
  const v = valueCid(1)
  const te = new TextEncoder()
  /** A one-entry leaf node whose key is `k` (bytes), as strict DAG-CBOR. */
  const leaf = (k: Uint8Array) => encode({ e: [{ k, p: 0, t: null, v }], l: null })

  it('on keys near every rule: characters, "/", empty parts, bytes above 0x7f, the length cap', () => {
    const keys: [Uint8Array, string | null][] = [
      [te.encode('a.b/c'), null],
      [te.encode('A-Z_a~z:0.9/x-_~:.'), null],
      [te.encode(`a/${'x'.repeat(1022)}`), null],
      [te.encode(`a/${'x'.repeat(1023)}`), 'MST_NODE_KEY'],
      [te.encode('/c'), 'MST_NODE_KEY'],
      [te.encode('a.b/'), 'MST_NODE_KEY'],
      [te.encode('a.b'), 'MST_NODE_KEY'],
      [te.encode('a/b/c'), 'MST_NODE_KEY'],
      [te.encode('a b/c'), 'MST_NODE_KEY'],
      [te.encode('a.b/c\n'), 'MST_NODE_KEY'],
      [te.encode('a.b/é'), 'MST_NODE_KEY'],
      [Uint8Array.from([0x61, 0x2f, 0xff]), 'MST_NODE_KEY'],
      [Uint8Array.from([0x61, 0x2f, 0x00]), 'MST_NODE_KEY'],
      [new Uint8Array(0), 'MST_NODE_KEY'],
    ]
    for (const [k, code] of keys) {
      const out = same(leaf(k))
      expect('code' in out ? out.code : null, new TextDecoder().decode(k).slice(0, 20)).toBe(code)
    }
  })

  it('a key of 300 KB is MST_NODE_KEY, not a RangeError from building the string', () => {
    const k = new Uint8Array(300_000).fill(0x61)
    k[1] = 0x2f
    expect(same(leaf(k))).toEqual({ code: 'MST_NODE_KEY' })
    // The same length made of a prefix taken from the previous key and a long suffix.
    const node = encode({
      e: [
        { k: te.encode('a.b/c'), p: 0, t: null, v },
        { k, p: 4, t: null, v },
      ],
      l: null,
    })
    expect(same(node)).toEqual({ code: 'MST_NODE_KEY' })
  })
})
