import { Secp256k1Keypair as RefK256 } from '@atproto/crypto'
import { createServiceJwt as refCreate, verifyJwt as refVerify } from '@atproto/xrpc-server'
import { P256Keypair, Secp256k1Keypair } from '@rsky/crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  base64UrlDecode,
  base64UrlEncode,
  createServiceJwt,
  MemoryReplayCache,
  parseJwt,
  ServiceAuthError,
  ServiceAuthVerifier,
} from '../src/index.ts'
import { keySource } from './fixtures.ts'

const ISS = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'
const AUD = 'did:web:feed.example.com#bsky_fg'
const LXM = 'app.bsky.feed.getFeedSkeleton'
const enc = (o: unknown) => base64UrlEncode(new TextEncoder().encode(JSON.stringify(o)))

async function setup(opts: Partial<ConstructorParameters<typeof ServiceAuthVerifier>[0]> = {}) {
  const key = Secp256k1Keypair.create()
  const keys = keySource({ [ISS]: key.did() })
  const verifier = new ServiceAuthVerifier({ audience: AUD, keys, ...opts })
  return { key, keys, verifier }
}

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'accepted'
  } catch (err) {
    expect(err).toBeInstanceOf(ServiceAuthError)
    expect((err as ServiceAuthError).status).toBe(401)
    return (err as ServiceAuthError).reason
  }
}

describe('base64url', () => {
  it('round-trips any bytes and rejects non-canonical text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = base64UrlEncode(bytes)
        expect(text).toBe(Buffer.from(bytes).toString('base64url'))
        expect(base64UrlDecode(text)).toEqual(bytes)
      }),
      { numRuns: 200 },
    )
    for (const bad of ['a', 'ab=', 'a+b/', 'ab c', 'AB', 'é']) expect(base64UrlDecode(bad)).toBeUndefined()
  })
})

describe('service auth: mint and verify', () => {
  it('accepts its own tokens on both curves, with claims back', async () => {
    for (const key of [Secp256k1Keypair.create(), P256Keypair.create()]) {
      const keys = keySource({ [ISS]: key.did() })
      const verifier = new ServiceAuthVerifier({ audience: AUD, keys })
      const jwt = await createServiceJwt({ iss: ISS, aud: AUD, lxm: LXM, keypair: key })
      const claims = await verifier.verify(jwt, { lxm: LXM })
      expect(claims.iss).toBe(ISS)
      expect(claims.lxm).toBe(LXM)
      expect(claims.exp - (claims.iat as number)).toBe(60)
      expect(parseJwt(jwt).header).toEqual({ typ: 'JWT', alg: key.jwtAlg })
    }
  })

  it('refuses every bad token with its reason (hostile table)', async () => {
    const { key, verifier } = await setup()
    const other = Secp256k1Keypair.create()
    const now = Math.floor(Date.now() / 1000)
    const good = await createServiceJwt({ iss: ISS, aud: AUD, lxm: LXM, keypair: key })
    const [h, p, s] = good.split('.') as [string, string, string]
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString())
    const resign = async (header: object, body: object) => {
      const signed = `${enc(header)}.${enc(body)}`
      return `${signed}.${base64UrlEncode(await key.sign(new TextEncoder().encode(signed)))}`
    }
    const table: [string, string | Promise<string>, string][] = [
      ['empty', '', 'BAD_JWT'],
      ['two parts', `${h}.${p}`, 'BAD_JWT'],
      ['four parts', `${good}.x`, 'BAD_JWT'],
      ['bad base64 header', `!!.${p}.${s}`, 'BAD_JWT'],
      ['header not JSON', `${base64UrlEncode(new Uint8Array([1, 2]))}.${p}.${s}`, 'BAD_JWT'],
      ['header an array', `${enc([1])}.${p}.${s}`, 'BAD_JWT'],
      ['oversized', `${h}.${'A'.repeat(9000)}.${s}`, 'BAD_JWT'],
      ['empty signature', `${h}.${p}.`, 'BAD_JWT'],
      ['alg none', `${enc({ typ: 'JWT', alg: 'none' })}.${p}.`, 'BAD_JWT'],
      ['alg none with sig', `${enc({ typ: 'JWT', alg: 'none' })}.${p}.${s}`, 'BAD_JWT_ALG'],
      ['alg HS256', resign({ typ: 'JWT', alg: 'HS256' }, payload), 'BAD_JWT_ALG'],
      ['alg of other curve', resign({ typ: 'JWT', alg: 'ES256' }, payload), 'BAD_JWT_SIGNATURE'],
      ['typ at+jwt', resign({ typ: 'at+jwt', alg: 'ES256K' }, payload), 'BAD_JWT_TYPE'],
      ['typ refresh+jwt', resign({ typ: 'refresh+jwt', alg: 'ES256K' }, payload), 'BAD_JWT_TYPE'],
      ['typ dpop+jwt', resign({ typ: 'dpop+jwt', alg: 'ES256K' }, payload), 'BAD_JWT_TYPE'],
      ['kid other key', resign({ typ: 'JWT', alg: 'ES256K', kid: '#atproto_label' }, payload), 'BAD_JWT_KID'],
      [
        'expired',
        createServiceJwt({ iss: ISS, aud: AUD, lxm: LXM, keypair: key, iat: now - 600, exp: now - 120 }),
        'JWT_EXPIRED',
      ],
      [
        'too long-lived',
        createServiceJwt({ iss: ISS, aud: AUD, lxm: LXM, keypair: key, exp: now + 86400 }),
        'JWT_LIFETIME_TOO_LONG',
      ],
      [
        'issued in future',
        createServiceJwt({ iss: ISS, aud: AUD, lxm: LXM, keypair: key, iat: now + 600, exp: now + 660 }),
        'JWT_NOT_YET_VALID',
      ],
      [
        'other aud',
        createServiceJwt({ iss: ISS, aud: 'did:web:evil.example.com#bsky_fg', lxm: LXM, keypair: key }),
        'BAD_JWT_AUDIENCE',
      ],
      [
        'other service fragment',
        createServiceJwt({
          iss: ISS,
          aud: 'did:web:feed.example.com#atproto_labeler',
          lxm: LXM,
          keypair: key,
        }),
        'BAD_JWT_AUDIENCE',
      ],
      [
        'bare did aud (not allowed)',
        createServiceJwt({ iss: ISS, aud: 'did:web:feed.example.com', lxm: LXM, keypair: key }),
        'BAD_JWT_AUDIENCE',
      ],
      [
        'other lxm',
        createServiceJwt({ iss: ISS, aud: AUD, lxm: 'app.bsky.feed.getTimeline', keypair: key }),
        'BAD_JWT_LXM',
      ],
      ['no lxm', createServiceJwt({ iss: ISS, aud: AUD, keypair: key }), 'BAD_JWT_LXM'],
      ['other key', createServiceJwt({ iss: ISS, aud: AUD, lxm: LXM, keypair: other }), 'BAD_JWT_SIGNATURE'],
      [
        'flipped signature byte',
        `${h}.${p}.${base64UrlEncode(base64UrlDecode(s)!.map((b, i) => (i === 5 ? b ^ 1 : b)))}`,
        'BAD_JWT_SIGNATURE',
      ],
      [
        'payload swapped',
        `${h}.${enc({ ...payload, iss: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' })}.${s}`,
        'ISSUER_UNRESOLVABLE',
      ],
      [
        'exp a string',
        resign({ typ: 'JWT', alg: 'ES256K' }, { ...payload, exp: String(payload.exp) }),
        'BAD_JWT',
      ],
      ['iss not a DID', resign({ typ: 'JWT', alg: 'ES256K' }, { ...payload, iss: 'alice' }), 'BAD_JWT_ISS'],
      ['iss missing', resign({ typ: 'JWT', alg: 'ES256K' }, { ...payload, iss: undefined }), 'BAD_JWT'],
      ['lxm a number', resign({ typ: 'JWT', alg: 'ES256K' }, { ...payload, lxm: 5 }), 'BAD_JWT'],
      [
        'deep JSON payload',
        `${h}.${base64UrlEncode(new TextEncoder().encode('['.repeat(3000)))}.${s}`,
        'BAD_JWT',
      ],
    ]
    for (const [name, token, want] of table) {
      expect([name, await reason(verifier.verify(await token, { lxm: LXM }))]).toEqual([name, want])
    }
  })

  it('fetches the issuer key again once after a bad signature (rotation), never for a forgery', async () => {
    const { key, keys, verifier } = await setup()
    const old = Secp256k1Keypair.create()
    keys.rotate(ISS, old.did())
    const jwt = await createServiceJwt({ iss: ISS, aud: AUD, lxm: LXM, keypair: key })
    await verifier.verify(jwt, { lxm: LXM })
    expect(keys.calls.forced).toBe(1)
    const forged = await createServiceJwt({ iss: ISS, aud: AUD, lxm: LXM, keypair: old })
    expect(await reason(verifier.verify(forged, { lxm: LXM }))).toBe('BAD_JWT_SIGNATURE')
    expect(keys.calls.forced).toBe(2) // one fresh look per failing token, no more
  })

  it('replay cache: a token works once; bare-DID audience when allowed; lxm null skips', async () => {
    const { key, verifier } = await setup({
      replayCache: new MemoryReplayCache({ maxEntries: 2 }),
      allowBareDidAudience: true,
    })
    const jwt = await createServiceJwt({ iss: ISS, aud: 'did:web:feed.example.com', lxm: LXM, keypair: key })
    await verifier.verify(jwt, { lxm: null })
    expect(await reason(verifier.verify(jwt, { lxm: null }))).toBe('JWT_REPLAYED')
    for (let i = 0; i < 5; i++)
      await verifier.verify(await createServiceJwt({ iss: ISS, aud: AUD, lxm: LXM, keypair: key }), {
        lxm: LXM,
      })
  })

  it('cross-verifies with @atproto/xrpc-server both ways', async () => {
    const ours = Secp256k1Keypair.create({ exportable: true })
    const ref = await RefK256.import(ours.export())
    const getKey = async () => ours.did()
    const jwt = await createServiceJwt({ iss: ISS, aud: AUD, lxm: LXM, keypair: ours })
    expect((await refVerify(jwt, AUD, LXM, getKey)).iss).toBe(ISS)
    await expect(refVerify(jwt, AUD, 'app.bsky.feed.getTimeline', getKey)).rejects.toThrow(/lexicon method/)
    const theirs = await refCreate({ iss: ISS, aud: AUD, lxm: LXM, keypair: ref })
    const verifier = new ServiceAuthVerifier({ audience: AUD, keys: keySource({ [ISS]: ours.did() }) })
    expect((await verifier.verify(theirs, { lxm: LXM })).iss).toBe(ISS)
    const theirsOtherAud = await refCreate({
      iss: ISS,
      aud: 'did:web:x.example.com#bsky_fg',
      lxm: LXM,
      keypair: ref,
    })
    expect(await reason(verifier.verify(theirsOtherAud, { lxm: LXM }))).toBe('BAD_JWT_AUDIENCE')
  })

  it('verdicts agree with the reference verifier on mutated tokens (fast-check)', async () => {
    const key = Secp256k1Keypair.create()
    const getKey = async () => key.did()
    const verifier = new ServiceAuthVerifier({
      audience: AUD,
      keys: keySource({ [ISS]: key.did() }),
      clockSkewSeconds: 0,
    })
    const good = await createServiceJwt({ iss: ISS, aud: AUD, lxm: LXM, keypair: key })
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: good.length - 1 }),
        fc.constantFrom(...'ABCxyz019-_.'),
        async (at, ch) => {
          const token = good.slice(0, at) + ch + good.slice(at + 1)
          const ok = await verifier.verify(token, { lxm: LXM }).then(
            () => true,
            () => false,
          )
          const refOk = await refVerify(token, AUD, LXM, getKey).then(
            () => true,
            () => false,
          )
          // Ours is stricter on non-canonical base64url (trailing bits), so it may refuse more, never accept more.
          if (ok) expect(refOk).toBe(true)
          if (token === good) expect(ok).toBe(true)
        },
      ),
      { numRuns: 150 },
    )
  })
})
