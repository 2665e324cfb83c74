import { BlockMap } from '@rsky/car'
import { type Cid, cidForCbor, encode, type LexValue } from '@rsky/dag-cbor'
import { describe, expect, it } from 'vitest'
import {
  applyOps,
  decodeNode,
  ensureValidMstKey,
  heightForKey,
  InvalidMstKeyError,
  InvalidMstNodeError,
  isValidMstKey,
  MemoryBlockstore,
  MissingBlocksError,
  MST,
  MstKeyConflictError,
  nodeBytes,
  verifyOpsByInversion,
} from '../src/index.ts'
import { valueCid } from './helpers.ts'

// Keys mined for a height, so node shapes below are deterministic.
function keyAt(height: number, prefix: string, from = 0): string {
  for (let i = from; ; i++) {
    const k = `${prefix}/${i}`
    if (heightForKey(k) === height) return k
  }
}
const k0a = keyAt(0, 'a.b')
const k0b = keyAt(0, 'c.d')
const k1 = keyAt(1, 'b.c')

const leaf = valueCid(1)
const entry = (k: string, p: number, t: Cid | null = null, v: Cid = leaf): LexValue => ({
  k: new TextEncoder().encode(k.slice(p)),
  p,
  t,
  v,
})

describe('key rules', () => {
  const valid = ['a/b', 'app.bsky.feed.post/~tilde', 'x/a:b', 'x/...', 'x/-_~:.', `c/${'a'.repeat(1022)}`]
  const invalid = [
    '',
    'nokey',
    'a/b/c',
    '/b',
    'a/',
    'a/b c',
    'a/é',
    'a/b\n',
    `c/${'a'.repeat(1023)}`,
    'a/b#c',
  ]
  it.each(valid)('accepts %j', (k) => {
    expect(isValidMstKey(k)).toBe(true)
    expect(() => ensureValidMstKey(k)).not.toThrow()
  })
  it.each(invalid)('rejects %j with InvalidMstKeyError', (k) => {
    expect(isValidMstKey(k)).toBe(false)
    expect(() => ensureValidMstKey(k)).toThrow(InvalidMstKeyError)
  })
  it('checks keys on add, update and delete', async () => {
    const t = MST.create(new MemoryBlockstore())
    await expect(t.add('bad key', leaf)).rejects.toBeInstanceOf(InvalidMstKeyError)
    await expect(t.update('no-slash', leaf)).rejects.toBeInstanceOf(InvalidMstKeyError)
    await expect(t.delete('')).rejects.toBeInstanceOf(InvalidMstKeyError)
    await expect(t.add('a/b', 'cid' as never)).rejects.toBeInstanceOf(TypeError)
  })
  it('add of a present key and update/delete of an absent key raise MstKeyConflictError', async () => {
    const t = await MST.create(new MemoryBlockstore()).add('a/b', leaf)
    await expect(t.add('a/b', leaf)).rejects.toMatchObject({ code: 'MST_KEY_EXISTS' })
    await expect(t.update('a/c', leaf)).rejects.toBeInstanceOf(MstKeyConflictError)
    await expect(t.delete('a/c')).rejects.toMatchObject({ code: 'MST_KEY_NOT_FOUND' })
    expect(() =>
      MST.fromEntries(new MemoryBlockstore(), [
        ['a/b', leaf],
        ['a/b', leaf],
      ]),
    ).toThrow(RangeError)
  })
})

describe('node decoding: bad blocks get InvalidMstNodeError with a code', () => {
  const good = encode({ e: [entry(k0a, 0)], l: null })
  const cases: [string, Uint8Array, string, { layer?: number }?][] = [
    ['empty bytes', new Uint8Array(), 'MST_NODE_ENCODING'],
    ['truncated', good.subarray(0, good.length - 3), 'MST_NODE_ENCODING'],
    ['trailing byte', new Uint8Array([...good, 0]), 'MST_NODE_ENCODING'],
    ['not a map', encode([1, 2]), 'MST_NODE_ENCODING'],
    ['extra field', encode({ e: [], l: null, x: 1 }), 'MST_NODE_ENCODING'],
    ['missing l', encode({ e: [entry(k0a, 0)] }), 'MST_NODE_ENCODING'],
    [
      'entry missing t',
      encode({ e: [{ k: new TextEncoder().encode(k0a), p: 0, v: leaf }], l: null }),
      'MST_NODE_ENCODING',
    ],
    [
      'huge entry count',
      new Uint8Array([0xa2, 0x61, 0x65, 0x9a, 0xff, 0xff, 0xff, 0xff]),
      'MST_NODE_ENCODING',
    ],
    [
      'non-minimal length',
      new Uint8Array([0xa2, 0x61, 0x65, 0x98, 0x00, 0x61, 0x6c, 0xf6]),
      'MST_NODE_ENCODING',
    ],
    [
      'indefinite array',
      new Uint8Array([0xa2, 0x61, 0x65, 0x9f, 0xff, 0x61, 0x6c, 0xf6]),
      'MST_NODE_ENCODING',
    ],
    ['invalid key', encode({ e: [entry('a b/c', 0)], l: null }), 'MST_NODE_KEY'],
    ['keys out of order', encode({ e: [entry(k0b, 0), entry(k0a, 0)], l: null }), 'MST_NODE_ORDER'],
    ['duplicate key', encode({ e: [entry(k0a, 0), entry(k0a, k0a.length)], l: null }), 'MST_NODE_ORDER'],
    [
      'prefix longer than previous key',
      encode({ e: [entry(k0a, 0), entry(k0b, 40)], l: null }),
      'MST_NODE_ENCODING',
    ],
    [
      'non-canonical prefix',
      encode({ e: [entry('a.b/1x', 0), entry('a.b/1y', 2)], l: null }),
      'MST_NODE_PREFIX',
    ],
    ['key at the wrong layer', encode({ e: [entry(k0a, 0), entry(k1, 0)], l: null }), 'MST_NODE_LAYER'],
    ['link below layer 0', encode({ e: [entry(k0a, 0)], l: cidForCbor(good) }), 'MST_NODE_LAYER'],
    [
      'subtree link with raw codec',
      encode({ e: [entry(k1, 0)], l: valueCid(2) && rawCid() }),
      'MST_NODE_ENCODING',
    ],
    ['root with only a subtree', encode({ e: [], l: cidForCbor(good) }), 'MST_NODE_EMPTY'],
    ['empty node below the root', encode({ e: [], l: null }), 'MST_NODE_EMPTY', { layer: 0 }],
  ]
  it.each(cases)('%s', (_name, bytes, code, place) => {
    let err: unknown
    try {
      decodeNode(bytes, undefined, place ?? {})
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(InvalidMstNodeError)
    expect((err as InvalidMstNodeError).code).toBe(code)
  })
  it('re-encodes a decoded node to the same bytes', () => {
    const node = decodeNode(good, undefined)
    node.bytes = undefined
    expect(nodeBytes(node)).toEqual(good)
  })
})

function rawCid(): Cid {
  const c = cidForCbor(new Uint8Array([1]))
  const b = c.bytes.slice()
  b[1] = 0x55
  return { ...c, bytes: b } as Cid
}

describe('loading from a block source', () => {
  it('a missing node raises MissingBlocksError naming the CID', async () => {
    const tree = MST.fromEntries(
      new MemoryBlockstore(),
      Array.from({ length: 200 }, (_, i) => [`a.b/${i}`, leaf] as const),
    )
    const blocks = await tree.exportNodeBlocks()
    const root = await tree.getPointer()
    const someChild = [...blocks].map(([c]) => c).find((c) => !c.equals(root)) as Cid
    const partial = new BlockMap([...blocks].filter(([c]) => !c.equals(someChild)))
    const loaded = MST.load(new MemoryBlockstore(partial), root)
    const err = await loaded.leaves().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MissingBlocksError)
    expect((err as MissingBlocksError).cids.map(String)).toContain(someChild.toString())
    await expect(MST.load(new MemoryBlockstore(), root).get('a.b/1')).rejects.toBeInstanceOf(
      MissingBlocksError,
    )
  })
  it('forged block bytes (hash mismatch) are refused', async () => {
    const a = await MST.create(new MemoryBlockstore()).add(k0a, leaf)
    const b = await MST.create(new MemoryBlockstore()).add(k0b, leaf)
    const store = new MemoryBlockstore()
    store.putBlock(await a.getPointer(), (await b.exportNodeBlocks()).get(await b.getPointer()) as Uint8Array)
    await expect(MST.load(store, await a.getPointer()).get(k0a)).rejects.toMatchObject({
      code: 'MST_NODE_HASH_MISMATCH',
    })
  })
  it('a child holding keys outside its parent range is refused', async () => {
    // Parent at layer 1 with key k1; its left child claims a key greater than k1.
    const big = keyAt(0, 'z.z')
    const child = encode({ e: [entry(big, 0)], l: null })
    const childCid = cidForCbor(child)
    const parent = encode({ e: [entry(k1, 0)], l: childCid })
    const store = new MemoryBlockstore()
    store.putBlock(childCid, child)
    store.putBlock(cidForCbor(parent), parent)
    await expect(MST.load(store, cidForCbor(parent)).leaves()).rejects.toMatchObject({
      code: 'MST_NODE_ORDER',
    })
  })
  it('inversion over hostile input returns a failed result, never throws', async () => {
    const root = cidForCbor(new Uint8Array([0xa0]))
    const r = await verifyOpsByInversion({
      root,
      prevRoot: root,
      blocks: new BlockMap([[root, new Uint8Array([0xa0])]]),
      ops: [{ action: 'create', key: 'a/b', cid: leaf, prev: null }],
    })
    expect(r.success).toBe(false)
    const dup = await verifyOpsByInversion({
      root,
      prevRoot: root,
      blocks: new BlockMap(),
      ops: [
        { action: 'create', key: 'a/b', cid: leaf, prev: null },
        { action: 'create', key: 'a/b', cid: leaf, prev: null },
      ],
    })
    expect(dup).toMatchObject({ success: false, issues: [{ code: 'MST_INVERT_DUPLICATE_KEY' }] })
    const malformed = await verifyOpsByInversion({
      root,
      prevRoot: root,
      blocks: new BlockMap(),
      ops: [{ action: 'update', key: 'a/b', cid: leaf, prev: null } as never],
    })
    expect(malformed).toMatchObject({ success: false, issues: [{ code: 'MST_INVERT_BAD_OP' }] })
  })
  it('list rejects a negative limit', async () => {
    await expect(MST.create(new MemoryBlockstore()).list({ limit: -1 })).rejects.toBeInstanceOf(RangeError)
  })
})

describe('partial trees', () => {
  it('reachableLeaves skips subtrees whose blocks are missing', async () => {
    const entries = Array.from({ length: 300 }, (_, i) => [`a.b/${i}`, leaf] as const)
    const tree = MST.create(new MemoryBlockstore(), entries)
    const blocks = await tree.exportNodeBlocks()
    const root = await tree.getPointer()
    const all = await MST.load(new MemoryBlockstore(blocks), root).reachableLeaves()
    expect(all.length).toBe(300)
    const nodes = await tree.allNodes()
    const victim = nodes[nodes.length - 1]
    const partial = new BlockMap([...blocks].filter(([c]) => !c.equals(victim?.cid)))
    const some = await MST.load(new MemoryBlockstore(partial), root).reachableLeaves()
    expect(some.length).toBe(300 - (victim?.keys.length ?? 0))
  })
})

describe('applyOps checks each op against the tree', () => {
  it('refuses a create of a present key and a delete or update with the wrong prev', async () => {
    const { applyOps } = await import('../src/index.ts')
    const t = await MST.create(new MemoryBlockstore()).add('a/b', leaf)
    await expect(
      applyOps(t, [{ action: 'create', key: 'a/b', cid: leaf, prev: null }]),
    ).rejects.toMatchObject({
      code: 'MST_INVERT_KEY_PRESENT',
    })
    await expect(
      applyOps(t, [{ action: 'delete', key: 'a/b', cid: null, prev: valueCid(2) }]),
    ).rejects.toMatchObject({
      code: 'MST_INVERT_VALUE_MISMATCH',
    })
    await expect(
      applyOps(t, [{ action: 'update', key: 'a/c', cid: leaf, prev: leaf }]),
    ).rejects.toMatchObject({
      code: 'MST_INVERT_VALUE_MISMATCH',
    })
    const ok = await applyOps(t, [{ action: 'update', key: 'a/b', cid: valueCid(3), prev: leaf }])
    expect((await ok.get('a/b'))?.equals(valueCid(3))).toBe(true)
  })
})

describe('malformed ops are named failures, never a TypeError (issue 17 E, F)', () => {
  const notCids: [string, unknown][] = [
    ['a CID string', 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm'],
    ['a $link object', { $link: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm' }],
    ['a number', 42],
    ['bytes', new Uint8Array(36)],
    ['a null-prototype object', Object.create(null)],
  ]
  const root = cidForCbor(new Uint8Array([0xa0]))
  const invert = (ops: unknown) =>
    verifyOpsByInversion({
      root,
      prevRoot: root,
      blocks: new BlockMap([[root, new Uint8Array([0xa0])]]),
      ops: ops as never,
    })

  it.each(notCids)(
    'verifyOpsByInversion: prev or cid that is %s is MST_INVERT_BAD_OP',
    async (_name, bad) => {
      for (const op of [
        { action: 'delete', key: 'a/b', cid: null, prev: bad },
        { action: 'update', key: 'a/b', cid: leaf, prev: bad },
        { action: 'update', key: 'a/b', cid: bad, prev: leaf },
        { action: 'create', key: 'a/b', cid: bad, prev: null },
      ]) {
        expect(await invert([op])).toMatchObject({ success: false, issues: [{ code: 'MST_INVERT_BAD_OP' }] })
      }
    },
  )

  it('verifyOpsByInversion: null ops, a bad action, a non-array list are MST_INVERT_BAD_OP', async () => {
    for (const ops of [
      [null],
      [undefined],
      ['a/b'],
      [{ action: 'move', key: 'a/b', cid: leaf, prev: leaf }],
      [{ action: 'create', key: 42, cid: leaf, prev: null }],
      'not a list',
      null,
    ]) {
      expect(await invert(ops)).toMatchObject({ success: false, issues: [{ code: 'MST_INVERT_BAD_OP' }] })
    }
  })

  it('verifyOpsByInversion: a root, prevRoot or blocks that is missing or not a CID is MST_INVERT_BAD_INPUT', async () => {
    const blocks = new BlockMap([[root, new Uint8Array([0xa0])]])
    for (const input of [
      { root, prevRoot: null, blocks, ops: [] },
      { root, prevRoot: undefined, blocks, ops: [] },
      { root, prevRoot: root.toString(), blocks, ops: [] },
      { root: null, prevRoot: root, blocks, ops: [] },
      { root: 'bafy', prevRoot: root, blocks, ops: [] },
      { root, prevRoot: root, blocks: null, ops: [] },
      null,
    ]) {
      expect(await verifyOpsByInversion(input as never)).toMatchObject({
        success: false,
        issues: [{ code: 'MST_INVERT_BAD_INPUT' }],
      })
    }
  })

  it('applyOps refuses an unknown action, a null op and a create without a CID, and applies none of a bad batch', async () => {
    const t = await MST.create(new MemoryBlockstore()).add('a/b', leaf)
    const before = await t.getPointer()
    for (const ops of [
      [{ action: 'move', key: 'a/b', cid: null, prev: leaf }],
      [null],
      [{ action: 'create', key: 'a/c', prev: null }],
      [{ action: 'create', key: 'a/c', cid: null, prev: null }],
      [{ action: 'create', key: 'a/c', cid: 'bafy', prev: null }],
      [{ action: 'delete', key: 'a/b', cid: null, prev: { $link: 'x' } }],
      // a good op first: nothing is applied when a later one is malformed
      [
        { action: 'create', key: 'a/c', cid: leaf, prev: null },
        { action: 'move', key: 'a/b' },
      ],
    ]) {
      await expect(applyOps(t, ops as never)).rejects.toMatchObject({
        name: 'MstInversionError',
        code: 'MST_INVERT_BAD_OP',
      })
    }
    await expect(applyOps(t, 'nope' as never)).rejects.toMatchObject({ code: 'MST_INVERT_BAD_OP' })
    expect((await t.getPointer()).equals(before)).toBe(true)
    expect(await t.get('a/b')).toEqual(leaf)
  })
})

describe('entry cap per node', () => {
  it('a node with more entries than maxNodeEntries is refused on load', async () => {
    const entries = Array.from({ length: 400 }, (_, i) => [keyAt(0, 'a.b', i * 7), leaf] as const)
    const unique = [...new Map(entries).entries()]
    const tree = MST.create(new MemoryBlockstore(), unique)
    const store = new MemoryBlockstore(await tree.exportNodeBlocks())
    const root = await tree.getPointer()
    expect((await MST.load(store, root).leaves()).length).toBe(unique.length)
    await expect(MST.load(store, root, { maxNodeEntries: 10 }).leaves()).rejects.toMatchObject({
      code: 'MST_NODE_TOO_LARGE',
    })
    expect(() => MST.load(store, root, { maxNodeEntries: 0 })).toThrow(RangeError)
  })
})
