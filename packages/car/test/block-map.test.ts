import { type Cid, cidForRaw, encodeWithCid, parseCid } from '@rsky/dag-cbor'
import fc from 'fast-check'
import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { BlockMap, CidSet, cidBytesKey } from '../src/index.ts'

const cidArb = fc.uint8Array({ maxLength: 8 }).map((d) => cidForRaw(d))

describe('cidBytesKey', () => {
  it('is injective over byte strings of any length (odd, even, 36)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
        const same = Buffer.from(a).equals(Buffer.from(b))
        expect(cidBytesKey(a) === cidBytesKey(b)).toBe(same)
      }),
      { seed: 42, numRuns: 300 },
    )
    expect(cidBytesKey(Uint8Array.of(7))).not.toBe(cidBytesKey(Uint8Array.of(1, 7)))
    expect(cidBytesKey(Uint8Array.of(0, 7))).not.toBe(cidBytesKey(Uint8Array.of(7)))
  })
})

describe('BlockMap', () => {
  it('behaves like a Map keyed by the CID string (model test)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), cid: cidArb, bytes: fc.uint8Array({ maxLength: 20 }) }),
      fc.record({ kind: fc.constant('delete' as const), cid: cidArb }),
      fc.record({ kind: fc.constant('get' as const), cid: cidArb }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const map = new BlockMap()
        const model = new Map<string, Uint8Array>()
        for (const o of ops) {
          const key = o.cid.toString()
          if (o.kind === 'set') {
            map.set(o.cid, o.bytes)
            model.set(key, o.bytes)
          } else if (o.kind === 'delete') {
            expect(map.delete(o.cid)).toBe(model.delete(key))
          } else {
            expect(map.get(o.cid)).toBe(model.get(key))
            expect(map.has(o.cid)).toBe(model.has(key))
          }
        }
        expect(map.size).toBe(model.size)
        expect(map.byteSize).toBe([...model.values()].reduce((n, b) => n + b.length, 0))
        expect([...map].map(([c]) => c.toString())).toEqual([...model.keys()])
      }),
      { seed: 42, numRuns: 200 },
    )
  })

  it('looks up by equal CIDs that are different objects (parsed from a string)', () => {
    const cid = cidForRaw(new Uint8Array([1]))
    const map = new BlockMap().set(cid, new Uint8Array([9]))
    expect(map.get(parseCid(cid.toString()))).toEqual(new Uint8Array([9]))
  })

  it('getMany splits found and missing; addMap merges; equals compares', () => {
    const { cid, bytes } = encodeWithCid({ hello: 'world' })
    const a = new BlockMap().set(cid, bytes)
    expect(cid.code).toBe(0x71)
    const other = cidForRaw(new Uint8Array([2]))
    const { blocks, missing } = a.getMany([cid, other])
    expect(blocks.size).toBe(1)
    expect(missing.map((c) => c.toString())).toEqual([other.toString()])
    const b = new BlockMap().set(other, new Uint8Array([2]))
    b.addMap(a)
    expect(b.size).toBe(2)
    expect(b.equals(a)).toBe(false)
    b.delete(other)
    expect(b.equals(a)).toBe(true)
    b.set(cid, new Uint8Array([0]))
    expect(b.equals(a)).toBe(false)
    expect([...a.cids()].length).toBe(1)
    expect([...a.values()].length).toBe(1)
    let calls = 0
    a.forEach(() => {
      calls++
    })
    expect(calls).toBe(1)
    a.clear()
    expect(a.size + a.byteSize).toBe(0)
  })
})

describe('CidSet', () => {
  it('behaves like a Set of CID strings (model test)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), cidArb), { maxLength: 60 }), (ops) => {
        const set = new CidSet()
        const model = new Set<string>()
        for (const [add, cid] of ops) {
          if (add) {
            set.add(cid)
            model.add(cid.toString())
          } else {
            expect(set.delete(cid)).toBe(model.delete(cid.toString()))
          }
          expect(set.has(cid)).toBe(model.has(cid.toString()))
        }
        expect(set.size).toBe(model.size)
        expect(set.toList().map((c: Cid) => c.toString())).toEqual([...model])
      }),
      { seed: 42, numRuns: 200 },
    )
  })

  it('addSet and subtractSet', () => {
    const [a, b, c] = [1, 2, 3].map((n) => cidForRaw(Uint8Array.of(n))) as [Cid, Cid, Cid]
    const s = new CidSet([a, b]).addSet(new CidSet([c]))
    expect(s.size).toBe(3)
    s.subtractSet(new CidSet([a, c]))
    expect([...s].map((x) => x.toString())).toEqual([b.toString()])
  })

  it('the writer accepts multiformats CIDs, the map needs our Cid', () => {
    const cid = cidForRaw(Uint8Array.of(1))
    expect(CID.decode(cid.bytes).toString()).toBe(cid.toString())
  })
})
