// Bad-input tables: every decoder and verifier answers with a named error or a verdict, never a crash.
import { encode } from '@rsky/dag-cbor'
import { describe, expect, it } from 'vitest'
import { decodeLabel, encodeLabel, labelFromJson } from '../src/codec.ts'
import { InvalidLabelError, LabelDecodeError } from '../src/errors.ts'
import { signLabel } from '../src/sign.ts'
import type { Label } from '../src/types.ts'
import { validateLabel } from '../src/validate.ts'
import { verifyLabelWithKey } from '../src/verify.ts'
import { keys } from './arbitraries.ts'

const base = {
  src: 'did:plc:abcdefghijklmnopqrstuvwx',
  uri: 'at://did:plc:zyxwvutsrqponmlkjihgfedc/app.bsky.feed.post/3l3qo2vuowo2b',
  val: 'spam',
  cts: '2024-09-01T00:00:00.000Z',
}
const signed = await signLabel(base, keys.k256)
const did = keys.k256.did()

describe('validateLabel rejects', () => {
  const cases: [string, unknown, string, string][] = [
    ['null', null, '', 'NOT_AN_OBJECT'],
    ['an array', [base], '', 'NOT_AN_OBJECT'],
    ['bytes', new Uint8Array(4), '', 'NOT_AN_OBJECT'],
    ['a class instance', new Date(), '', 'NOT_AN_OBJECT'],
    ['missing src', { ...base, src: undefined }, 'src', 'MISSING_FIELD'],
    ['src not a DID', { ...base, src: 'alice.test' }, 'src', 'BAD_FORMAT'],
    ['src a number', { ...base, src: 7 }, 'src', 'WRONG_TYPE'],
    ['uri not a URI', { ...base, uri: 'not a uri' }, 'uri', 'BAD_FORMAT'],
    ['uri a broken AT-URI', { ...base, uri: 'at://did:plc:x/bad nsid' }, 'uri', 'BAD_FORMAT'],
    ['cid not a CID', { ...base, cid: 'not a cid!' }, 'cid', 'BAD_FORMAT'],
    ['val over 128 bytes', { ...base, val: 'a'.repeat(129) }, 'val', 'TOO_LONG'],
    ['val 43 three-byte chars (129 bytes)', { ...base, val: '€'.repeat(43) }, 'val', 'TOO_LONG'],
    ['huge val', { ...base, val: 'x'.repeat(5_000_000) }, 'val', 'TOO_LONG'],
    ['empty val', { ...base, val: '' }, 'val', 'BAD_FORMAT'],
    ['neg a string', { ...base, neg: 'true' }, 'neg', 'WRONG_TYPE'],
    ['cts not a datetime', { ...base, cts: '2024-09-01' }, 'cts', 'BAD_FORMAT'],
    ['exp not a datetime', { ...base, exp: 'tomorrow' }, 'exp', 'BAD_FORMAT'],
    ['ver 2', { ...base, ver: 2 }, 'ver', 'BAD_VERSION'],
    ['ver a float', { ...base, ver: 1.5 }, 'ver', 'WRONG_TYPE'],
    ['sig of 63 bytes', { ...base, sig: new Uint8Array(63) }, 'sig', 'BAD_FORMAT'],
    ['sig of 72 bytes (DER-sized)', { ...base, sig: new Uint8Array(72) }, 'sig', 'BAD_FORMAT'],
    ['sig as base64 text', { ...base, sig: 'AAAA' }, 'sig', 'WRONG_TYPE'],
    ['a foreign $type', { ...base, $type: 'app.bsky.feed.post' }, '$type', 'BAD_FORMAT'],
  ]
  it.each(cases)('%s', (_name, input, path, code) => {
    const r = validateLabel(input)
    expect(r.success).toBe(false)
    if (!r.success) expect(r.issues).toContainEqual(expect.objectContaining({ path, code }))
  })

  it('unknown fields only when asked', () => {
    expect(validateLabel({ ...base, extra: 1 }).success).toBe(true)
    const r = validateLabel({ ...base, extra: 1 }, { rejectUnknownFields: true })
    expect(r.success ? [] : r.issues.map((i) => i.code)).toEqual(['UNKNOWN_FIELD'])
  })

  it('does not let __proto__ through as a field', () => {
    const r = validateLabel(
      JSON.parse(
        `{"src":"${base.src}","uri":"${base.uri}","val":"x","cts":"${base.cts}","__proto__":{"neg":true}}`,
      ),
    )
    expect(r.success).toBe(true)
    expect(r.success && r.value.neg).toBeUndefined()
  })
})

describe('verifyLabelWithKey verdicts', () => {
  const flip = (b: Uint8Array, i: number): Uint8Array => {
    const c = b.slice()
    c[i] = (c[i] as number) ^ 1
    return c
  }
  const cases: [string, unknown, string][] = [
    ['altered val', { ...signed, val: 'ham' }, 'BAD_SIGNATURE'],
    ['altered uri', { ...signed, uri: 'did:plc:zyxwvutsrqponmlkjihgfedc' }, 'BAD_SIGNATURE'],
    ['added neg', { ...signed, neg: true }, 'BAD_SIGNATURE'],
    ['added exp', { ...signed, exp: '2099-01-01T00:00:00.000Z' }, 'BAD_SIGNATURE'],
    ['altered cts', { ...signed, cts: '2024-09-01T00:00:00.001Z' }, 'BAD_SIGNATURE'],
    ['wrong src (forged authority)', { ...signed, src: 'did:plc:zzzzzzzzzzzzzzzzzzzzzzzz' }, 'BAD_SIGNATURE'],
    ['flipped sig bit', { ...signed, sig: flip(signed.sig, 10) }, 'BAD_SIGNATURE'],
    ['zero sig', { ...signed, sig: new Uint8Array(64) }, 'BAD_SIGNATURE'],
    ['truncated sig', { ...signed, sig: signed.sig.slice(0, 40) }, 'MALFORMED'],
    ['no sig', { ...base }, 'UNSIGNED'],
    ['expired', { ...signed, exp: '2000-01-01T00:00:00.000Z' }, 'EXPIRED'],
    ['not an object', 'label', 'MALFORMED'],
  ]
  it.each(cases)('%s', (_name, input, reason) => {
    const v = verifyLabelWithKey(input, did)
    expect(v.valid).toBe(false)
    if (!v.valid) expect(v.reason).toBe(reason)
  })

  it('a high-S twin of a valid signature is rejected', () => {
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
    const s = BigInt(`0x${Buffer.from(signed.sig.slice(32)).toString('hex')}`)
    const hi = (n - s).toString(16).padStart(64, '0')
    const sig = new Uint8Array([...signed.sig.slice(0, 32), ...Buffer.from(hi, 'hex')])
    expect(verifyLabelWithKey({ ...signed, sig }, did).valid).toBe(false)
  })
})

describe('decodeLabel', () => {
  const good = encodeLabel(signed)
  const cases: [string, Uint8Array, typeof LabelDecodeError | typeof InvalidLabelError][] = [
    ['empty', new Uint8Array(0), LabelDecodeError],
    ['truncated', good.slice(0, good.length - 5), LabelDecodeError],
    ['trailing bytes', new Uint8Array([...good, 0]), LabelDecodeError],
    ['oversized', new Uint8Array(9000), LabelDecodeError],
    ['not a map', encode([1, 2, 3]), InvalidLabelError],
    ['deeply nested extra field', nested(200), LabelDecodeError],
    ['unsorted map keys', new Uint8Array([0xa2, 0x61, 0x62, 0x01, 0x61, 0x61, 0x02]), LabelDecodeError],
    ['a float', new Uint8Array([0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]), LabelDecodeError],
  ]
  it.each(cases)('%s', (_n, bytes, cls) => {
    expect(() => decodeLabel(bytes)).toThrow(cls)
  })
  it('round-trips', () => {
    expect(decodeLabel(good)).toEqual(signed)
  })
})

describe('labelFromJson', () => {
  it('rejects a malformed $bytes and deep nesting with issues, never throwing', () => {
    const json = { ...base, sig: { $bytes: '***' } }
    expect(labelFromJson(json).success).toBe(false)
    let deep: unknown = 1
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(labelFromJson({ ...base, extra: deep }).success).toBe(false)
    expect(labelFromJson(null).success).toBe(false)
  })
  it('reads sig from $bytes', () => {
    const r = labelFromJson({ ...base, ver: 1, sig: { $bytes: Buffer.from(signed.sig).toString('base64') } })
    expect(r.success && verifyLabelWithKey(r.value, did).valid).toBe(true)
  })
})

function nested(depth: number): Uint8Array {
  // { a: [[[...]]] } with `depth` arrays
  const head = [0xa1, 0x61, 0x61]
  return new Uint8Array([...head, ...new Array(depth).fill(0x81), 0x01])
}

export type { Label }
