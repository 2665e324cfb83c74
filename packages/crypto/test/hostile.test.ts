import { p256 } from '@noble/curves/nist.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { describe, expect, it } from 'vitest'
import { base58Encode } from '../src/base58.ts'
import { ENTRIES, utf8 } from './entries.ts'

const K_PREFIX = [0xe7, 0x01]
const P_PREFIX = [0x80, 0x24]
const didOf = (bytes: number[]): string => `did:key:z${base58Encode(Uint8Array.from(bytes))}`
const be32 = (n: bigint): number[] => [...Buffer.from(n.toString(16).padStart(64, '0'), 'hex')]
const K_P = secp256k1.Point.Fp.ORDER
const P_P = p256.Point.Fp.ORDER
const K_N = secp256k1.Point.Fn.ORDER
const P_N = p256.Point.Fn.ORDER
const VALID_K = 'did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc'
const VALID_P = 'did:key:zDnaembgSGUhZULN2Caob4HLJPaxBh92N7rtH21TErzqf8HQo'
const validPKey = [...p256.Point.BASE.multiply(7n).toBytes(true)]
// An x with no curve point above it, found by walking up from 5.
const offCurveX = (curve: typeof secp256k1): number[] => {
  for (let x = 5n; ; x++) {
    const bytes = Uint8Array.from([0x02, ...be32(x)])
    try {
      curve.Point.fromBytes(bytes)
    } catch {
      return [...bytes]
    }
  }
}

// [name, did:key, expected issue]
const BAD_DID_KEYS: ReadonlyArray<readonly [string, string, string]> = [
  ['empty string', '', 'prefix'],
  ['another DID method', 'did:web:example.com', 'prefix'],
  ['upper-case method', VALID_K.replace('did:key', 'DID:KEY'), 'prefix'],
  ['no multibase prefix', 'did:key:', 'prefix'],
  ['base64 multibase instead of base58btc', 'did:key:mAQID', 'prefix'],
  ['empty payload', 'did:key:z', 'too-short'],
  ['one zero byte (rsky panics)', 'did:key:z1', 'too-short'],
  ['one byte, half a prefix (rsky panics)', didOf([0xe7]), 'too-short'],
  ['prefix only', didOf(K_PREFIX), 'length'],
  ['P-256 prefix only', didOf(P_PREFIX), 'length'],
  ['unknown multicodec (ed25519-pub)', didOf([0xed, 0x01, ...Array(32).fill(1)]), 'multicodec'],
  ['unknown multicodec (0x00 0x00)', didOf([0, 0, 2, ...Array(32).fill(1)]), 'multicodec'],
  ['32-byte key', didOf([...K_PREFIX, ...Array(32).fill(1)]), 'length'],
  ['34-byte key', didOf([...K_PREFIX, 2, ...Array(33).fill(1)]), 'length'],
  ['uncompressed key in a did:key', didOf([...K_PREFIX, ...secp256k1.Point.BASE.toBytes(false)]), 'length'],
  ['non-base58 zero', `${VALID_K.slice(0, 20)}0${VALID_K.slice(21)}`, 'base58'],
  ['non-base58 capital O', `${VALID_K.slice(0, 20)}O${VALID_K.slice(21)}`, 'base58'],
  ['non-base58 l and I', 'did:key:zlI', 'base58'],
  ['non-ASCII character', `${VALID_K}é`, 'base58'],
  ['whitespace', `${VALID_K} `, 'base58'],
  ['very long (quadratic base58 guard)', `did:key:z${'2'.repeat(100_000)}`, 'too-long'],
  ['k256 x = 0', didOf([...K_PREFIX, 2, ...be32(0n)]), 'point'],
  ['k256 x = p (out of range)', didOf([...K_PREFIX, 2, ...be32(K_P)]), 'point'],
  ['k256 x = 2^256-1', didOf([...K_PREFIX, 3, ...Array(32).fill(0xff)]), 'point'],
  ['k256 x off the curve', didOf([...K_PREFIX, ...offCurveX(secp256k1)]), 'point'],
  ['k256 bad tag 0x04 with 32 bytes', didOf([...K_PREFIX, 4, ...be32(1n)]), 'point'],
  ['k256 infinity tag 0x00', didOf([...K_PREFIX, 0, ...be32(0n)]), 'point'],
  ['p256 x = p (out of range)', didOf([...P_PREFIX, 2, ...be32(P_P)]), 'point'],
  ['p256 x = 2^256-1', didOf([...P_PREFIX, 2, ...Array(32).fill(0xff)]), 'point'],
  ['p256 x off the curve', didOf([...P_PREFIX, ...offCurveX(p256)]), 'point'],
  ['p256 bad tag 0x05', didOf([...P_PREFIX, 5, ...validPKey.slice(1)]), 'point'],
]

describe.each(ENTRIES)('hostile input through the %s entry', (_label, c) => {
  it.each(BAD_DID_KEYS)('did:key %s: InvalidDidKeyError, never a crash', (_name, did, issue) => {
    for (const run of [
      () => c.parseDidKey(did),
      () => c.verifySignature(did, utf8('x'), new Uint8Array(64)),
      () => c.verifySignatureDigest(did, new Uint8Array(32), new Uint8Array(64)),
    ]) {
      let caught: unknown
      try {
        run()
      } catch (err) {
        caught = err
      }
      expect(caught).toBeInstanceOf(c.InvalidDidKeyError)
      const err = caught as InstanceType<typeof c.InvalidDidKeyError>
      expect(err.name).toBe('InvalidDidKeyError')
      expect(err.code).toBe('INVALID_DID_KEY')
      expect(err.issue).toBe(issue)
      expect(err.input).toBe(did)
      expect(err.message.length).toBeLessThan(300)
    }
    if (did.startsWith('did:key:')) {
      const multikey = did.slice(8)
      expect(() => c.parseMultikey(multikey)).toThrow(c.InvalidMultikeyError)
      try {
        c.parseMultikey(multikey)
      } catch (err) {
        expect((err as InstanceType<typeof c.InvalidMultikeyError>).issue).toBe(issue)
      }
    }
  })

  it('wrong curve: jwtAlg mismatch throws, a key of the other curve never verifies', () => {
    expect(() => c.verifySignature(VALID_K, utf8('x'), new Uint8Array(64), { jwtAlg: 'ES256' })).toThrow(
      c.JwtAlgMismatchError,
    )
    expect(() => c.verifySignature(VALID_P, utf8('x'), new Uint8Array(64), { jwtAlg: 'ES256K' })).toThrow(
      c.JwtAlgMismatchError,
    )
    const priv = new Uint8Array(32).fill(7)
    const k = c.Secp256k1Keypair.import(priv)
    const p = c.P256Keypair.import(priv)
    const data = utf8('same key bytes, two curves')
    expect(c.verifySignature(p.did(), data, k.signSync(data))).toBe(false)
    expect(c.verifySignature(k.did(), data, p.signSync(data))).toBe(false)
    // A P-256 key behind the secp256k1 multicodec is rejected or is a different key; never P-256.
    const swapped = didOf([...K_PREFIX, ...p.publicKeyBytes()])
    let result: unknown
    try {
      result = c.verifySignature(swapped, data, p.signSync(data))
    } catch (err) {
      result = err
    }
    expect(result === false || result instanceof c.InvalidDidKeyError).toBe(true)
  })

  const kp = c.Secp256k1Keypair.import(new Uint8Array(32).fill(9))
  const pp = c.P256Keypair.import(new Uint8Array(32).fill(9))
  const data = utf8('hostile signatures')
  it.each([
    ['k256', kp, K_N],
    ['p256', pp, P_N],
  ] as const)('%s malformed signatures are false, never a throw', (_n, key, order) => {
    const good = key.signSync(data)
    const r = good.slice(0, 32)
    const s = good.slice(32)
    const highS = Uint8Array.from([...r, ...be32(order - BigInt(`0x${Buffer.from(s).toString('hex')}`))])
    const cases: Uint8Array[] = [
      new Uint8Array(0),
      good.subarray(0, 63),
      Uint8Array.from([...good, 0]),
      new Uint8Array(64),
      Uint8Array.from([...be32(0n), ...s]),
      Uint8Array.from([...r, ...be32(0n)]),
      Uint8Array.from([...be32(order), ...s]),
      Uint8Array.from([...r, ...be32(order)]),
      Uint8Array.from([...be32(order + 1n), ...s]),
      new Uint8Array(64).fill(0xff),
      Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]),
      Uint8Array.from([0x30, 0xff, 0x02]),
      highS,
    ]
    for (const opts of [undefined, { allowMalleableSig: true }]) {
      for (const sig of cases) {
        const expected = sig === highS && opts !== undefined
        expect(c.verifySignature(key.did(), data, sig, opts)).toBe(expected)
        expect(c.verifySignatureDigest(key.did(), c.sha256(data), sig, opts)).toBe(expected)
      }
    }
    expect(c.verifySignature(key.did(), data, good)).toBe(true)
  })

  it('private keys: zero, the order and above, wrong lengths, bad hex are InvalidPrivateKeyError', () => {
    for (const [K, order] of [
      [c.Secp256k1Keypair, K_N],
      [c.P256Keypair, P_N],
    ] as const) {
      const bad: Array<Uint8Array | string> = [
        new Uint8Array(32),
        Uint8Array.from(be32(order)),
        Uint8Array.from(be32(order + 1n)),
        new Uint8Array(32).fill(0xff),
        new Uint8Array(31).fill(1),
        new Uint8Array(33).fill(1),
        new Uint8Array(0),
        '',
        'abc',
        'zz'.repeat(32),
        '00'.repeat(32),
        ` ${'01'.repeat(32)}`,
      ]
      for (const priv of bad) {
        expect(() => K.import(priv), String(priv)).toThrow(c.InvalidPrivateKeyError)
      }
      // The edges of the valid range work.
      for (const priv of [Uint8Array.from(be32(1n)), Uint8Array.from(be32(order - 1n))]) {
        const key = K.import(priv)
        expect(c.verifySignature(key.did(), data, key.signSync(data))).toBe(true)
      }
    }
  })

  it('caller mistakes are TypeError / RangeError naming the argument', () => {
    const any = (v: unknown) => v as never
    expect(() => c.verifySignature(any(42), data, new Uint8Array(64))).toThrow(TypeError)
    expect(() => c.verifySignature(VALID_K, any('data'), new Uint8Array(64))).toThrow(/data/)
    expect(() => c.verifySignature(VALID_K, data, any([1, 2]))).toThrow(/sig/)
    expect(() => c.verifySignatureDigest(VALID_K, new Uint8Array(31), new Uint8Array(64))).toThrow(RangeError)
    expect(() => c.parseDidKey(any(null))).toThrow(TypeError)
    expect(() => kp.signSync(any('x'))).toThrow(TypeError)
    expect(() => kp.signDigest(new Uint8Array(33))).toThrow(RangeError)
    expect(() => c.hkdfSha256Expand(new Uint8Array(32), new Uint8Array(0), 8161)).toThrow(RangeError)
    expect(() => c.hkdfSha256Expand(new Uint8Array(32), new Uint8Array(0), -1)).toThrow(RangeError)
    expect(() => c.hkdfSha256Expand(new Uint8Array(31), new Uint8Array(0), 32)).toThrow(RangeError)
    expect(() => c.randomBytes(-1)).toThrow(RangeError)
    expect(() => c.randomBytes(1.5)).toThrow(RangeError)
    expect(() => c.hmacSha256(any('k'), data)).toThrow(TypeError)
    expect(() => c.Secp256k1Keypair.create().export()).toThrow(c.KeyNotExportableError)
  })

  it('formatting and DID-document suites reject what they cannot represent', () => {
    expect(() => c.formatDidKey('ES384', new Uint8Array(33))).toThrow(c.UnsupportedKeyTypeError)
    expect(() => c.formatDidKey('ES256K', new Uint8Array(33))).toThrow(c.InvalidPublicKeyError)
    expect(() => c.formatDidKey('ES256K', new Uint8Array(20))).toThrow(c.InvalidPublicKeyError)
    expect(() => c.formatMultikey('ES256', Uint8Array.from([2, ...be32(P_P)]))).toThrow(
      c.InvalidPublicKeyError,
    )
    const vm = (type: string, publicKeyMultibase: string) => () =>
      c.didKeyFromVerificationMethod({ type, publicKeyMultibase })
    expect(vm('Ed25519VerificationKey2020', 'z6Mk')).toThrow(c.UnsupportedKeyTypeError)
    expect(vm('__proto__', 'z6Mk')).toThrow(c.UnsupportedKeyTypeError)
    expect(vm('toString', 'z6Mk')).toThrow(c.UnsupportedKeyTypeError)
    expect(vm('EcdsaSecp256k1VerificationKey2019', 'z0OIl')).toThrow(c.InvalidMultibaseError)
    expect(vm('EcdsaSecp256k1VerificationKey2019', 'q123')).toThrow(c.InvalidMultibaseError)
    expect(vm('EcdsaSecp256k1VerificationKey2019', 'z1111')).toThrow(c.InvalidPublicKeyError)
    expect(vm('EcdsaSecp256r1VerificationKey2019', `z${'1'.repeat(5000)}`)).toThrow(c.InvalidMultibaseError)
    expect(vm('Multikey', 'z1')).toThrow(c.InvalidMultikeyError)
  })

  it('multibase: unknown prefixes, bad characters, non-canonical tails and overlong input', () => {
    expect(() => c.multibaseToBytes('')).toThrow(c.InvalidMultibaseError)
    expect(() => c.multibaseToBytes('x1234')).toThrow(c.InvalidMultibaseError)
    expect(() => c.multibaseToBytes('fabc')).toThrow(c.InvalidMultibaseError)
    expect(() => c.multibaseToBytes('fzz')).toThrow(c.InvalidMultibaseError)
    expect(() => c.multibaseToBytes('b1')).toThrow(c.InvalidMultibaseError)
    expect(() => c.multibaseToBytes('mAB')).toThrow(c.InvalidMultibaseError) // trailing bits set
    expect(() => c.multibaseToBytes('u+/')).toThrow(c.InvalidMultibaseError)
    expect(() => c.multibaseToBytes(`z${'2'.repeat(5000)}`)).toThrow(c.InvalidMultibaseError)
    expect(c.multibaseToBytes(`z${'2'.repeat(5000)}`.slice(0, 100))).toBeInstanceOf(Uint8Array)
  })
})
