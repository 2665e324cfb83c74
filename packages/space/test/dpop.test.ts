import { createHash, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto'
import { P256Keypair, Secp256k1Keypair } from '@rsky/crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  createDpopProof,
  DpopProofError,
  didKeyForJwk,
  dpopJktForKey,
  dpopPublicJwk,
  findJwk,
  jwkThumbprint,
  MAX_PROOF_AGE_SEC,
  MemoryJtiStore,
  p256PublicJwk,
  parseP256Jwk,
  verifyDpopProof,
  verifyEs256WithJwk,
} from '../src/index.ts'

const CREDENTIAL = 'eyJ0eXAiOiJhdHByb3RvLXNwYWNlLWNyZWRlbnRpYWwrand0'
const HTU = 'https://pds.example.com/xrpc/com.atproto.space.getRepo'
const EXCHANGE_HTU = 'https://space.example.com/xrpc/com.atproto.space.getSpaceCredential'
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
    return undefined
  } catch (err) {
    expect(err).toBeInstanceOf(DpopProofError)
    return (err as DpopProofError).code
  }
}

/** A proof made by Node's own crypto (a second implementation), with any header and claims. */
function nodeProof(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key = generateKeyPairSync('ec', { namedCurve: 'P-256' }),
) {
  const jwk = key.publicKey.export({ format: 'jwk' })
  const input = `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk, ...header })}.${b64(payload)}`
  const sig = nodeSign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
  return { proof: `${input}.${sig.toString('base64url')}`, jwk }
}

describe('DPoP proofs', () => {
  let key: P256Keypair
  let otherKey: P256Keypair
  let jkt: string

  beforeAll(async () => {
    key = await P256Keypair.create()
    otherKey = await P256Keypair.create()
    jkt = dpopJktForKey(key)
  })

  const now = () => Math.floor(Date.now() / 1000)
  const verify = (proof: string, over: Partial<Parameters<typeof verifyDpopProof>[1]> = {}) =>
    verifyDpopProof(proof, { htm: 'GET', htu: HTU, credential: CREDENTIAL, jkt, ...over })
  const mint = (over: Partial<Parameters<typeof createDpopProof>[1]> = {}, k = key) =>
    createDpopProof(k, { htm: 'GET', htu: HTU, credential: CREDENTIAL, ...over })

  it('round-trips a proof for its request', async () => {
    const v = await verify(await mint())
    expect(v.jkt).toBe(jkt)
    expect(v.htm).toBe('GET')
    expect(v.htu).toBe(HTU)
    expect(v.jti).toMatch(/^[0-9a-f]{32}$/)
  })

  it('is verifiable by Node crypto, and the jkt matches a thumbprint Node computes', async () => {
    const proof = await mint()
    const [h, p, s] = proof.split('.') as [string, string, string]
    const header = JSON.parse(Buffer.from(h, 'base64url').toString())
    expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' })
    expect(
      nodeVerify(
        'sha256',
        Buffer.from(`${h}.${p}`),
        { key: header.jwk, format: 'jwk', dsaEncoding: 'ieee-p1363' },
        Buffer.from(s, 'base64url'),
      ),
    ).toBe(true)
    const { crv, kty, x, y } = header.jwk
    const expected = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url')
    expect(jkt).toBe(expected)
  })

  it('accepts proofs minted by another implementation, high-S signatures included', async () => {
    for (let i = 0; i < 8; i++) {
      const { proof, jwk } = nodeProof({}, { jti: `n${i}`, htm: 'POST', htu: EXCHANGE_HTU, iat: now() })
      const v = await verifyDpopProof(proof, { htm: 'POST', htu: EXCHANGE_HTU })
      expect(v.jkt).toBe(jwkThumbprint(jwk as never))
    }
  })

  it('accepts the high-S twin of a signature (JOSE does not require low-S)', async () => {
    const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n
    const proof = await mint()
    const [h, p, s] = proof.split('.') as [string, string, string]
    const sig = Buffer.from(s, 'base64url')
    const hiS = N - BigInt(`0x${sig.subarray(32).toString('hex')}`)
    const twin = Buffer.concat([sig.subarray(0, 32), Buffer.from(hiS.toString(16).padStart(64, '0'), 'hex')])
    await expect(verify(`${h}.${p}.${twin.toString('base64url')}`)).resolves.toMatchObject({ jkt })
  })

  it('refuses DER-encoded signatures, low-S and high-S (RFC 7518: ES256 is the 64-byte R||S)', async () => {
    const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n
    const proof = await mint()
    const [h, p, s] = proof.split('.') as [string, string, string]
    const sig = Buffer.from(s, 'base64url')
    const derOf = (r: Buffer, sBytes: Buffer): Buffer => {
      // minimal DER INTEGER: strip leading zeros, add one back when the top bit is set
      const int = (x: Buffer) => {
        let i = 0
        while (i < x.length - 1 && x[i] === 0) i++
        const v = x.subarray(i)
        const body = (v[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v
        return Buffer.concat([Buffer.from([0x02, body.length]), body])
      }
      const seq = Buffer.concat([int(r), int(sBytes)])
      return Buffer.concat([Buffer.from([0x30, seq.length]), seq])
    }
    const r = sig.subarray(0, 32)
    const lowS = sig.subarray(32)
    const highS = Buffer.from((N - BigInt(`0x${lowS.toString('hex')}`)).toString(16).padStart(64, '0'), 'hex')
    const jwk = JSON.parse(Buffer.from(h, 'base64url').toString()).jwk
    const input = new TextEncoder().encode(`${h}.${p}`)
    for (const der of [derOf(r, lowS), derOf(r, highS)]) {
      expect(verifyEs256WithJwk(jwk, input, der)).toBe(false)
      expect(await codeOf(verify(`${h}.${p}.${der.toString('base64url')}`))).toBe('BadDpopProofSignature')
    }
    // the same signatures as R||S still verify
    expect(verifyEs256WithJwk(jwk, input, sig)).toBe(true)
    expect(verifyEs256WithJwk(jwk, input, Buffer.concat([r, highS]))).toBe(true)
  })

  it('binds a credential exchange without ath, and refuses ath there', async () => {
    const proof = await createDpopProof(key, { htm: 'POST', htu: EXCHANGE_HTU })
    await expect(verifyDpopProof(proof, { htm: 'POST', htu: EXCHANGE_HTU })).resolves.toMatchObject({ jkt })
    const withAth = await createDpopProof(key, { htm: 'POST', htu: EXCHANGE_HTU, credential: CREDENTIAL })
    await expect(verifyDpopProof(withAth, { htm: 'POST', htu: EXCHANGE_HTU })).rejects.toThrow(
      /"ath" must be omitted/,
    )
  })

  it('ignores query and fragment in htu on both sides', async () => {
    const v = await verify(await mint({ htu: `${HTU}?space=a&repo=b#frag` }), { htu: `${HTU}?other=1` })
    expect(v.htu).toBe(HTU)
  })

  it('mints a distinct jti each time and refuses a replay', async () => {
    const store = new MemoryJtiStore()
    const a = await mint()
    const b = await mint()
    expect((await verify(a, { jtiStore: store })).jti).not.toBe((await verify(b, { jtiStore: store })).jti)
    expect(await codeOf(verify(a, { jtiStore: store }))).toBe('DpopProofReplayed')
  })

  describe('hostile proofs', () => {
    it('another key, host, method, credential', async () => {
      expect(await codeOf(verify(await mint({}, otherKey)))).toBe('DpopKeyMismatch')
      expect(
        await codeOf(verify(await mint({ htu: 'https://other.example.com/xrpc/com.atproto.space.getRepo' }))),
      ).toBe('BadDpopProof')
      expect(await codeOf(verify(await mint({ htm: 'POST' })))).toBe('BadDpopProof')
      expect(await codeOf(verify(await mint({ credential: 'another' })))).toBe('BadDpopProof')
    })

    it('stale, future-dated, and within skew', async () => {
      const t = now()
      expect(await codeOf(verify(await mint({ iatSec: t - MAX_PROOF_AGE_SEC - 60 })))).toBe(
        'DpopProofExpired',
      )
      expect(await codeOf(verify(await mint({ iatSec: t + MAX_PROOF_AGE_SEC + 60 })))).toBe(
        'BadDpopProofSignature',
      )
      await expect(verify(await mint({ iatSec: t + 2 }))).resolves.toBeTruthy()
      await expect(verify(await mint({ iatSec: t - 2 }))).resolves.toBeTruthy()
      await expect(
        verify(await mint({ iatSec: t }), { nowSec: t + MAX_PROOF_AGE_SEC + 5 }),
      ).resolves.toBeTruthy()
      expect(await codeOf(verify(await mint({ iatSec: t }), { nowSec: t + MAX_PROOF_AGE_SEC + 6 }))).toBe(
        'DpopProofExpired',
      )
    })

    it('wrong alg, typ, or a non-P-256 key', async () => {
      const base = { jti: 'x', htm: 'GET', htu: HTU, iat: now() }
      expect(await codeOf(verify(nodeProof({ alg: 'ES384' }, base).proof))).toBe('BadDpopProofSignature')
      expect(await codeOf(verify(nodeProof({ alg: 'none' }, base).proof))).toBe('BadDpopProofSignature')
      expect(await codeOf(verify(nodeProof({ typ: 'jwt' }, base).proof))).toBe('BadDpopProofSignature')
      const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
      expect(await codeOf(verify(nodeProof({}, base, k1).proof))).toBe('BadDpopProofSignature')
      const withPrivate = nodeProof({}, base)
      const [h, p, s] = withPrivate.proof.split('.') as [string, string, string]
      const hdr = JSON.parse(Buffer.from(h, 'base64url').toString())
      const leaked = `${b64({ ...hdr, jwk: { ...hdr.jwk, d: 'AAAA' } })}.${p}.${s}`
      expect(await codeOf(verify(leaked))).toBe('BadDpopProofSignature')
      await expect(
        createDpopProof(await Secp256k1Keypair.create(), { htm: 'GET', htu: HTU }),
      ).rejects.toThrow(DpopProofError)
    })

    it('tampered claims, swapped jwk, missing jti, not a proof', async () => {
      const proof = await mint()
      const [h, p, s] = proof.split('.') as [string, string, string]
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString())
      expect(await codeOf(verify(`${h}.${b64({ ...payload, htm: 'POST' })}.${s}`, { htm: 'POST' }))).toBe(
        'BadDpopProofSignature',
      )
      const other = `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: dpopPublicJwk(otherKey) })}.${p}.${s}`
      expect(await codeOf(verify(other))).toBe('BadDpopProofSignature')
      const noJti = nodeProof({}, { htm: 'GET', htu: HTU, iat: now() })
      expect(await codeOf(verify(noJti.proof, { credential: undefined, jkt: undefined }))).toBe(
        'BadDpopProof',
      )
      expect(await codeOf(verify(CREDENTIAL))).toBe('BadDpopProofSignature')
      expect(await codeOf(verify('a.b.c'))).toBe('BadDpopProofSignature')
    })
  })
})

describe('P-256 JWKs', () => {
  it('round-trips compressed keys through JWK and did:key', async () => {
    for (let i = 0; i < 10; i++) {
      const k = await P256Keypair.create()
      const jwk = p256PublicJwk(k.publicKeyBytes())
      expect(didKeyForJwk(jwk)).toBe(k.did())
      const node = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })
      const parsed = parseP256Jwk(node)
      expect(parsed.success).toBe(true)
    }
  })

  it('verifies ES256 signatures against a JWK (rsky jwk.rs parity)', async () => {
    const k = await P256Keypair.create()
    const data = new TextEncoder().encode('header.payload')
    const sig = await k.sign(data)
    const jwk = p256PublicJwk(k.publicKeyBytes())
    expect(verifyEs256WithJwk(jwk, data, sig)).toBe(true)
    expect(verifyEs256WithJwk(jwk, new TextEncoder().encode('header.payloae'), sig)).toBe(false)
    expect(verifyEs256WithJwk(p256PublicJwk((await P256Keypair.create()).publicKeyBytes()), data, sig)).toBe(
      false,
    )
  })

  it.each([
    ['RSA kty', { kty: 'RSA', crv: 'P-256', x: 'a', y: 'b' }],
    ['P-384', { kty: 'EC', crv: 'P-384', x: 'a', y: 'b' }],
    ['bad base64url', { kty: 'EC', crv: 'P-256', x: '!!!', y: 'AAAA' }],
    [
      'short coordinate',
      {
        kty: 'EC',
        crv: 'P-256',
        x: Buffer.alloc(16).toString('base64url'),
        y: Buffer.alloc(32).toString('base64url'),
      },
    ],
    [
      'not on the curve',
      {
        kty: 'EC',
        crv: 'P-256',
        x: Buffer.alloc(32).toString('base64url'),
        y: Buffer.alloc(32).toString('base64url'),
      },
    ],
    ['null', null],
  ])('rejects %s', (_name, jwk) => {
    expect(parseP256Jwk(jwk).success).toBe(false)
    expect(verifyEs256WithJwk(jwk, new Uint8Array(1), new Uint8Array(64))).toBe(false)
  })

  it('finds a key by kid in a JWK set', async () => {
    const jwk = p256PublicJwk((await P256Keypair.create()).publicKeyBytes())
    const set = {
      keys: [
        { kty: 'RSA', kid: 'rsa' },
        { ...jwk, kid: 'key-1' },
        { ...jwk, kid: 'key-2' },
      ],
    }
    expect(findJwk(set, 'key-2')?.kid).toBe('key-2')
    expect(findJwk(set, 'rsa')).toBeUndefined()
    expect(findJwk(set, 'missing')).toBeUndefined()
  })
})

describe('verifySpaceRequest (credential + bound proof, as a repo host sees them)', () => {
  it('accepts the bound pair and refuses every mix-up', async () => {
    const { createSpaceToken, verifySpaceRequest, SpaceTokenError } = await import('../src/index.ts')
    const authority = await Secp256k1Keypair.create()
    const holder = await P256Keypair.create()
    const thief = await P256Keypair.create()
    const space = 'at://did:example:space/space/app.bsky.group/test'
    const credential = await createSpaceToken(
      'credential',
      { iss: 'did:example:space', sub: space, dpopJkt: dpopJktForKey(holder) },
      authority,
    )
    const base = {
      space,
      authorityDid: 'did:example:space',
      getSigningKey: () => authority.did(),
      htm: 'GET',
      htu: HTU,
    }
    const proof = await createDpopProof(holder, { htm: 'GET', htu: HTU, credential })
    const store = new MemoryJtiStore()
    const ok = await verifySpaceRequest({ ...base, credential, proof, jtiStore: store })
    expect(ok.proof.jkt).toBe(dpopJktForKey(holder))
    expect(await codeOf(verifySpaceRequest({ ...base, credential, proof, jtiStore: store }))).toBe(
      'DpopProofReplayed',
    )
    // A host that saw the credential replays it with its own key.
    const stolen = await createDpopProof(thief, { htm: 'GET', htu: HTU, credential })
    expect(await codeOf(verifySpaceRequest({ ...base, credential, proof: stolen }))).toBe('DpopKeyMismatch')
    // Another space.
    await expect(
      verifySpaceRequest({ ...base, space: `${space}x`, credential, proof }),
    ).rejects.toBeInstanceOf(SpaceTokenError)
  })
})
