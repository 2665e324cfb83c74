import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  buildUpdate,
  checkSignature,
  createGenesis,
  createTombstone,
  createUpdate,
  didForGenesis,
  encodeOperation,
  fromBase64UrlStrict,
  type LegacyCreate,
  normalizeOperation,
  operationCid,
  parseOperation,
  SignerNotAllowedError,
  signOperation,
  toBase64Url,
} from '../src/index.ts'
import { genesisOf, KEYS } from './fixtures.ts'

describe('operations', () => {
  it('a genesis defines its DID: did:plc: + 24 base32 characters of sha256', async () => {
    const g = await genesisOf()
    expect(g.did).toMatch(/^did:plc:[a-z2-7]{24}$/)
    expect(didForGenesis(g.operation)).toBe(g.did)
    expect(g.cid).toBe(operationCid(g.operation))
    expect(g.cid).toMatch(/^bafyrei[a-z2-7]{52}$/)
    expect(g.operation.sig).toMatch(/^[A-Za-z0-9_-]{86}$/)
    expect(checkSignature(g.operation, g.operation.rotationKeys)).toEqual({
      valid: true,
      keyIndex: 1,
      key: KEYS[1]!.did(),
    })
  })

  it('a genesis signed by a key outside its rotation keys is refused before signing', async () => {
    await expect(genesisOf(KEYS[5]!)).rejects.toBeInstanceOf(SignerNotAllowedError)
  })

  it('updates keep what they do not change; handle replaces the first at:// alias', async () => {
    const g = await createGenesis({
      rotationKeys: [KEYS[0]!.did()],
      signingKey: KEYS[9]!.did(),
      alsoKnownAs: ['https://example.test/me', 'at://old.test'],
      pds: 'pds.example.test',
      signer: KEYS[0]!,
    })
    expect(g.operation.services['atproto_pds']!.endpoint).toBe('https://pds.example.test')
    const u = buildUpdate(g.operation, { handle: 'new.test', signingKey: KEYS[8]!.did() })
    expect(u.alsoKnownAs).toEqual(['https://example.test/me', 'at://new.test'])
    expect(u.verificationMethods).toEqual({ atproto: KEYS[8]!.did() })
    expect(u.rotationKeys).toEqual([KEYS[0]!.did()])
    expect(u.prev).toBe(g.cid)
    await expect(createUpdate(g.operation, { pds: 'https://x.test' }, KEYS[1]!)).rejects.toBeInstanceOf(
      SignerNotAllowedError,
    )
    const t = await createTombstone(g.operation, KEYS[0]!)
    expect(t).toEqual({ type: 'plc_tombstone', prev: g.cid, sig: t.sig })
    await expect(signOperation(t as never, KEYS[0]!)).rejects.toBeInstanceOf(TypeError)
  })

  it('a legacy create normalizes to rotation keys [recovery, signing] and at:// / https:// forms', async () => {
    const legacy = (await signOperation(
      {
        type: 'create',
        signingKey: KEYS[3]!.did(),
        recoveryKey: KEYS[4]!.did(),
        handle: 'old.test',
        service: 'pds.old.test',
        prev: null,
      },
      KEYS[4]!,
    )) as LegacyCreate
    expect(parseOperation(legacy)).toBe(legacy)
    const n = normalizeOperation(legacy)
    expect(n.rotationKeys).toEqual([KEYS[4]!.did(), KEYS[3]!.did()])
    expect(n.alsoKnownAs).toEqual(['at://old.test'])
    expect(n.services).toEqual({
      atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: 'https://pds.old.test' },
    })
    // the DID of a legacy genesis hashes the legacy form, not the normalized one
    expect(didForGenesis(legacy)).not.toBe(didForGenesis(n))
  })

  it('operation bytes are canonical DAG-CBOR: field order does not matter', async () => {
    const g = await genesisOf()
    const shuffled = Object.fromEntries(Object.entries(g.operation).reverse())
    expect(encodeOperation(shuffled as never)).toEqual(encodeOperation(g.operation))
  })
})

describe('base64url', () => {
  it('round-trips any bytes and rejects every other spelling of them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const text = toBase64Url(bytes)
        expect(fromBase64UrlStrict(text)).toEqual(bytes)
        expect(text).not.toMatch(/[=+/]/)
        if (text.length % 4 !== 0) {
          expect(fromBase64UrlStrict(`${text}=`)).toBeUndefined()
          // flipping a trailing (unused) bit gives another text for the same bytes: refused
          const last = text[text.length - 1]!
          const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
          const v = alphabet.indexOf(last)
          const stray = text.slice(0, -1) + alphabet[v | 1]!
          if (stray !== text) expect(fromBase64UrlStrict(stray)).toBeUndefined()
        }
      }),
      { numRuns: 200 },
    )
    expect(fromBase64UrlStrict('A')).toBeUndefined()
    expect(fromBase64UrlStrict('ab+/')).toBeUndefined()
    expect(fromBase64UrlStrict('ab\u00e9c')).toBeUndefined()
  })
})

describe('runtime', () => {
  it('the package source imports nothing from node:* (browsers load the main entry)', () => {
    const dir = join(import.meta.dirname, '..', 'src')
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'))
    expect(files.length).toBeGreaterThan(10)
    for (const f of files) expect(readFileSync(join(dir, f), 'utf8'), f).not.toMatch(/from ['"]node:/)
  })
})
