// Signatures and hashes: ECDSA sign and verify on both curves (200-byte messages, keys imported
// once), and sha256 of 100-byte and 1 MB inputs. node:crypto used raw is "the limit": what
// OpenSSL does with no atproto rules (no low-S check, no did:key, random-k signatures). On
// secp256k1 our Node entry runs libsecp256k1 (WASM) instead, which is faster than that limit.
import { createPrivateKey, createPublicKey, hash, type KeyObject, sign, verify } from 'node:crypto'
import {
  Secp256k1PrivateKey as AtcuteK256PrivateKey,
  Secp256k1PublicKey as AtcuteK256PublicKey,
  P256PrivateKey as AtcuteP256PrivateKey,
  P256PublicKey as AtcuteP256PublicKey,
  parseDidKey as atcuteParseDidKey,
} from '@atcute/crypto'
import * as atproto from '@atproto/crypto'
import { p256 } from '@noble/curves/nist.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import {
  P256Keypair,
  parseDidKey,
  Secp256k1Keypair,
  sha256,
  verifySignature,
  verifySignatureDigest,
} from '@rsky/crypto'
import type { BenchCase, BenchSuite } from '../harness.ts'
import { rng } from '../workloads.ts'

type Curve = 'k256' | 'p256'

const NOBLE = { k256: secp256k1, p256 }
const ATPROTO = { k256: atproto.Secp256k1Keypair, p256: atproto.P256Keypair }
const RSKY = { k256: Secp256k1Keypair, p256: P256Keypair }
const LABEL = { k256: 'secp256k1 (ES256K)', p256: 'P-256 (ES256)' }
const K256_NOTE = {
  k256: '; ours runs libsecp256k1 (WASM), not OpenSSL, on this curve',
  p256: '',
}

function nodeKeys(
  priv: Uint8Array,
  pub: Uint8Array,
  curve: Curve,
): { privateKey: KeyObject; publicKey: KeyObject } {
  const crv = curve === 'k256' ? 'secp256k1' : 'P-256'
  const uncompressed = NOBLE[curve].Point.fromBytes(pub).toBytes(false)
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url')
  const jwk = { kty: 'EC', crv, x: b64(uncompressed.subarray(1, 33)), y: b64(uncompressed.subarray(33)) }
  return {
    privateKey: createPrivateKey({ key: { ...jwk, d: b64(priv) }, format: 'jwk' }),
    publicKey: createPublicKey({ key: jwk, format: 'jwk' }),
  }
}

async function curveCases(curve: Curve): Promise<BenchCase[]> {
  const r = rng(curve === 'k256' ? 256 : 257)
  const priv = NOBLE[curve].utils.randomSecretKey(r.bytes(48))
  const msg = r.bytes(200)
  const ours = RSKY[curve].import(priv)
  const did = ours.did()
  const pub = ours.publicKeyBytes()
  const sig = ours.signSync(msg)
  const { privateKey, publicKey } = nodeKeys(priv, pub, curve)
  const nodeSig = new Uint8Array(sign('sha256', msg, { key: privateKey, dsaEncoding: 'ieee-p1363' }))
  const atcutePub = () =>
    curve === 'k256' ? AtcuteK256PublicKey.importRaw(pub) : AtcuteP256PublicKey.importRaw(pub)
  const atcutePriv = () =>
    curve === 'k256' ? AtcuteK256PrivateKey.importRaw(priv) : AtcuteP256PrivateKey.importRaw(priv)
  const check = (ok: boolean) => {
    if (!ok) throw new Error('signature did not verify')
  }
  return [
    {
      name: `verify ${LABEL[curve]}, 200-byte message`,
      unit: 'op',
      note: `each verifies a low-S compact signature over sha256(message); keys parsed/imported once (ours caches per did:key); the node:crypto row skips the low-S check${K256_NOTE[curve]}`,
      impls: {
        '@rsky/crypto': () => () => check(verifySignature(did, msg, sig)),
        '@atproto/crypto': () => async () => check(await atproto.verifySignature(did, msg, sig)),
        '@atcute/crypto': async () => {
          const key = await atcutePub()
          return async () => check(await key.verify(sig, msg))
        },
        '@noble/curves': () => () => check(NOBLE[curve].verify(sig, msg, pub)),
        'node:crypto (the limit)': () => () =>
          check(verify('sha256', msg, { key: publicKey, dsaEncoding: 'ieee-p1363' }, nodeSig)),
      },
    },
    {
      name: `sign ${LABEL[curve]}, 200-byte message`,
      unit: 'op',
      note: `compact low-S signature over sha256(message); ours, @atproto and @noble are deterministic (RFC 6979, byte-identical), @atcute and node:crypto use a random nonce; the node:crypto row does not normalise to low-S${K256_NOTE[curve]}`,
      impls: {
        '@rsky/crypto': () => () => ours.signSync(msg),
        '@atproto/crypto': async () => {
          const kp = await ATPROTO[curve].import(priv)
          return () => kp.sign(msg)
        },
        '@atcute/crypto': async () => {
          const key = await atcutePriv()
          return () => key.sign(msg)
        },
        '@noble/curves': () => () => NOBLE[curve].sign(msg, priv),
        'node:crypto (the limit)': () => () =>
          sign('sha256', msg, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
      },
    },
  ]
}

function digestVerifyCase(): BenchCase {
  // A signature over a digest the caller already has (verifySignatureDigest); neither
  // @atproto/crypto nor @atcute/crypto verifies a prehashed message, node:crypto cannot either.
  const r = rng(259)
  const priv = secp256k1.utils.randomSecretKey(r.bytes(48))
  const ours = Secp256k1Keypair.import(priv)
  const did = ours.did()
  const pub = ours.publicKeyBytes()
  const digest = sha256(r.bytes(200))
  const sig = ours.signDigest(digest)
  const check = (ok: boolean) => {
    if (!ok) throw new Error('signature did not verify')
  }
  return {
    name: 'verify secp256k1 (ES256K) over a 32-byte digest',
    unit: 'op',
    note: 'verifySignatureDigest (low-S compact, key cached per did:key) against @noble/curves with prehash: false; the other peers have no digest verify',
    impls: {
      '@rsky/crypto': () => () => check(verifySignatureDigest(did, digest, sig)),
      '@noble/curves': () => () => check(secp256k1.verify(sig, digest, pub, { prehash: false })),
    },
  }
}

function didKeyCase(): BenchCase {
  // 64 distinct did:keys of each curve, parsed in turn (no caching in any of the parsers).
  const r = rng(58)
  const dids = [Secp256k1Keypair, P256Keypair].flatMap((K) =>
    Array.from({ length: 64 }, () => K.import(secp256k1.utils.randomSecretKey(r.bytes(48))).did()),
  )
  let i = 0
  const next = () => dids[i++ & 127]!
  return {
    name: 'parse did:key (secp256k1 and P-256 alternating)',
    unit: 'op',
    note: 'ours checks the point is on the curve and returns the compressed key; @atproto/crypto checks it and returns the uncompressed key; @atcute/crypto checks the prefix and multicodec only (no length or point check)',
    impls: {
      '@rsky/crypto': () => () => parseDidKey(next()),
      '@atproto/crypto': () => () => atproto.parseDidKey(next()),
      '@atcute/crypto': () => () => atcuteParseDidKey(next()),
    },
  }
}

function sha256Case(name: string, data: Uint8Array, unit: 'op' | 'byte'): BenchCase {
  return {
    name,
    unit,
    perCall: unit === 'byte' ? data.length : 1,
    impls: {
      '@rsky/crypto': () => () => sha256(data),
      '@noble/hashes': () => () => nobleSha256(data),
      'node:crypto hash (the limit)': () => () => hash('sha256', data, 'buffer'),
    },
  }
}

const suite: BenchSuite = {
  name: 'crypto',
  description:
    'ECDSA sign/verify (secp256k1, P-256), did:key parsing and sha256 against @atproto/crypto, @atcute/crypto, @noble and node:crypto.',
  async cases() {
    const r = rng(3)
    return [
      ...(await curveCases('k256')),
      digestVerifyCase(),
      ...(await curveCases('p256')),
      didKeyCase(),
      sha256Case('sha256 of 100 bytes', r.bytes(100), 'op'),
      sha256Case('sha256 of 1 MB', r.bytes(1 << 20), 'byte'),
    ]
  },
}

export default suite
