// Labels: verifying signed `com.atproto.label.defs#label` objects with a known key (both curves) and
// with the key taken from the labeler's DID document, against the reference path (@atproto/lex-cbor
// canonical bytes + @atproto/crypto, with @atproto/common-web reading `#atproto_label`) and @atcute;
// and `subscribeLabels` end to end on loopback: a pre-filled @rsky/labeler server streamed into our
// verifying LabelSubscription and into @atproto/xrpc-server's Subscription (which checks nothing).
// @rsky/label and @rsky/labeler are imported by path: the benchmarks package does not list them.
import { encode as atcuteEncode } from '@atcute/cbor'
import { parseDidKey as atcuteParseDidKey, verifySig as atcuteVerifySig } from '@atcute/crypto'
import { getVerificationMaterial } from '@atproto/common-web'
import * as atCrypto from '@atproto/crypto'
import { cborEncode } from '@atproto/lex-cbor'
import { Subscription } from '@atproto/xrpc-server'
import { P256Keypair, Secp256k1Keypair } from '@rsky/crypto'
import type { DidDocument } from '@rsky/identity'
import { LabelSubscription } from '@rsky/sync'
import {
  type Label,
  LabelVerifier,
  type SignedLabel,
  signLabel,
  verifyLabelWithKey,
} from '../../../packages/label/src/index.ts'
import { Labeler, SqliteLabelStore, serveLabeler } from '../../../packages/labeler/src/index.ts'
import type { BenchCase, BenchSuite } from '../harness.ts'
import { rng } from '../workloads.ts'

const SRC = 'did:plc:abcdefghijklmnopqrstuvwx'
const COUNT = 256
const STREAMED = 5_000

async function labels(curve: 'k256' | 'p256'): Promise<{ did: string; signed: SignedLabel[] }> {
  const r = rng(curve === 'k256' ? 1401 : 1402)
  const priv = r.bytes(32)
  priv[0] = (priv[0] as number) % 0x7f || 1
  const kp = curve === 'k256' ? Secp256k1Keypair.import(priv) : P256Keypair.import(priv)
  const signed: SignedLabel[] = []
  for (let i = 0; i < COUNT; i++) {
    const uri = `at://did:plc:${r.string(24, 'abcdefghijklmnopqrstuvwxyz234567')}/app.bsky.feed.post/3l${r.string(11, 'abcdefghijklmnopqrstuvwxyz234567')}`
    signed.push(
      await signLabel({ src: SRC, uri, val: i % 3 ? 'spam' : '!warn', cts: '2024-06-01T00:00:00.000Z' }, kp),
    )
  }
  return { did: kp.did(), signed }
}

const check = (ok: boolean): void => {
  if (!ok) throw new Error('label did not verify')
}

function unsignedOf(l: Label): Record<string, unknown> {
  const { sig: _sig, ...rest } = l
  return rest
}

function docFor(didKey: string): DidDocument {
  return {
    id: SRC,
    verificationMethod: [
      { id: `${SRC}#atproto_label`, type: 'Multikey', controller: SRC, publicKeyMultibase: didKey.slice(8) },
    ],
  } as unknown as DidDocument
}

async function knownKeyCase(curve: 'k256' | 'p256'): Promise<BenchCase> {
  const { did, signed } = await labels(curve)
  let i = 0
  const next = () => signed[i++ & (COUNT - 1)] as SignedLabel
  return {
    name: `verify a label with a known key, ${curve === 'k256' ? 'secp256k1' : 'P-256'}`,
    unit: 'op',
    note: 'each: validate fields (ours), canonical DAG-CBOR of the label without sig, sha256, low-S ECDSA verify; 256 distinct labels in turn',
    impls: {
      '@rsky/label': () => () => check(verifyLabelWithKey(next(), did).valid),
      '@atproto (lex-cbor + crypto)': () => async () => {
        const l = next()
        check(await atCrypto.verifySignature(did, cborEncode(unsignedOf(l) as never), l.sig))
      },
      '@atcute (cbor + crypto)': () => {
        const key = atcuteParseDidKey(did)
        return async () => {
          const l = next()
          check(await atcuteVerifySig(key, l.sig as Uint8Array<ArrayBuffer>, atcuteEncode(unsignedOf(l))))
        }
      },
    },
  }
}

async function resolvedKeyCase(): Promise<BenchCase> {
  const { did, signed } = await labels('k256')
  const doc = docFor(did)
  const resolver = { resolve: async () => doc }
  let i = 0
  const next = () => signed[i++ & (COUNT - 1)] as SignedLabel
  return {
    name: "verify a label with the labeler's #atproto_label key (document cached)",
    unit: 'op',
    note: "the DID document comes from an in-memory resolver (a warm cache); ours (LabelVerifier) keeps the parsed key per labeler; the reference reads the key out of the document with @atproto/common-web's getVerificationMaterial on every label, as a verifier without a key cache would",
    impls: {
      '@rsky/label': () => {
        const v = new LabelVerifier({ resolver })
        return async () => check((await v.verify(next())).valid)
      },
      '@atproto (common-web + lex-cbor + crypto)': () => async () => {
        const l = next()
        const d = await resolver.resolve()
        const vm = getVerificationMaterial(d as never, 'atproto_label')
        if (!vm) throw new Error('no key')
        const key = `did:key:${vm.publicKeyMultibase}`
        check(await atCrypto.verifySignature(key, cborEncode(unsignedOf(l) as never), l.sig))
      },
    },
  }
}

async function streamCase(): Promise<BenchCase> {
  const kp = Secp256k1Keypair.import(
    rng(1403)
      .bytes(32)
      .map((b, j) => (j === 0 ? (b % 0x7f) + 1 : b)),
  )
  const store = SqliteLabelStore.open(':memory:')
  const labeler = await Labeler.create({ did: SRC, keypair: kp, store })
  const r = rng(1404)
  for (let n = 0; n < STREAMED; n += 500) {
    const batch: SignedLabel[] = []
    for (let j = 0; j < 500; j++) {
      const uri = `at://did:plc:${r.string(24, 'abcdefghijklmnopqrstuvwxyz234567')}/app.bsky.feed.post/3l${r.string(11, 'abcdefghijklmnopqrstuvwxyz234567')}`
      batch.push(await signLabel({ src: SRC, uri, val: 'spam', cts: '2024-06-01T00:00:00.000Z' }, kp))
    }
    await store.append(batch)
  }
  const server = await serveLabeler(await Labeler.create({ did: SRC, keypair: kp, store }))
  const wsUrl = server.url.replace('http://', 'ws://')
  void labeler
  const ours = (verify: boolean) => () => () =>
    new Promise<void>((resolve, reject) => {
      const sub = new LabelSubscription({
        service: wsUrl,
        labeler: SRC,
        verify: verify ? new LabelVerifier({ keys: { [SRC]: kp.did() } }) : false,
        cursor: 0,
        onEvent: (e) => {
          if (e.$type === '#labels' && e.seq === STREAMED) void sub.stop().then(resolve)
        },
        onInvalidLabel: (i) => reject(new Error(i.reason)),
      })
      void sub.start()
    })
  return {
    name: `subscribeLabels on loopback: ${STREAMED} labels from a @rsky/labeler server to the client`,
    unit: 'frame',
    perCall: STREAMED,
    note: 'one call replays the whole stream (cursor 0) from an SQLite-backed server in the same process, so server and client share the CPU; ours verifies every signature (known key), the @atproto Subscription decodes frames only',
    impls: {
      '@rsky/sync LabelSubscription (verifying)': ours(true),
      '@rsky/sync LabelSubscription (verify: false)': ours(false),
      '@atproto/xrpc-server Subscription (no checks)': () => async () => {
        const ac = new AbortController()
        const sub = new Subscription<{ seq: number }>({
          service: wsUrl,
          method: 'com.atproto.label.subscribeLabels',
          signal: ac.signal,
          getParams: () => ({ cursor: 0 }),
          validate: (v) => v as { seq: number },
        })
        try {
          for await (const m of sub) if (m.seq === STREAMED) break
        } finally {
          ac.abort()
        }
      },
    },
  }
}

const suite: BenchSuite = {
  name: 'label',
  description:
    'Label verification (known key on both curves; key from the labeler DID document) against @atproto and @atcute, and subscribeLabels throughput on loopback against @atproto/xrpc-server.',
  async cases() {
    return [
      await knownKeyCase('k256'),
      await knownKeyCase('p256'),
      await resolvedKeyCase(),
      await streamCase(),
    ]
  },
}

export default suite
