import { Secp256k1Keypair } from '@rsky/crypto'
import { describe, expect, it } from 'vitest'
import {
  base64UrlEncode,
  PasswordSession,
  ServiceAuthVerifier,
  serviceJwtAuth,
  XrpcClient,
} from '../src/index.ts'
import { keySource } from './fixtures.ts'

const jwt = (exp: number, n: number) =>
  `${base64UrlEncode(new TextEncoder().encode('{"alg":"ES256K"}'))}.${base64UrlEncode(new TextEncoder().encode(JSON.stringify({ exp, n })))}.c2ln`

/** A fake PDS: sessions whose access tokens can be marked expired; counts refreshes. */
function fakePds() {
  const state = {
    refreshes: 0,
    access: jwt(Math.floor(Date.now() / 1000) + 3600, 0),
    expired: false,
    calls: 0,
  }
  const fetchImpl: typeof fetch = async (input, init) => {
    const url = String(input)
    const auth = new Headers(init?.headers).get('authorization')
    const ok = (body: unknown) =>
      new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })
    if (url.includes('createSession'))
      return ok({ did: 'did:plc:a', handle: 'a.test', accessJwt: state.access, refreshJwt: 'R0' })
    if (url.includes('refreshSession')) {
      await new Promise((r) => setTimeout(r, 10))
      state.refreshes++
      state.access = jwt(Math.floor(Date.now() / 1000) + 3600, state.refreshes)
      state.expired = false
      return ok({
        did: 'did:plc:a',
        handle: 'a.test',
        accessJwt: state.access,
        refreshJwt: `R${state.refreshes}`,
      })
    }
    state.calls++
    if (auth !== `Bearer ${state.access}` || state.expired) {
      return new Response('{"error":"ExpiredToken","message":"Token has expired"}', {
        status: 400,
        headers: { 'content-type': 'application/json' },
      })
    }
    return ok({ ok: true })
  }
  return { state, fetchImpl }
}

describe('client auth', () => {
  it('password session: an ExpiredToken answer refreshes once (shared by concurrent calls) and retries', async () => {
    const { state, fetchImpl } = fakePds()
    const session = new PasswordSession({ service: 'http://pds.test', fetch: fetchImpl })
    await session.login({ identifier: 'a.test', password: 'p' })
    const client = new XrpcClient({
      service: 'http://pds.test',
      fetch: fetchImpl,
      auth: session,
      retry: false,
    })
    expect((await client.query('com.example.ping')).data).toEqual({ ok: true })
    state.expired = true
    const results = await Promise.all([1, 2, 3].map(() => client.query('com.example.ping')))
    expect(results.every((r) => (r.data as { ok: boolean }).ok)).toBe(true)
    expect(state.refreshes).toBe(1)
  })

  it('password session: a token about to expire is refreshed before the call', async () => {
    const { state, fetchImpl } = fakePds()
    state.access = jwt(Math.floor(Date.now() / 1000) + 5, 0)
    const session = new PasswordSession({ service: 'http://pds.test', fetch: fetchImpl })
    await session.login({ identifier: 'a.test', password: 'p' })
    const client = new XrpcClient({
      service: 'http://pds.test',
      fetch: fetchImpl,
      auth: session,
      retry: false,
    })
    await client.query('com.example.ping')
    expect([state.refreshes, state.calls]).toEqual([1, 1])
  })

  it('serviceJwtAuth mints a token per call with lxm = the NSID, accepted by the verifier', async () => {
    const key = Secp256k1Keypair.create()
    const iss = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'
    const aud = 'did:web:svc.example.com#svc'
    const verifier = new ServiceAuthVerifier({
      audience: aud,
      keys: keySource({ [iss]: key.did() }),
      replayCache: true,
    })
    const seen: string[] = []
    const fetchImpl: typeof fetch = async (input, init) => {
      const token = (new Headers(init?.headers).get('authorization') ?? '').slice(7)
      const nsid = new URL(String(input)).pathname.slice(6)
      seen.push((await verifier.verify(token, { lxm: nsid })).lxm as string)
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } })
    }
    const client = new XrpcClient({
      service: 'http://svc.test',
      fetch: fetchImpl,
      auth: serviceJwtAuth({ iss, aud, keypair: key }),
    })
    await client.query('com.example.a')
    await client.query('com.example.a')
    await client.query('com.example.b')
    expect(seen).toEqual(['com.example.a', 'com.example.a', 'com.example.b'])
  })
})
