// Labels signed here verify through @atproto's path (lex-cbor bytes + @atproto/crypto), and labels
// signed by ozone's own signLabel verify here; fast-check over every field, both curves.
import { decode as ipldDecode, encode as ipldEncode } from '@ipld/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeLabel, encodeLabel, labelFromJson, labelSigningBytes, labelToJson } from '../src/codec.ts'
import { signLabel } from '../src/sign.ts'
import type { Label } from '../src/types.ts'
import { verifyLabelWithKey } from '../src/verify.ts'
import { arbLabelInput, keys } from './arbitraries.ts'
import { atprotoCborEncode, atprotoKeypair, atprotoVerifyLabel, ozoneSignLabel } from './reference.ts'

const LONG_AGO = Date.parse('1990-01-01T00:00:00Z')

describe.each(['k256', 'p256'] as const)('interop on %s', (curve) => {
  it('our signatures verify with @atproto/crypto over @atproto/lex-cbor bytes', async () => {
    await fc.assert(
      fc.asyncProperty(arbLabelInput, async (input) => {
        const signed = await signLabel(input, keys[curve])
        expect(await atprotoVerifyLabel({ ...signed }, keys[curve].did())).toBe(true)
        expect(verifyLabelWithKey(signed, keys[curve].did(), { now: LONG_AGO }).valid).toBe(true)
      }),
      { seed: 14, numRuns: 60 },
    )
  })

  it("ozone's signLabel output verifies here, in data-model, CBOR and JSON form", async () => {
    const ref = await atprotoKeypair(curve)
    await fc.assert(
      fc.asyncProperty(arbLabelInput, async (input) => {
        const signed = (await ozoneSignLabel({ ...input, cts: input.cts as string }, ref)) as unknown as Label
        expect(verifyLabelWithKey(signed, ref.did(), { now: LONG_AGO }).valid).toBe(true)
        const viaCbor = decodeLabel(encodeLabel(signed))
        expect(verifyLabelWithKey(viaCbor, ref.did(), { now: LONG_AGO }).valid).toBe(true)
        const json = JSON.parse(JSON.stringify(labelToJson(signed)))
        const viaJson = labelFromJson(json)
        expect(viaJson.success && verifyLabelWithKey(viaJson.value, ref.did(), { now: LONG_AGO }).valid).toBe(
          true,
        )
        // the wrong key never verifies
        expect(verifyLabelWithKey(signed, keys[curve].did(), { now: LONG_AGO }).reason).toBe('BAD_SIGNATURE')
      }),
      { seed: 15, numRuns: 40 },
    )
  })
})

describe('canonical bytes', () => {
  it('equal the reference encoders (lex-cbor, @ipld/dag-cbor) for every label shape', async () => {
    await fc.assert(
      fc.asyncProperty(arbLabelInput, async (input) => {
        const signed = await signLabel(input, keys.k256)
        const { sig: _sig, ...unsigned } = signed
        const ours = labelSigningBytes(signed)
        expect(ours).toEqual(new Uint8Array(atprotoCborEncode(unsigned as never)))
        expect(ours).toEqual(new Uint8Array(ipldEncode(unsigned)))
        expect(ipldDecode(encodeLabel(signed))).toEqual({ ...signed })
      }),
      { seed: 16, numRuns: 100 },
    )
  })

  it('a label carrying neg:false verifies whether it was signed with or without the field', async () => {
    const ref = await atprotoKeypair('k256')
    const base = {
      src: 'did:web:mod.example.com',
      uri: 'did:plc:abcdefghijklmnopqrstuvwx',
      val: 'spam',
      cts: '2024-01-01T00:00:00.000Z',
    }
    const withoutNeg = await ozoneSignLabel({ ...base, neg: false }, ref) // ozone drops neg:false
    expect('neg' in withoutNeg).toBe(false)
    const carried = { ...withoutNeg, neg: false, ver: 1 as const }
    expect(verifyLabelWithKey(carried, ref.did()).valid).toBe(true)
    const sigWith = await ref.sign(atprotoCborEncode({ ...base, ver: 1, neg: false }))
    expect(verifyLabelWithKey({ ...base, ver: 1, neg: false, sig: sigWith }, ref.did()).valid).toBe(true)
    // but neg:true is a different statement
    expect(verifyLabelWithKey({ ...carried, neg: true }, ref.did()).reason).toBe('BAD_SIGNATURE')
  })
})
