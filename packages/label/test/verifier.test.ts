// LabelVerifier against a resolver: key cache, one refresh on rotation, cooldown against forgeries,
// missing keys and failing resolution as verdicts.
import { P256Keypair, Secp256k1Keypair } from '@rsky/crypto'
import type { DidDocument } from '@rsky/identity'
import { describe, expect, it } from 'vitest'
import { signLabel } from '../src/sign.ts'
import { LabelVerifier } from '../src/verify.ts'

const SRC = 'did:plc:labelerlabelerlabelerla'

function docFor(key: string | undefined, fragment = 'atproto_label'): DidDocument {
  return {
    id: SRC,
    verificationMethod:
      key === undefined
        ? []
        : [{ id: `${SRC}#${fragment}`, type: 'Multikey', controller: SRC, publicKeyMultibase: key.slice(8) }],
  } as unknown as DidDocument
}

function fakeResolver(initial: DidDocument | Error) {
  const state = { doc: initial, fetches: 0, forced: 0 }
  return {
    state,
    resolver: {
      async resolve(_did: string, opts?: { forceRefresh?: boolean }): Promise<DidDocument> {
        state.fetches++
        if (opts?.forceRefresh) state.forced++
        if (state.doc instanceof Error) throw state.doc
        return state.doc
      },
    },
  }
}

const label = { src: SRC, uri: 'did:plc:zyxwvutsrqponmlkjihgfedc', val: 'spam' }

describe('LabelVerifier', () => {
  it('caches the key, follows a rotation with one refresh, then rejects the rotated-out key', async () => {
    const oldKey = Secp256k1Keypair.create()
    const newKey = P256Keypair.create()
    const { state, resolver } = fakeResolver(docFor(oldKey.did()))
    let now = 0
    const v = new LabelVerifier({ resolver, refreshCooldownMs: 1000, clock: () => now })
    for (let i = 0; i < 5; i++) expect((await v.verify(await signLabel(label, oldKey))).valid).toBe(true)
    expect(state.fetches).toBe(1)
    state.doc = docFor(newKey.did())
    const rotated = await v.verify(await signLabel(label, newKey))
    expect(rotated.valid && rotated.key).toBe(newKey.did())
    expect(state.forced).toBe(1)
    const stale = await v.verify(await signLabel(label, oldKey))
    expect(stale.valid ? 'valid' : stale.reason).toBe('BAD_SIGNATURE')
    expect(state.fetches).toBe(2) // within the cooldown: no refetch
    now += 1000
    expect((await v.verify(await signLabel(label, oldKey))).valid).toBe(false)
    expect(state.fetches).toBe(3) // after it: one refetch, still the new key
  })

  it('forged labels cost at most one fetch per cooldown', async () => {
    const key = Secp256k1Keypair.create()
    const forger = Secp256k1Keypair.create()
    const { state, resolver } = fakeResolver(docFor(key.did()))
    const v = new LabelVerifier({ resolver, clock: () => 0 })
    for (let i = 0; i < 20; i++) {
      const r = await v.verify(await signLabel({ ...label, val: `v${i}` }, forger))
      expect(r.valid ? 'valid' : r.reason).toBe('BAD_SIGNATURE')
    }
    expect(state.fetches).toBe(2) // first look-up (maybe cached upstream) + one forced
  })

  it('shares one fetch between concurrent labels of one labeler', async () => {
    const key = Secp256k1Keypair.create()
    const { state, resolver } = fakeResolver(docFor(key.did()))
    const v = new LabelVerifier({ resolver })
    const labels = await Promise.all(
      Array.from({ length: 10 }, (_, i) => signLabel({ ...label, val: `v${i}` }, key)),
    )
    const verdicts = await Promise.all(labels.map((l) => v.verify(l)))
    expect(verdicts.every((x) => x.valid)).toBe(true)
    expect(state.fetches).toBe(1)
  })

  it('KEY_UNAVAILABLE for a document without #atproto_label (the #atproto key is not used)', async () => {
    const key = Secp256k1Keypair.create()
    const { resolver } = fakeResolver(docFor(key.did(), 'atproto'))
    const r = await new LabelVerifier({ resolver }).verify(await signLabel(label, key))
    expect(r.valid ? 'valid' : r.reason).toBe('KEY_UNAVAILABLE')
  })

  it('KEY_UNAVAILABLE when resolution fails', async () => {
    const { resolver } = fakeResolver(new Error('offline'))
    const r = await new LabelVerifier({ resolver }).verify(await signLabel(label, Secp256k1Keypair.create()))
    expect(r.valid ? 'valid' : r.reason).toBe('KEY_UNAVAILABLE')
  })

  it('uses fixed keys without resolving', async () => {
    const key = P256Keypair.create()
    const v = new LabelVerifier({ keys: { [SRC]: key.did() } })
    expect((await v.verify(await signLabel(label, key))).valid).toBe(true)
    const other = await v.verify(await signLabel({ ...label, src: 'did:web:other.test' }, key))
    expect(other.valid ? 'valid' : other.reason).toBe('UNKNOWN_SOURCE')
    expect(() => new LabelVerifier({})).toThrow(TypeError)
  })
})
