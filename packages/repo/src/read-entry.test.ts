// @rsky/repo/read: the record reader without the signature code. The same records as the full
// entry, a key checked only with a verifier the caller passes, and a browser bundle of the plain
// read path that holds no elliptic-curve code and no DAG-CBOR encoder.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { verifyCommitSignature } from './commit.ts'
import { InvalidSignatureError } from './errors.ts'
import { iterateRepoRecords as iterateLight, readRepoRecords as readLight } from './read.ts'
import { readRepoRecords as readFull } from './read-records.ts'

const reposDir = join(import.meta.dirname, '../../../test-vectors/repos')
const samples = JSON.parse(readFileSync(join(reposDir, 'samples.json'), 'utf8')) as {
  file: string
  did: string
  key: string
}[]
const spec = samples[0]!
const car = new Uint8Array(readFileSync(join(reposDir, spec.file)))
const otherKey = samples.find((s) => s.key !== spec.key)?.key

async function keys(gen: AsyncIterable<{ collection: string; rkey: string; cid: { toString(): string } }>) {
  const out: string[] = []
  for await (const e of gen) out.push(`${e.collection}/${e.rkey} ${e.cid.toString()}`)
  return out
}

describe('@rsky/repo/read', () => {
  it('yields the same records as @rsky/repo, with and without a key', async () => {
    const full = await keys(readFull(car, { did: spec.did, key: spec.key }))
    expect(full.length).toBeGreaterThan(0)
    expect(await keys(readLight(car, { did: spec.did }))).toEqual(full)
    expect(await keys(readLight(car, { did: spec.did, key: spec.key, verifyCommitSignature }))).toEqual(full)
    const sync = Array.from(iterateLight(car, { did: spec.did }), (e) => `${e.collection}/${e.rkey} ${e.cid}`)
    expect(sync).toEqual(full)
    expect(() => iterateLight(car, { key: spec.key }).next()).toThrow(TypeError)
  })

  it('a key without verifyCommitSignature is a caller error, before any record', async () => {
    await expect(keys(readLight(car, { key: spec.key }))).rejects.toThrow(TypeError)
  })

  it('a wrong key fails with InvalidSignatureError through either entry', async () => {
    if (otherKey === undefined) return
    await expect(keys(readFull(car, { key: otherKey }))).rejects.toBeInstanceOf(InvalidSignatureError)
    await expect(keys(readLight(car, { key: otherKey, verifyCommitSignature }))).rejects.toBeInstanceOf(
      InvalidSignatureError,
    )
    // the verifier the caller passes is the one used
    await expect(
      keys(readLight(car, { key: spec.key, verifyCommitSignature: () => false })),
    ).rejects.toBeInstanceOf(InvalidSignatureError)
  })

  it('a browser bundle of iterateRepoRecords holds no CAR stream reader', async () => {
    const out = await build({
      stdin: {
        contents: `import { iterateRepoRecords } from '@rsky/repo/read'
          export const f = (bytes) => [...iterateRepoRecords(bytes)]`,
        resolveDir: import.meta.dirname,
        loader: 'js',
      },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      conditions: ['source', 'browser'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    })
    const inputs = Object.values(out.metafile.outputs).flatMap((o) =>
      Object.entries(o.inputs)
        .filter(([, i]) => i.bytesInOutput > 0)
        .map(([p]) => p),
    )
    // browsers index the bytes with a Map (#bytes-index), not the typed-array CarBlockIndex
    expect(inputs.some((p) => p.includes('repo/src/bytes-index.browser.ts'))).toBe(true)
    expect(inputs.filter((p) => /repo\/src\/(block-index|cid-bucket)\.ts$/.test(p))).toEqual([])
    expect(inputs.filter((p) => /car\/src\/stream\.ts$/.test(p))).toEqual([])
  })

  it('a browser bundle of the plain read path holds neither curve code nor the CBOR encoder', async () => {
    const out = await build({
      stdin: {
        contents: `import { readRepoRecords } from '@rsky/repo/read'
          export async function f(bytes) { const out = []; for await (const r of readRepoRecords(bytes)) out.push(r); return out }`,
        resolveDir: import.meta.dirname,
        loader: 'js',
      },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      conditions: ['source', 'browser'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    })
    // files that contribute bytes to the bundle (the metafile also lists files tree-shaken away)
    const inputs = Object.values(out.metafile.outputs).flatMap((o) =>
      Object.entries(o.inputs)
        .filter(([, i]) => i.bytesInOutput > 0)
        .map(([p]) => p),
    )
    expect(inputs.some((p) => p.includes('repo/src/read-records-core.ts'))).toBe(true)
    expect(
      inputs.filter((p) => /@noble\/curves|crypto\/src\/(verify|ecdsa-js|curves|points)\.ts/.test(p)),
    ).toEqual([])
    expect(inputs.filter((p) => p.includes('dag-cbor/src/encode'))).toEqual([])
    expect(inputs.filter((p) => /repo\/src\/(commit|verify)\.ts$/.test(p))).toEqual([])
  })
})
