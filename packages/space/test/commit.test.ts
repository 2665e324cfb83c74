import { expand } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { P256Keypair, Secp256k1Keypair } from '@rsky/crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type CommitCtx,
  checkCommit,
  computeCommitMac,
  encodeCommitCtx,
  parseSignedCommit,
  type SignedCommit,
  signCommit,
  verifyCommit,
  verifyCommitMac,
} from '../src/index.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const ctx: CommitCtx = {
  space: 'at://did:example:space/space/app.bsky.group/test',
  author: 'did:example:alice',
  rev: '3kbcq3p7ad400',
}

describe('commit ctx', () => {
  it('is byte-exact (rsky-space commit.rs)', () => {
    const expected = Buffer.concat([
      Buffer.from('atproto-space-v1'),
      Buffer.from([0, 2]),
      Buffer.from('sp'),
      Buffer.from([0, 2]),
      Buffer.from('au'),
      Buffer.from([0, 1]),
      Buffer.from('r'),
      Buffer.from([0, 1, 0xaa]),
    ])
    expect(hex(encodeCommitCtx({ space: 'sp', author: 'au', rev: 'r' }, new Uint8Array([0xaa])))).toBe(
      hex(expected),
    )
  })

  it('is unambiguous across field boundaries', () => {
    const ikm = new Uint8Array(32).fill(7)
    expect(encodeCommitCtx({ space: 'ab', author: 'c', rev: 'd' }, ikm)).not.toEqual(
      encodeCommitCtx({ space: 'a', author: 'bc', rev: 'd' }, ikm),
    )
  })

  it('rejects a field over 0xffff bytes instead of truncating its length (rsky defect)', () => {
    const ikm = new Uint8Array(32)
    expect(() => encodeCommitCtx({ ...ctx, space: 'x'.repeat(0x10000) }, ikm)).toThrow(RangeError)
    expect(() => encodeCommitCtx({ ...ctx, author: 'é'.repeat(0x8000) }, ikm)).toThrow(
      /field=author length=65536/,
    )
    expect(() => encodeCommitCtx(ctx, new Uint8Array(0x10000))).toThrow(/field=ikm/)
    expect(encodeCommitCtx({ ...ctx, rev: 'x'.repeat(0xffff) }, ikm).length).toBeGreaterThan(0xffff)
  })
})

describe('commit MAC', () => {
  it("matches rsky's pinned cross-implementation vector", () => {
    const ikm = new Uint8Array(32).fill(7)
    const ctxBytes = encodeCommitCtx(
      { space: 'at://a/space/t/main', author: 'did:plc:author', rev: '3krev' },
      ikm,
    )
    const mac = computeCommitMac(ikm, ctxBytes, new Uint8Array(32).fill(42))
    expect(hex(mac)).toBe('d1bd9b47b2e0ec67c390ce4ad16460b2bf37bdd3bec33f8119e19b4001cd64b2')
  })

  it('equals HMAC(HKDF-Expand) computed with @noble/hashes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.string(),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (ikm, rev, hash) => {
          const c = encodeCommitCtx({ ...ctx, rev }, ikm)
          const want = hmac(sha256, expand(sha256, ikm, c, 32), hash)
          expect(computeCommitMac(ikm, c, hash)).toEqual(want)
        },
      ),
      { seed: 42, numRuns: 100 },
    )
  })

  it('rejects another hash, another ikm, and a MAC of another length', () => {
    const ikm = new Uint8Array(32).fill(1)
    const c = encodeCommitCtx(ctx, ikm)
    const hash = new Uint8Array(32).fill(9)
    const mac = computeCommitMac(ikm, c, hash)
    expect(verifyCommitMac({ ikm, ctxBytes: c, hash, mac })).toBe(true)
    expect(verifyCommitMac({ ikm, ctxBytes: c, hash: new Uint8Array(32).fill(8), mac })).toBe(false)
    expect(computeCommitMac(new Uint8Array(32).fill(2), c, hash)).not.toEqual(mac)
    expect(verifyCommitMac({ ikm, ctxBytes: c, hash, mac: mac.subarray(0, 31) })).toBe(false)
  })
})

describe('signed commits', () => {
  const hash = sha256(new Uint8Array([1, 2, 3]))

  for (const [name, create] of [
    ['secp256k1', () => Secp256k1Keypair.create()],
    ['P-256', () => P256Keypair.create()],
  ] as const) {
    it(`signs and verifies with ${name}`, async () => {
      const key = await create()
      const commit = await signCommit({ ctx, hash, keypair: key })
      expect(commit.ver).toBe(1)
      expect(commit.rev).toBe(ctx.rev)
      expect(commit.ikm).toHaveLength(32)
      expect(commit.mac).toHaveLength(32)
      expect(commit.sig).toHaveLength(64)
      expect(verifyCommit(commit, ctx, key.did())).toBe(true)
      // The signature covers sha256(ctx) only, never the hash.
      expect(key.signSync(encodeCommitCtx(ctx, commit.ikm))).toEqual(commit.sig)
    })
  }

  it('uses a fresh ikm per signature (deniability)', async () => {
    const key = await Secp256k1Keypair.create()
    const a = await signCommit({ ctx, hash, keypair: key })
    const b = await signCommit({ ctx, hash, keypair: key })
    expect(a.ikm).not.toEqual(b.ikm)
    expect(a.mac).not.toEqual(b.mac)
    expect(a.hash).toEqual(b.hash)
  })

  it('rejects every tampered field with a named reason', async () => {
    const key = await Secp256k1Keypair.create()
    const other = await Secp256k1Keypair.create()
    const commit = await signCommit({ ctx, hash, keypair: key })
    const flip = (b: Uint8Array): Uint8Array => {
      const c = b.slice()
      c[0] = c[0]! ^ 1
      return c
    }
    const cases: [string, SignedCommit, CommitCtx, string, string][] = [
      ['version', { ...commit, ver: 2 }, ctx, key.did(), 'UnsupportedVersion'],
      ['rev in commit', { ...commit, rev: '3kbcq3p7ad999' }, ctx, key.did(), 'RevMismatch'],
      ['rev in ctx', commit, { ...ctx, rev: '3kbcq3p7ad999' }, key.did(), 'RevMismatch'],
      ['hash', { ...commit, hash: flip(commit.hash) }, ctx, key.did(), 'BadMac'],
      ['mac', { ...commit, mac: flip(commit.mac) }, ctx, key.did(), 'BadMac'],
      ['ikm', { ...commit, ikm: flip(commit.ikm) }, ctx, key.did(), 'BadMac'],
      ['space', commit, { ...ctx, space: `${ctx.space}x` }, key.did(), 'BadMac'],
      ['author', commit, { ...ctx, author: 'did:example:bob' }, key.did(), 'BadMac'],
      ['sig', { ...commit, sig: flip(commit.sig) }, ctx, key.did(), 'BadSignature'],
      ['key', commit, ctx, other.did(), 'BadSignature'],
      ['malformed key', commit, ctx, 'did:key:zNope', 'BadKey'],
    ]
    for (const [what, c, x, didKey, code] of cases) {
      const r = checkCommit(c, x, didKey)
      expect(r.success, what).toBe(false)
      if (!r.success) expect(r.issues[0]!.code, what).toBe(code)
      expect(verifyCommit(c, x, didKey)).toBe(false)
    }
  })

  it('refuses to sign a hash that is not 32 bytes', async () => {
    const key = await Secp256k1Keypair.create()
    await expect(signCommit({ ctx, hash: new Uint8Array(31), keypair: key })).rejects.toThrow(RangeError)
  })
})

describe('parseSignedCommit', () => {
  const good = {
    ver: 1,
    hash: new Uint8Array(32),
    ikm: new Uint8Array(32),
    sig: new Uint8Array(64),
    mac: new Uint8Array(32),
    rev: '3k',
  }

  it('accepts a commit and ignores unknown fields', () => {
    expect(parseSignedCommit({ ...good, extra: 'x' }).success).toBe(true)
  })

  it.each([
    ['not a map', 'x'],
    ['array', [1]],
    ['ver as string', { ...good, ver: '1' }],
    ['short hash', { ...good, hash: new Uint8Array(31) }],
    ['long mac', { ...good, mac: new Uint8Array(33) }],
    ['ikm missing', { ...good, ikm: undefined }],
    ['empty sig', { ...good, sig: new Uint8Array(0) }],
    ['rev as bytes', { ...good, rev: new Uint8Array(2) }],
    ['empty rev', { ...good, rev: '' }],
  ])('rejects %s', (_name, value) => {
    const r = parseSignedCommit(value as never)
    expect(r.success).toBe(false)
  })
})

describe('interop with @atproto/crypto keys', () => {
  it('commits signed by an @atproto/crypto keypair verify here, and ours verify there', async () => {
    const atproto = await import('@atproto/crypto')
    for (const theirs of [await atproto.Secp256k1Keypair.create(), await atproto.P256Keypair.create()]) {
      const commit = await signCommit({ ctx, hash: sha256(new Uint8Array([7])), keypair: theirs as never })
      expect(verifyCommit(commit, ctx, theirs.did())).toBe(true)
    }
    const ours = await Secp256k1Keypair.create()
    const commit = await signCommit({ ctx, hash: sha256(new Uint8Array([7])), keypair: ours })
    expect(await atproto.verifySignature(ours.did(), encodeCommitCtx(ctx, commit.ikm), commit.sig)).toBe(true)
  })
})
