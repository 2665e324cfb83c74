// Test-only: the reference label path of @atproto — ozone's own signLabel, @atproto/lex-cbor's
// encoder and @atproto/crypto's verifySignature — loaded from the devDependencies.
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import * as atCrypto from '@atproto/crypto'
import { cborEncode } from '@atproto/lex-cbor'

interface OzoneLabel {
  ver?: number
  src: string
  uri: string
  cid?: string
  val: string
  neg?: boolean
  cts: string
  exp?: string
}

type OzoneSign = (label: OzoneLabel, key: atCrypto.Keypair) => Promise<OzoneLabel & { sig: Uint8Array }>

let ozoneSign: OzoneSign | undefined

/** ozone's `signLabel` (not re-exported by the package, so loaded by file). */
export async function ozoneSignLabel(
  label: OzoneLabel,
  key: atCrypto.Keypair,
): Promise<OzoneLabel & { sig: Uint8Array }> {
  if (ozoneSign === undefined) {
    const entry = fileURLToPath(import.meta.resolve('@atproto/ozone'))
    const util = join(dirname(entry), 'mod-service', 'util.js')
    const mod = (await import(pathToFileURL(util).href)) as { signLabel: OzoneSign }
    ozoneSign = mod.signLabel
  }
  return ozoneSign(label, key)
}

/** How @atproto checks a label: drop `sig`, DAG-CBOR encode the rest, verify against the did:key. */
export async function atprotoVerifyLabel(label: Record<string, unknown>, didKey: string): Promise<boolean> {
  const { sig, ...rest } = label
  if (!(sig instanceof Uint8Array)) return false
  const unsigned: Record<string, unknown> = { ...rest, ver: rest.ver ?? 1 }
  for (const k of Object.keys(unsigned)) if (unsigned[k] === undefined) delete unsigned[k]
  return atCrypto.verifySignature(didKey, cborEncode(unsigned as never), sig)
}

/** A reference keypair of either curve. */
export async function atprotoKeypair(curve: 'k256' | 'p256'): Promise<atCrypto.Keypair> {
  return curve === 'k256' ? atCrypto.Secp256k1Keypair.create() : atCrypto.P256Keypair.create()
}

export { cborEncode as atprotoCborEncode }
