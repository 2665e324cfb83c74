// The did:key cache behind verifySignature: a did:key is parsed and imported once per engine, bad
// keys are never cached, and the cache stays bounded (oldest evicted first).
import { describe, expect, it } from 'vitest'
import { base58Encode } from '../src/base58.ts'
import { browserEngine } from '../src/engine.browser.ts'
import { nodeEngine } from '../src/engine.node.ts'
import type { CryptoEngine } from '../src/engine.ts'
import { createDidKeyCache } from '../src/verify.ts'
import { ENTRIES, utf8 } from './entries.ts'

/** An engine that counts public-key imports. */
function counting(engine: CryptoEngine): { engine: CryptoEngine; imports: () => number } {
  let imports = 0
  return {
    engine: {
      ...engine,
      importPublicKey: (alg, key) => {
        imports++
        return engine.importPublicKey(alg, key)
      },
    },
    imports: () => imports,
  }
}

describe.each([
  ['node', nodeEngine],
  ['browser', browserEngine],
] as const)('did:key cache over the %s engine', (_label, base) => {
  const c = ENTRIES[0]![1]
  const keys = [1, 2, 3].map((b) => c.Secp256k1Keypair.import(new Uint8Array(32).fill(b)))

  it('imports a did:key once, however often it is looked up', () => {
    const { engine, imports } = counting(base)
    const lookup = createDidKeyCache(engine)
    const data = utf8('cached')
    const sig = keys[0]!.signSync(data)
    for (let i = 0; i < 50; i++) {
      const entry = lookup(keys[0]!.did())
      expect(entry.jwtAlg).toBe('ES256K')
      expect(entry.verifier.verifyData(data, sig)).toBe(true)
    }
    expect(imports()).toBe(1)
  })

  it('does not cache a did:key that fails to import', () => {
    const { engine, imports } = counting(base)
    const lookup = createDidKeyCache(engine)
    // secp256k1 multicodec, then x = 0 (no curve point has it).
    const offCurve = `did:key:z${base58Encode(Uint8Array.from([0xe7, 0x01, 0x02, ...new Uint8Array(32)]))}`
    for (let i = 0; i < 3; i++) expect(() => lookup(offCurve)).toThrow(c.InvalidDidKeyError)
    expect(imports()).toBe(3)
    lookup(keys[1]!.did())
    lookup(keys[1]!.did())
    expect(imports()).toBe(4)
  })

  it('stays bounded: past maxSize the oldest did:key is evicted and imported again', () => {
    const { engine, imports } = counting(base)
    const lookup = createDidKeyCache(engine, 2)
    for (const k of keys) lookup(k.did())
    expect(imports()).toBe(3)
    lookup(keys[2]!.did())
    lookup(keys[1]!.did())
    expect(imports()).toBe(3)
    lookup(keys[0]!.did()) // evicted by the third key
    expect(imports()).toBe(4)
  })
})
