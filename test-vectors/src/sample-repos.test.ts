import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { verifyRepoCar as atprotoVerifyRepoCar } from '@atproto/repo'
import { CarReader } from '@ipld/car'
import { decode as ipldDecode, encode as ipldEncode } from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { buildSampleRepo, SAMPLE_REPOS, sampleKeypair } from './sample-repos.ts'

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'repos')
const manifest = JSON.parse(readFileSync(join(dir, 'samples.json'), 'utf8')) as Array<{
  file: string
  did: string
  key: string
}>

describe.each(SAMPLE_REPOS)('shipped sample $file', (spec) => {
  const shipped = new Uint8Array(readFileSync(join(dir, spec.file)))

  it('is exactly what the generator builds (deterministic, and current with the code)', async () => {
    const built = await buildSampleRepo(spec)
    expect(Buffer.from(built).equals(Buffer.from(shipped))).toBe(true)
    expect(manifest.find((m) => m.file === spec.file)).toMatchObject({
      did: spec.did,
      key: sampleKeypair(spec).did(),
    })
  })

  it('every block is canonical DAG-CBOR to @ipld/dag-cbor, and @atproto/repo verifies the repo', async () => {
    const reader = await CarReader.fromBytes(shipped)
    let n = 0
    for await (const { bytes } of reader.blocks()) {
      expect(Buffer.from(ipldEncode(ipldDecode(bytes))).equals(Buffer.from(bytes))).toBe(true)
      n++
    }
    expect(n).toBeGreaterThan(spec.records)
    const verified = await atprotoVerifyRepoCar(shipped, spec.did, sampleKeypair(spec).did())
    expect(verified.creates.length).toBe(spec.records)
  })
})
