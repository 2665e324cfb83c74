// What a browser app that signs and verifies ships from this package: the browser entry bundled
// by esbuild as an app would bundle it. It must hold the package's own arithmetic and nothing of
// @noble/* (whose generic layers were most of the bundle) or of the Node backend.
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

async function bundleInputs(contents: string): Promise<string[]> {
  const out = await build({
    stdin: { contents, resolveDir: import.meta.dirname, loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['source', 'browser'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  // files that contribute bytes (the metafile also lists files tree-shaken away)
  return Object.values(out.metafile.outputs).flatMap((o) =>
    Object.entries(o.inputs)
      .filter(([, i]) => i.bytesInOutput > 0)
      .map(([p]) => p),
  )
}

describe('browser bundle', () => {
  it('sign + verify on both curves: own arithmetic, no @noble/*, no Node backend', async () => {
    const inputs =
      await bundleInputs(`import { Secp256k1Keypair, P256Keypair, verifySignature } from '@rsky/crypto'
      export async function f(d) { for (const K of [Secp256k1Keypair, P256Keypair]) { const k = K.create(); if (!verifySignature(k.did(), d, await k.sign(d))) throw 0 } }`)
    expect(inputs.some((p) => p.endsWith('crypto/src/weierstrass.ts'))).toBe(true)
    expect(inputs.filter((p) => p.includes('@noble'))).toEqual([])
    expect(inputs.filter((p) => /\.node\.ts$|tiny-secp256k1/.test(p))).toEqual([])
  })

  it('sha256 alone carries no curve code', async () => {
    const inputs = await bundleInputs(`import { sha256 } from '@rsky/crypto/sha256'
      export const f = (d) => sha256(d)`)
    expect(inputs.filter((p) => /weierstrass|points|ecdsa|@noble/.test(p))).toEqual([])
  })
})
