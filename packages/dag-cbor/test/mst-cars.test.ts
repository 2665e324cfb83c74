// Real DAG-CBOR from another implementation: every block of the mst-test-suite CAR files (MST
// nodes, commits and records written by the Python reference) decodes, matches @ipld/dag-cbor,
// re-encodes to the same bytes and hashes to the CID it is stored under.

import { readFileSync } from 'node:fs'
import { CarReader } from '@ipld/car'
import * as ipld from '@ipld/dag-cbor'
import { cidForCbor, cidForRaw, DAG_CBOR_CODEC, decode, encode } from '@rsky/dag-cbor'
import { interopPath, listInteropFiles, recordInteropCount } from '@rsky/test-vectors'
import { describe, expect, it } from 'vitest'
import { normalize } from './helpers.ts'

describe('mst-test-suite CAR blocks', () => {
  it('decode, agree with @ipld/dag-cbor, re-encode byte for byte and hash to their CIDs', async () => {
    const cars = listInteropFiles('mst-test-suite', 'cars', '.car')
    let blocks = 0
    for (const file of cars) {
      const reader = await CarReader.fromBytes(
        new Uint8Array(readFileSync(interopPath('mst-test-suite', file))),
      )
      for await (const { cid, bytes } of reader.blocks()) {
        if (cid.code === DAG_CBOR_CODEC) {
          expect(cidForCbor(bytes).toString()).toBe(cid.toString())
          const value = decode(bytes)
          expect(Buffer.from(encode(value)).equals(Buffer.from(bytes))).toBe(true)
          expect(normalize(value)).toEqual(normalize(ipld.decode(bytes)))
        } else {
          expect(cidForRaw(bytes).toString()).toBe(cid.toString())
        }
        blocks++
      }
    }
    recordInteropCount('mst-test-suite/cars/**/*.car (blocks)', blocks)
    expect(blocks).toBeGreaterThan(0)
  })
})
