import { P256Keypair, Secp256k1Keypair } from '@rsky/crypto'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  CREDENTIAL_TYP,
  createSpaceToken,
  decodeJwt,
  encodeJwt,
  jwtSigningInput,
  MemoryJtiStore,
  parseSpaceToken,
  SPACE_TOKEN_TYPES,
  SpaceTokenError,
  spaceHostAud,
  verifyDelegationToken,
  verifyJwtSignature,
  verifySpaceCredential,
  verifySpaceToken,
} from '../src/index.ts'

const SPACE = 'at://did:example:space/space/app.bsky.group/test'
const USER = 'did:example:alice'
const AUTHORITY = 'did:example:space'
const SPACE_HOST = spaceHostAud(AUTHORITY)
const CLIENT_ID = 'https://app.example.com/client-metadata.json'
const DPOP_JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I'

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')
const unb64 = (s: string): Record<string, unknown> => JSON.parse(Buffer.from(s, 'base64url').toString())
/** Rewrites header or payload, keeping the original signature. */
function tamper(
  jwt: string,
  edit: { header?: Record<string, unknown>; payload?: Record<string, unknown> },
): string {
  const [h, p, s] = jwt.split('.') as [string, string, string]
  const header = edit.header ? b64({ ...unb64(h), ...edit.header }) : h
  const payload = edit.payload ? b64({ ...unb64(p), ...edit.payload }) : p
  return `${header}.${payload}.${s}`
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p)
    return undefined
  } catch (err) {
    expect(err).toBeInstanceOf(SpaceTokenError)
    return (err as SpaceTokenError).code
  }
}

describe('space tokens', () => {
  let userKey: Secp256k1Keypair
  let authorityKey: Secp256k1Keypair
  let p256Key: P256Keypair
  const keyOf = (k: { did(): string }) => () => k.did()

  beforeAll(async () => {
    userKey = await Secp256k1Keypair.create()
    authorityKey = await Secp256k1Keypair.create()
    p256Key = await P256Keypair.create()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  const delegation = (key = userKey) =>
    createSpaceToken('delegation', { iss: USER, sub: SPACE, aud: SPACE_HOST }, key)
  const credential = (opts: { expiresInSec?: number; kid?: string } = {}, key = authorityKey) =>
    createSpaceToken('credential', { iss: AUTHORITY, sub: SPACE, dpopJkt: DPOP_JKT, ...opts }, key)

  it('delegation token round-trips with both curves', async () => {
    for (const key of [userKey, p256Key]) {
      const { header, payload } = await verifySpaceToken('delegation', await delegation(key), {
        getSigningKey: keyOf(key),
        aud: SPACE_HOST,
        sub: SPACE,
      })
      expect(header).toEqual({ alg: key.jwtAlg, typ: 'atproto-space-delegation+jwt', kid: '#atproto' })
      expect(payload.exp - payload.iat).toBe(60)
      expect(payload.jti).toMatch(/^[0-9a-f]{32}$/)
      expect(payload.cnf).toBeUndefined()
    }
    expect(
      await verifyDelegationToken({
        jwt: await delegation(),
        space: SPACE,
        authorityDid: AUTHORITY,
        getSigningKey: keyOf(userKey),
      }),
    ).toBe(USER)
  })

  it('space credential round-trips: 2 h, no aud, bound to a DPoP key', async () => {
    const { header, payload } = await verifySpaceToken('credential', await credential(), {
      getSigningKey: keyOf(authorityKey),
      sub: SPACE,
    })
    expect(header.typ).toBe(CREDENTIAL_TYP)
    expect(payload.aud).toBeUndefined()
    expect(payload.exp - payload.iat).toBe(7200)
    expect(payload.cnf).toEqual({ jkt: DPOP_JKT })
    expect(
      await verifySpaceCredential({
        jwt: await credential(),
        space: SPACE,
        authorityDid: AUTHORITY,
        getSigningKey: keyOf(authorityKey),
      }),
    ).toBe(DPOP_JKT)
  })

  it('client attestation parses without a key and requires iss == sub', async () => {
    const jwt = await createSpaceToken(
      'clientAttestation',
      { iss: CLIENT_ID, sub: CLIENT_ID, aud: SPACE_HOST, kid: 'key-1' },
      p256Key,
    )
    const { header, payload } = parseSpaceToken('clientAttestation', jwt)
    expect(header).toEqual({ alg: 'ES256', typ: 'atproto-client-attestation+jwt', kid: 'key-1' })
    expect(payload.aud).toBe(SPACE_HOST)
    const bad = await createSpaceToken(
      'clientAttestation',
      { iss: CLIENT_ID, sub: 'https://other', aud: SPACE_HOST },
      p256Key,
    )
    expect(await codeOf(() => parseSpaceToken('clientAttestation', bad))).toBe('BadJwtIss')
  })

  it('mint-time requirements', async () => {
    expect(await codeOf(createSpaceToken('delegation', { iss: USER, sub: SPACE }, userKey))).toBe(
      'BadJwtAudience',
    )
    expect(await codeOf(createSpaceToken('credential', { iss: AUTHORITY, sub: SPACE }, authorityKey))).toBe(
      'BadJwtCnf',
    )
  })

  it('passes iss and kid to the key resolver, and retries once with a fresh key', async () => {
    const rotated = await Secp256k1Keypair.create()
    const jwt = await credential({ kid: '#atproto_space' }, rotated)
    const getSigningKey = vi
      .fn()
      .mockResolvedValueOnce(authorityKey.did())
      .mockResolvedValueOnce(rotated.did())
    await verifySpaceToken('credential', jwt, { getSigningKey })
    expect(getSigningKey).toHaveBeenNthCalledWith(1, AUTHORITY, '#atproto_space', false)
    expect(getSigningKey).toHaveBeenNthCalledWith(2, AUTHORITY, '#atproto_space', true)

    const stale = vi.fn(() => authorityKey.did())
    expect(await codeOf(verifySpaceToken('credential', jwt, { getSigningKey: stale }))).toBe(
      'BadJwtSignature',
    )
    expect(stale).toHaveBeenCalledTimes(2)
  })

  it('retries when the cached key is of the other curve (rotation across curves)', async () => {
    const jwt = await delegation(p256Key)
    const getSigningKey = vi.fn().mockResolvedValueOnce(userKey.did()).mockResolvedValueOnce(p256Key.did())
    await expect(verifySpaceToken('delegation', jwt, { getSigningKey })).resolves.toBeTruthy()
    const stale = vi.fn(() => userKey.did())
    expect(await codeOf(verifySpaceToken('delegation', jwt, { getSigningKey: stale }))).toBe('BadJwtAlg')
  })

  it('tolerates 5 s of clock skew, not more', async () => {
    const jwt = await credential({ expiresInSec: 1 })
    const iat = parseSpaceToken('credential', jwt).payload.iat
    const verifyAt = (nowSec: number) =>
      verifySpaceToken('credential', jwt, { getSigningKey: keyOf(authorityKey), nowSec })
    await expect(verifyAt(iat + 5)).resolves.toBeTruthy() // 4 s past exp
    expect(await codeOf(verifyAt(iat + 6))).toBe('JwtExpired')
    await expect(verifyAt(iat - 5)).resolves.toBeTruthy()
    expect(await codeOf(verifyAt(iat - 6))).toBe('JwtNotYetValid')
    vi.useFakeTimers()
    vi.setSystemTime(Date.now() + 60_000)
    expect(await codeOf(verifySpaceToken('credential', jwt, { getSigningKey: keyOf(authorityKey) }))).toBe(
      'JwtExpired',
    )
  })

  it('refuses a reused jti for single-use tokens', async () => {
    const store = new MemoryJtiStore()
    const jwt = await delegation()
    const opts = { getSigningKey: keyOf(userKey), aud: SPACE_HOST, jtiStore: store }
    await verifySpaceToken('delegation', jwt, opts)
    expect(await codeOf(verifySpaceToken('delegation', jwt, opts))).toBe('JwtReplayed')
    // A fresh token from the same user is fine.
    await verifySpaceToken('delegation', await delegation(), opts)
    // Credentials are multi-use: the store is not consulted.
    const cred = await credential()
    await verifySpaceToken('credential', cred, { getSigningKey: keyOf(authorityKey), jtiStore: store })
    await verifySpaceToken('credential', cred, { getSigningKey: keyOf(authorityKey), jtiStore: store })
  })

  describe('hostile tokens', () => {
    it('expired', async () => {
      const jwt = await credential({ expiresInSec: 1 })
      const iat = parseSpaceToken('credential', jwt).payload.iat
      expect(
        await codeOf(
          verifySpaceToken('credential', jwt, { getSigningKey: keyOf(authorityKey), nowSec: iat + 3600 }),
        ),
      ).toBe('JwtExpired')
    })

    it('wrong audience, subject, issuer, type', async () => {
      const jwt = await delegation()
      const getSigningKey = keyOf(userKey)
      expect(
        await codeOf(
          verifySpaceToken('delegation', jwt, { getSigningKey, aud: spaceHostAud('did:example:other') }),
        ),
      ).toBe('BadJwtAudience')
      expect(await codeOf(verifySpaceToken('delegation', jwt, { getSigningKey, sub: `${SPACE}x` }))).toBe(
        'BadJwtSub',
      )
      expect(
        await codeOf(verifySpaceToken('delegation', jwt, { getSigningKey, iss: 'did:example:bob' })),
      ).toBe('BadJwtIss')
      expect(await codeOf(verifySpaceToken('credential', jwt, { getSigningKey }))).toBe('BadJwtType')
      expect(
        await codeOf(
          verifyDelegationToken({ jwt, space: SPACE, authorityDid: 'did:example:other', getSigningKey }),
        ),
      ).toBe('BadJwtAudience')
      expect(
        await codeOf(
          verifySpaceCredential({
            jwt: await credential(),
            space: SPACE,
            authorityDid: 'did:example:other',
            getSigningKey: keyOf(authorityKey),
          }),
        ),
      ).toBe('BadJwtIss')
    })

    it('unbound credential (no cnf.jkt), even under a valid signature', async () => {
      const unbound = await createSpaceToken(
        'delegation',
        { iss: AUTHORITY, sub: SPACE, aud: SPACE_HOST },
        authorityKey,
      )
      const retyped = tamper(unbound, { header: { typ: SPACE_TOKEN_TYPES.credential.typ } })
      expect(await codeOf(() => parseSpaceToken('credential', retyped))).toBe('BadJwtCnf')
      const emptyJkt = tamper(await credential(), { payload: { cnf: { jkt: '' } } })
      expect(await codeOf(() => parseSpaceToken('credential', emptyJkt))).toBe('BadJwtCnf')
      const cnfString = tamper(await credential(), { payload: { cnf: 'x' } })
      expect(await codeOf(() => parseSpaceToken('credential', cnfString))).toBe('BadJwtCnf')
    })

    it('wrong alg: header alg must match the key type', async () => {
      // Signed with secp256k1 but claiming ES256.
      const lying = tamper(await delegation(), { header: { alg: 'ES256' } })
      expect(await codeOf(verifySpaceToken('delegation', lying, { getSigningKey: keyOf(userKey) }))).toBe(
        'BadJwtAlg',
      )
      for (const alg of ['none', 'HS256', 'RS256', '', 42]) {
        const bad = tamper(await delegation(), { header: { alg } })
        expect(await codeOf(() => parseSpaceToken('delegation', bad))).toBe('BadJwtAlg')
      }
      // A P-256 key presented for an ES256K token.
      expect(
        await codeOf(verifySpaceToken('delegation', await delegation(), { getSigningKey: keyOf(p256Key) })),
      ).toBe('BadJwtAlg')
    })

    it('tampered payload or signature', async () => {
      const jwt = await delegation()
      for (const payload of [{ sub: `${SPACE}x` }, { iss: 'did:example:mallory' }, { exp: 9_999_999_999 }]) {
        const forged = tamper(jwt, { payload })
        expect(await codeOf(verifySpaceToken('delegation', forged, { getSigningKey: keyOf(userKey) }))).toBe(
          'BadJwtSignature',
        )
      }
      const [h, p, s] = jwt.split('.') as [string, string, string]
      const sig = Buffer.from(s, 'base64url')
      sig[5]! ^= 1
      const badSig = `${h}.${p}.${sig.toString('base64url')}`
      expect(await codeOf(verifySpaceToken('delegation', badSig, { getSigningKey: keyOf(userKey) }))).toBe(
        'BadJwtSignature',
      )
      expect(
        await codeOf(verifySpaceToken('delegation', jwt, { getSigningKey: () => 'did:key:zBogus' })),
      ).toBe('BadJwtSignature')
    })

    it.each([
      ['not a jwt', 'nope'],
      ['too few parts', 'aaa.bbb'],
      ['too many parts', 'a.b.c.d'],
      ['bad base64 header', '!!!.e30.c2ln'],
      ['padded base64', `${b64({ typ: CREDENTIAL_TYP, alg: 'ES256K' })}=.e30.c2ln`],
      ['header not an object', `${b64([1])}.e30.c2ln`],
      [
        'payload not JSON',
        `${b64({ typ: CREDENTIAL_TYP, alg: 'ES256K' })}.${Buffer.from('{').toString('base64url')}.c2ln`,
      ],
      ['empty signature', `${b64({ typ: CREDENTIAL_TYP, alg: 'ES256K' })}.e30.`],
      ['oversized', `${'a'.repeat(20_000)}.e30.c2ln`],
      ['missing sub', `${b64({ typ: CREDENTIAL_TYP, alg: 'ES256K' })}.${b64({ iss: AUTHORITY })}.c2ln`],
      [
        'string exp',
        `${b64({ typ: CREDENTIAL_TYP, alg: 'ES256K' })}.${b64({ iss: 'a', sub: 'b', exp: '1', iat: 1 })}.c2ln`,
      ],
      [
        'fractional iat',
        `${b64({ typ: CREDENTIAL_TYP, alg: 'ES256K' })}.${b64({ iss: 'a', sub: 'b', exp: 2, iat: 1.5 })}.c2ln`,
      ],
      [
        '__proto__ claims',
        `${b64({ typ: CREDENTIAL_TYP, alg: 'ES256K' })}.${Buffer.from('{"__proto__":{"iss":"x"}}').toString('base64url')}.c2ln`,
      ],
    ])('rejects malformed: %s', async (_name, jwt) => {
      expect(await codeOf(() => parseSpaceToken('credential', jwt))).toMatch(/^BadJwt/)
    })

    it('single-use types need a jti', async () => {
      const noJti = tamper(await delegation(), { payload: { jti: undefined } })
      expect(await codeOf(() => parseSpaceToken('delegation', noJti))).toBe('BadJwt')
    })
  })
})

describe('JWT envelope (rsky credential.rs parity)', () => {
  it('encode / decode / signing input round-trip with an injected signer', async () => {
    const header = { typ: CREDENTIAL_TYP, alg: 'ES256K', kid: '#atproto_space' }
    const payload = {
      iss: 'did:plc:authority',
      sub: 'at://x',
      iat: 1000,
      exp: 8200,
      jti: 'nonce123',
      cnf: { jkt: 'test-jkt' },
    }
    const jwt = await encodeJwt(header, payload, () => new Uint8Array(64))
    const d = decodeJwt(jwt)
    expect(d.header).toEqual(header)
    expect(d.payload).toEqual(payload)
    expect(d.signature).toEqual(new Uint8Array(64))
    expect(new TextDecoder().decode(d.signingInput)).toBe(jwtSigningInput(header, payload))
  })

  it('verifyJwtSignature checks sha256(input) with either curve', async () => {
    for (const key of [await Secp256k1Keypair.create(), await P256Keypair.create()]) {
      const jwt = await encodeJwt({ alg: key.jwtAlg, typ: 'x' }, { a: 1 }, (i) => key.sign(i))
      expect(verifyJwtSignature(decodeJwt(jwt), key.did())).toBe(true)
      const other = key.jwtAlg === 'ES256' ? await P256Keypair.create() : await Secp256k1Keypair.create()
      expect(verifyJwtSignature(decodeJwt(jwt), other.did())).toBe(false)
    }
  })

  it('MemoryJtiStore forgets expired ids and stays bounded', () => {
    let now = 100
    const store = new MemoryJtiStore({ maxEntries: 3, nowSec: () => now })
    expect(store.consume('a', 110)).toBe(true)
    expect(store.consume('a', 110)).toBe(false)
    now = 111
    expect(store.consume('a', 120)).toBe(true)
    for (const id of ['b', 'c', 'd', 'e']) store.consume(id, 200)
    expect(store.size).toBeLessThanOrEqual(3)
  })
})
